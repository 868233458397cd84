// libtokenflow: the flat C facade that Java binds (through JavaCPP) over the pinned llama.cpp and tfkernels.
//
// Conventions
// - Opaque handles, explicit ownership: every *_new/*_load has exactly one *_free; *_free(NULL) is a no-op.
// - Functions never abort on bad arguments: they return NULL or a negative TF_ERR_* code and record a
//   message retrievable with tf_last_error() on the same thread. The Java layer validates first anyway.
// - Token ids are int32; positions are int32; sequence ids are int32 in [0, n_seq_max).
// - Strings cross as UTF-8 bytes with explicit lengths (token pieces may be partial UTF-8).
// - Objects with many settings take a params struct: start from tf_*_default_params() and change fields, as
//   llama.h does; a NULL params pointer means the defaults. Every field is documented once, in its struct.
#ifndef TOKENFLOW_H
#define TOKENFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Status codes: calls that can fail return TF_OK (or a count >= 0) or one of these.
enum tf_status {
    TF_OK          =  0,
    TF_ERR_ARG     = -1,  // an argument is out of range or NULL
    TF_ERR_NATIVE  = -2,  // llama.cpp reported a failure
    TF_ERR_NO_SLOT = -3,  // the KV cache has no room for the batch
    TF_ERR_ABORTED = -4,  // tf_session_abort() interrupted the call
    TF_ERR_BUFFER  = -5,  // an output buffer is too small (the return of some calls says how much is needed)
};

// Flash attention: llama.cpp decides (AUTO), or forced off / on.
enum tf_flash_attn { TF_FLASH_ATTN_AUTO = -1, TF_FLASH_ATTN_OFF = 0, TF_FLASH_ATTN_ON = 1 };
// Query-aware sparse attention policies (ALGORITHMS.md sections 8-10).
enum tf_sparse_policy { TF_SPARSE_NONE = 0, TF_SPARSE_QUEST = 1, TF_SPARSE_TIDAL = 2, TF_SPARSE_TOKENSELECT = 3 };

// Element type of the KV cache (the ggml_type values llama.cpp takes for type_k / type_v).
enum tf_kv_type { TF_KV_F32 = 0, TF_KV_F16 = 1, TF_KV_Q4_0 = 2, TF_KV_Q8_0 = 8, TF_KV_BF16 = 30 };

// Special tokens of a vocabulary (tf_vocab_special).
enum tf_special_token {
    TF_TOKEN_BOS = 0, TF_TOKEN_EOS = 1, TF_TOKEN_EOT = 2, TF_TOKEN_SEP = 3, TF_TOKEN_NL = 4, TF_TOKEN_PAD = 5,
};

// Levels of log lines (tf_log_set).
enum tf_log_level { TF_LOG_DEBUG = 1, TF_LOG_INFO = 2, TF_LOG_WARN = 3, TF_LOG_ERROR = 4, TF_LOG_NONE = 5 };

typedef struct tf_model   tf_model;
typedef struct tf_session tf_session;
typedef struct tf_sampler tf_sampler;

// Message of the last failure on this thread ("" if none). Valid until the next tokenflow call on this thread.
const char * tf_last_error(void);

// --- process-wide ---------------------------------------------------------------------------------------

// Initialise llama.cpp backends once (idempotent, thread-safe).
void tf_init(void);

// Load a dynamically loadable ggml backend module (e.g. libggml-cuda.so). Returns TF_OK or TF_ERR_NATIVE.
int32_t tf_backend_load(const char * path);

// Number of compute devices ggml knows (CPU included); name of device i into buf (returns the length).
int32_t tf_device_count(void);
int32_t tf_device_name(int32_t i, char * buf, int32_t buf_len);

// What ggml reports of device i (0 <= i < tf_device_count()).
struct tf_device_props {
    char     name[64];          // ggml's device name, e.g. "CPU", "CUDA0", "RPC[127.0.0.1:50052]" (truncated)
    char     description[192];  // e.g. the CPU or GPU model (truncated)
    int32_t  type;              // 0 CPU, 1 GPU, 2 integrated GPU, 3 accelerator (BLAS, AMX), 4 other
    uint64_t memory_free;       // bytes free now (for the CPU: system memory)
    uint64_t memory_total;      // bytes in all
};
// Returns TF_OK or TF_ERR_ARG (index out of range, out NULL).
int32_t tf_device_get(int32_t i, struct tf_device_props * out);

// Where tf_init looks for the CPU variants (call before tf_init; NULL or never called: the folder libggml was loaded
// from). Returns TF_OK, or TF_ERR_ARG once tf_init has run.
int32_t tf_set_cpu_backend_dir(const char * dir);

// ggml's CPU backend comes as variants (libggml-cpu-x64.so, -haswell, -skylakex, -zen4 beside libggml): tf_init
// loads the best one this CPU runs, or the one named by the environment variable TOKENFLOW_CPU_VARIANT.
// The loaded variant's name into buf ("zen4"); returns its length, 0 when none could be loaded (model loads then
// fail with the reason).
int32_t tf_cpu_variant(char * buf, int32_t buf_len);

// The CPU variant, tfkernels' code path (avx2 or base) and the features ggml's code uses, as llama.cpp reports them
// ("CPU_VARIANT = zen4 | TFK_ISA = avx2 | CPU : SSE3 = 1 | AVX2 = 1 | ..."), into buf; returns the full length.
int32_t tf_system_info(char * buf, int32_t buf_len);

// Log sink: receives whole lines (no trailing newline) from llama.cpp/ggml with a tf_log_level. Lines below
// min_level are dropped natively. fn == NULL silences everything. The callback may be called from any thread.
typedef void (*tf_log_fn)(int32_t level, const char * text, void * user);
void tf_log_set(tf_log_fn fn, int32_t min_level, void * user);

// --- model ----------------------------------------------------------------------------------------------

// Progress 0..1 during load; return false to cancel the load.
typedef bool (*tf_progress_fn)(float progress, void * user);

struct tf_model_params {
    int32_t        n_gpu_layers;   // layers to offload to a GPU backend: 0 = CPU only (default), -1 = all
    bool           use_mmap;       // map the file instead of reading it (default true)
    bool           vocab_only;     // load only the tokenizer (default false)
    tf_progress_fn progress;       // optional load progress callback (default NULL)
    void *         progress_user;  // passed to progress
    const char *   rpc_servers;    // llama.cpp RPC servers whose devices take offloaded layers, "host:port" joined by
                                   // ',' (at most 16; host without ':'; port 1..65535), e.g. "10.0.0.2:50052". NULL or
                                   // "" = none (default). Their devices count like GPUs for n_gpu_layers, and with
                                   // servers n_gpu_layers 0 means all layers (on the servers, split by their memory);
                                   // the rest runs on this CPU. A server that does not answer fails the load; one lost
                                   // later fails every decode of the model's sessions (TF_ERR_NATIVE, "RPC server ...
                                   // lost"): free the model and load it again once the server is back
    int32_t        split_mode;     // enum tf_split_mode: how offloaded layers spread over several devices
                                   // (default TF_SPLIT_LAYER, as llama.cpp)
    int32_t        main_gpu;       // with TF_SPLIT_NONE: the one offload device used, numbered as llama.cpp does (RPC
                                   // servers first, then GPUs); -1 = none (CPU only). Default 0
    const float *  tensor_split;   // share of the offloaded layers (TF_SPLIT_LAYER) or rows (TF_SPLIT_ROW) per offload
                                   // device, any scale; NULL = by free memory (default). Copied during the call
    int32_t        n_tensor_split; // entries of tensor_split, 0..tf_max_devices(); each finite and >= 0, not all 0
};
// How the layers of a model offloaded to several devices are spread (llama_split_mode).
enum tf_split_mode { TF_SPLIT_NONE = 0, TF_SPLIT_LAYER = 1, TF_SPLIT_ROW = 2 };
// Most devices a model can spread over (llama_max_devices()).
int32_t tf_max_devices(void);
struct tf_model_params tf_model_default_params(void);

// path: UTF-8 file path. params: NULL = defaults. Returns NULL on failure (tf_last_error says why).
tf_model * tf_model_load(const char * path, const struct tf_model_params * params);
void       tf_model_free(tf_model * model);

int64_t tf_model_n_params   (const tf_model * model);
int64_t tf_model_size       (const tf_model * model);  // bytes of weights
int32_t tf_model_n_ctx_train(const tf_model * model);
int32_t tf_model_n_embd     (const tf_model * model);
int32_t tf_model_n_layer    (const tf_model * model);
int32_t tf_model_n_head     (const tf_model * model);
int32_t tf_model_n_head_kv  (const tf_model * model);
int32_t tf_model_n_vocab    (const tf_model * model);
// Description like "llama 260K all F32"; returns the full length (may exceed buf_len: call again).
int32_t tf_model_desc       (const tf_model * model, char * buf, int32_t buf_len);
// The model's default chat template; returns its length, or -1 if the model has none.
int32_t tf_model_chat_template(const tf_model * model, char * buf, int32_t buf_len);

// The model's special token of a kind (enum tf_special_token); -1 when the model has none.
int32_t tf_vocab_special(const tf_model * model, int32_t kind);
bool    tf_vocab_is_eog    (const tf_model * model, int32_t token);
bool    tf_vocab_is_control(const tf_model * model, int32_t token);
bool    tf_vocab_add_bos   (const tf_model * model);

// --- llama.cpp RPC (a model across machines) --------------------------------------------------------------

// Serve this machine's CPU as a device for other processes' models (tf_model_params.rpc_servers; llama.cpp's own
// clients too): llama.cpp's RPC server (ggml-rpc, as its rpc-server tool), one client connection at a time. Blocks
// for as long as it serves; returns only when it cannot (TF_ERR_ARG, TF_ERR_NATIVE: no RPC backend, cannot listen).
// UNAUTHENTICATED and unencrypted: whoever reaches host:port can run computations on this machine and read and write
// the memory buffers it holds; listen on loopback or a trusted private network only.
// host: an address or name to listen on, without ':' ("127.0.0.1"; "0.0.0.0" = every interface). port: 1..65535.
// n_threads: CPU threads of the served backend (1..1024). cache_dir: NULL, or an existing folder where the server
// keeps large tensors by hash so that reloading a model sends only their hashes (rpc-server's -c).
int32_t tf_rpc_server_run(const char * host, int32_t port, int32_t n_threads, const char * cache_dir);

// --- tokenizer ------------------------------------------------------------------------------------------

// Tokenize text[0..text_len) into out (capacity out_cap). Returns the count, or -(needed) if out_cap is
// too small, or INT32_MIN on error. add_special: add BOS/EOS as the model wants; parse_special: treat
// special-token text as special tokens.
int32_t tf_tokenize(const tf_model * model, const char * text, int32_t text_len,
                    int32_t * out, int32_t out_cap, bool add_special, bool parse_special);
// Bytes of one token into buf; returns the length or -(needed). special: render special tokens.
int32_t tf_token_to_piece(const tf_model * model, int32_t token, char * buf, int32_t buf_len, bool special);
// Text of tokens into buf; returns the length or -(needed).
int32_t tf_detokenize(const tf_model * model, const int32_t * tokens, int32_t n_tokens,
                      char * buf, int32_t buf_len, bool remove_special, bool unparse_special);

// Apply a chat template (NULL = the model's default) to n messages, given as a single buffer of
// NUL-separated strings: role0, content0, role1, content1, ... Returns the formatted length, or
// -(needed) when buf_len is too small, or TF_ERR_ARG when the template is not supported.
int32_t tf_chat_apply(const tf_model * model, const char * tmpl, const char * messages, int32_t n_messages,
                      bool add_assistant, char * buf, int32_t buf_len);

// --- session (a llama context) --------------------------------------------------------------------------

struct tf_session_params {
    uint32_t n_ctx;            // context tokens (> 0; default 512)
    uint32_t n_batch;          // most tokens one decode call submits (default 512)
    uint32_t n_ubatch;         // physical micro-batch (<= n_batch; default 512)
    int32_t  n_threads;        // threads for generation (default 4)
    int32_t  n_threads_batch;  // threads for prompt processing (default 4)
    int32_t  flash_attn;       // enum tf_flash_attn (default TF_FLASH_ATTN_AUTO)
    int32_t  type_k;           // enum tf_kv_type of the K cache (default TF_KV_F16)
    int32_t  type_v;           // enum tf_kv_type of the V cache (default TF_KV_F16)
    uint32_t n_seq_max;        // parallel sequences (default 1)
    bool     kv_taps;          // install the attention taps KV compression scores with (tf_session_kv_arm);
                               // costs a little per decode (default false)
    bool     batch_invariant;  // single-token decodes and token trees run batch-invariant CPU kernels (a row's sums do
                               // not depend on the batch), and a tree's committed path is moved into position order
                               // in the cache, so greedy speculation emits exactly what one-token decoding emits.
                               // Batches of several plain tokens (prompts) keep the fastest kernels (default true)
    // Query-aware sparse attention (needs flash attention; see "sparse attention" below). Each sparse layer reads,
    // per step, query row and KV head, at most sparse_budget K/V cells chosen from the current query; the others
    // stay cached. Batches of more than 64 query rows (prompts) attend densely.
    int32_t  sparse_policy;    // enum tf_sparse_policy (default TF_SPARSE_NONE)
    int32_t  sparse_budget;    // K/V cells read per layer, row and KV head (>= 1; default 256); >= the visible cells:
                               // dense
    int32_t  sparse_dense;     // the first sparse_dense layers attend densely (>= 0; default 2)
    int32_t  sparse_page;      // Quest: cells per page (>= 1; default 16)
    int32_t  sparse_reselect;  // TidalDecode: the layer that selects again (default 13; < sparse_dense or >= layers:
                               // never)
    int32_t  sparse_init;      // TokenSelect: first visible cells always read (>= 0; default 128)
    int32_t  sparse_local;     // TokenSelect: last visible cells always read (>= 0; default 512)
    float    sparse_theta;     // TokenSelect: reuse a layer's last selection while the query's cosine with the one
                               // that made it is >= theta (single-token steps only; default 2 = never)
    bool     invariant_prompts; // with batch_invariant: prompts (batches of several tokens of one sequence) run the
                               // batch-invariant kernels too, so every cached cell's K/V is independent of how tokens
                               // were batched: reused prefixes and continuous batching then give exactly a lone run's
                               // tokens. Slower prompt processing (default false)
    bool     invariant_tiles;  // with batch_invariant: the invariant kernels take llamafile's tiles for every batch size
                               // (x86; patch 0008) instead of per-row dot products: batches of several rows as fast as
                               // the fastest kernels, but a one-token decode no longer matches llama.cpp's default
                               // arithmetic (plain decoding and speculation want that match; continuous batching does
                               // not need it) (default false)
    bool     seq_streams;      // one KV stream per sequence (n_ctx / n_seq_max cells each) instead of one shared stream:
                               // a sequence's cells then stay in position order whatever other sequences do, which a
                               // batch-invariant row needs; token trees (tf_session_decode_tree) need the shared
                               // stream and are refused (default false)
    bool     embeddings;       // an embedding session: tf_session_embed gives the mean of the last layer's outputs
                               // over a text's tokens; it keeps no logits (no generation) and needs
                               // n_ubatch == n_batch == n_ctx (a text is one micro-batch) (default false)
    bool     device_logits;    // a token tree's logits stay where llama.cpp computed them (GPU memory when the output
                               // layer is offloaded, else the CPU graph's output buffer) and tree verification and its
                               // top-k candidates run there (tfkernels' CUDA twins on a GPU), with no n x n_vocab copy;
                               // tf_session_tree_logits then copies on demand. false: llama.cpp copies every tree's
                               // logits to the host and the CPU kernels read that copy. Same results either way
                               // (default true)
};
struct tf_session_params tf_session_default_params(void);

// params: NULL = defaults. Returns NULL on failure (tf_last_error says why).
tf_session * tf_session_new(tf_model * model, const struct tf_session_params * params);
void     tf_session_free(tf_session * session);
uint32_t tf_session_n_ctx  (const tf_session * session);
uint32_t tf_session_n_batch(const tf_session * session);

// Decode tokens[0..n) at positions pos0.. in sequence seq, in chunks of n_batch; logits are kept for the
// last token only (when want_logits). Returns TF_OK, TF_ERR_NO_SLOT, TF_ERR_ABORTED or TF_ERR_ARG/NATIVE.
// On failure the cells of this call are removed again, so the cache holds what it held before.
int32_t tf_session_decode(tf_session * session, const int32_t * tokens, int32_t n, int32_t pos0,
                          int32_t seq, bool want_logits);
// Logits (n_vocab floats) of the last decoded token that kept logits, or NULL.
float * tf_session_logits(tf_session * session);

// --- continuous batching (many sequences, one decode call) ---
//
// Decode one token for each of n distinct sequences in a single batch: row i is tokens[i] at position pos[i] in
// sequence seqs[i] (0 <= seqs[i] < n_seq_max, all different; 1 <= n <= n_batch). Logits are kept for every row
// (tf_session_row_logits, tf_sampler_sample_row). With batch_invariant set the rows run the batch-invariant CPU
// kernels, so each row's logits are bit for bit those of the same token decoded alone (flash attention skips the
// other sequences' cells, and its sums run over a row's own cells in cache order). Returns TF_OK, TF_ERR_NO_SLOT,
// TF_ERR_ABORTED or TF_ERR_ARG/NATIVE; on failure every row's new cell is removed again.
int32_t tf_session_decode_rows(tf_session * session, const int32_t * tokens, const int32_t * pos, const int32_t * seqs,
                               int32_t n);
// Decode a mixed batch in one call: row i is tokens[i] at position pos[i] in sequence seqs[i], any number of rows per
// sequence (a prompt chunk of one, the next token of others), a sequence's rows at positions that follow one another
// in row order; logits are kept for the rows with logits[i] != 0 (NULL: every row). The rows run the batch-invariant
// kernels when batch_invariant is set, so every row's logits and cells are bit for bit those of its sequence decoded
// alone (with invariant_prompts, in any chunking). 1 <= n <= n_batch. Returns as tf_session_decode_rows; on failure
// every sequence's cells from its first row of this call on are removed again.
int32_t tf_session_decode_batch(tf_session * session, const int32_t * tokens, const int32_t * pos, const int32_t * seqs,
                                const int8_t * logits, int32_t n);
// Logits (n_vocab floats) of row `row` of the last tf_session_decode_rows or tf_session_decode_batch, or NULL (no such
// row, a row that kept no logits, or another decode came after it).
float * tf_session_row_logits(tf_session * session, int32_t row);

// --- embeddings ---
//
// Mean-pooled embedding of tokens[0..n) (a session created with embeddings = true): the text is decoded alone in
// sequence 0 (the cache is cleared first) and out[0..n_embd) receives the mean of the last layer's normalized outputs
// over its tokens (llama.cpp's LLAMA_POOLING_TYPE_MEAN), not normalized. Returns n_embd, -(n_embd) when cap is too
// small (nothing written), or a negative TF_ERR_* (TF_ERR_ARG: not an embedding session, n outside 1..n_batch (llama.cpp
// may round n_ctx up; the batch is what a text must fit), a token id out of range).
int32_t tf_session_embed(tf_session * session, const int32_t * tokens, int32_t n, float * out, int32_t cap);

// --- sparse attention ---
//
// With sparse_policy set, llama.cpp's attention mask hook (patch 0006) gives every sparse layer a custom op that,
// when the graph runs, scores the cached cells against the layer's query (Quest: per page of sparse_page cells an
// upper bound from the page's element-wise key min/max; TidalDecode: q.k at its selection layers, reused by the
// layers after them; TokenSelect: per-head softmax of q.k summed over heads, plus the first sparse_init and last
// sparse_local visible cells), keeps the sparse_budget best per query row and KV head (tfkernels' CSR top-k) and
// writes them as that layer's flash-attention mask, -inf elsewhere: the kernel skips those cells' K and V.
// Counters since the session was created (or the last reset):
struct tf_sparse_stats {
    int64_t rows_read;      // K/V cells attended, summed over layers, query rows and KV heads
    int64_t rows_dense;     // the same for dense attention (every visible cell)
    int64_t select_ns;      // time spent selecting
    int64_t cache_lookups;  // TokenSelect selection-cache lookups
    int64_t cache_hits;     // ... and hits
    int64_t sparse_layers;  // layers whose mask the hook replaced in the last graph built (0: sparse attention is
                            // not active, e.g. flash attention resolved off)
};
// Copies the counters into out (and zeroes them when reset). TF_OK, or TF_ERR_ARG for NULL arguments.
int32_t tf_session_sparse_stats(tf_session * session, struct tf_sparse_stats * out, bool reset);
// 1 while the session keeps its batch-invariance promise (batch_invariant set, flash attention not off, every
// committed tree path moved into position order); 0 otherwise (e.g. KV compression left holes the path could not
// be moved past).
int32_t tf_session_batch_invariant(const tf_session * session);

// --- token trees (speculative decoding) ---
//
// A draft tree of n nodes (1 <= n <= 256): node 0 is the root (the last emitted token, not yet in the cache),
// parents[0] = -1 and 0 <= parents[i] < i. Node i goes to position pos0 + depth(i). Each root-to-leaf path is
// decoded as its own sequence (ids 1..L, L = number of leaves); the cached prefix of sequence 0 (positions
// < pos0) is shared with every path, so node i attends the prefix, its ancestors and itself. Logits are kept
// for every node, one row of n_vocab floats per node in node order (tf_session_tree_logits).
// Returns TF_OK or a negative TF_ERR_*; on failure the cache holds what it held before.
int32_t tf_session_decode_tree(tf_session * session, const int32_t * tokens, const int32_t * parents, int32_t n,
                               int32_t pos0);
// Logits of the last tree decode: n rows of n_vocab floats, or NULL.
float * tf_session_tree_logits(tf_session * session);
// Keep the accepted path (node indices path[0] = 0, path[i+1] a child of path[i]) of the last tree decode:
// its cells join sequence 0 at positions pos0 .. pos0 + len - 1; every other node's cells are removed.
int32_t tf_session_commit_path(tf_session * session, const int32_t * path, int32_t len);
// Where a verification writes its result. path: node indices of the accepted path (capacity n nodes);
// cand_ids: the top-k_cand candidates of every node (n * k_cand ids; may be NULL when k_cand == 0).
struct tf_verify_out {
    int32_t   k_cand;     // [in]  candidates wanted per node (0..64)
    int32_t   n_threads;  // [in]  CPU threads for the kernel
    int32_t * path;       // [out] accepted node indices, path[0] = 0
    int32_t   n_path;     // [out] length of path
    int32_t   bonus;      // [out] the token after the accepted path
    int32_t * cand_ids;   // [out] n * k_cand candidate ids, or NULL
};

// Greedy verification of the last tree decode with tfkernels (see tfkernels.h, tree verification).
int32_t tf_session_verify_greedy(tf_session * session, struct tf_verify_out * out);
// Lossless stochastic verification (sample-and-match): at each node a token is drawn from the distribution the
// plain sampler chain top_k -> top_p -> min_p -> temp of `sampling` would give that node's logits (its penalty and
// seed fields are not used), with uniforms[depth] (one U[0,1) per depth, n entries); descend when a child carries
// it, else it is the bonus.
struct tf_sampler_params;
int32_t tf_session_verify_sample(tf_session * session, const struct tf_sampler_params * sampling,
                                 const float * uniforms, struct tf_verify_out * out);

// Ask a running tf_session_decode on another thread to stop (true), or clear the request (false).
void tf_session_abort(tf_session * session, bool abort);

// KV cache edits (llama_memory_*): remove [p0, p1) of seq (p1 < 0: to the end; seq < 0: all sequences).
bool    tf_memory_seq_rm (tf_session * session, int32_t seq, int32_t p0, int32_t p1);
void    tf_memory_clear  (tf_session * session);
int32_t tf_memory_pos_max(tf_session * session, int32_t seq);  // -1 when empty

// --- TokenRing on a real model (issue 15) ---
//
// Decodes tokens[0..n) alone (the cache is cleared before and after; 1 <= n <= n_ubatch, one micro-batch) while layer
// `layer`'s Q and K (after RoPE), V and attention output are copied out of llama.cpp's graph, then computes that
// layer's causal attention again with tfk_ring_attn as n_devices (1..64) devices would (schedule: 0 Ring-Attention,
// 1 TokenRing; zigzag partitions of the prompt) and compares it with llama.cpp's own output. Needs a session created
// with kv_taps (single stream). For a tight comparison use an F32 KV cache with flash attention off: llama.cpp then
// computes the layer in F32 too. Returns TF_OK, TF_ERR_ARG, or TF_ERR_NATIVE (e.g. a model whose graph does not
// name those tensors).
struct tf_ring_check {
    int32_t n_tokens, n_head, n_head_kv, head_dim;
    double  max_abs_err;         // max |ring - llama.cpp| over the layer's outputs
    double  max_rel_err;         // max_abs_err / max |llama.cpp output|
    double  one_device_rel_err;  // the same against tfk_block_attn of the whole prompt on one device
    int64_t messages, bytes;     // what crossed the simulated links (tfk_ring_stats)
    double  ring_ms;             // tfk_ring_attn's wall time on this machine
    double  llama_decode_ms;     // the whole decode call (all layers) for comparison
};
int32_t tf_session_ring_check(tf_session * session, const int32_t * tokens, int32_t n, int32_t layer,
                              int32_t schedule, int32_t n_devices, struct tf_ring_check * out);

// Sequence states (llama_state_seq_*): the KV cells of one sequence as bytes, for a host-memory prompt cache.
// Bytes the state of seq takes (0 when it is empty), or a negative error code.
int64_t tf_seq_state_size(tf_session * session, int32_t seq);
// Copies seq's state into dst[0..cap): returns the bytes written, or a negative error code (TF_ERR_ARG: cap too small).
int64_t tf_seq_state_get(tf_session * session, int32_t seq, uint8_t * dst, int64_t cap);
// Replaces seq's cells by a state that tf_seq_state_get wrote in a session of the same model, cache types and
// per-sequence layout. Returns TF_OK, or TF_ERR_NO_SLOT / TF_ERR_ARG with seq left empty.
int32_t tf_seq_state_set(tf_session * session, int32_t seq, const uint8_t * src, int64_t n);

// --- KV compression ---------------------------------------------------------------------------------------
//
// Observation-window scoring: arm the taps, decode the window (every query row of that tf_session_decode call is a
// window row; keep the call within one micro-batch, n <= n_ubatch, so all rows see the same cells), then read, per
// armed layer, a[h][j] = sum over window rows of softmax_j(scale * q.k_j + mask) for every cell j of a sequence, in
// position order. Scores are computed by tfkernels where the tensors live (CPU or CUDA), straight from llama.cpp's
// Q, K-cache view and mask (flash attention on or off), never copying the cache. Eviction is llama_memory_seq_rm
// (tf_memory_seq_rm): kept cells keep their positions.

// Score layers[0..n_layers) during the next decode calls (until disarmed or re-armed; results accumulate over the
// calls). n_layers == 0 disarms. Needs a session created with kv_taps. n_threads: CPU scoring threads.
int32_t tf_session_kv_arm(tf_session * session, const int32_t * layers, int32_t n_layers, int32_t n_threads);
int32_t tf_session_kv_disarm(tf_session * session);
// Milliseconds spent in the scoring kernel since the last arm.
double  tf_session_kv_score_ms(const tf_session * session);
// Scores of layers[slot] for the cells of seq with position < pos_end (pos_end < 0: all), in position order:
// out_pos[i] = position, out_scores[h*m + i] = score of head h. Returns m; writes only when cap >= m (call with
// cap 0 to size). *out_n_head (optional) = number of query heads. Fails when the layer was not scored.
int32_t tf_session_kv_scores(tf_session * session, int32_t slot, int32_t seq, int32_t pos_end, int32_t * out_pos,
                             float * out_scores, int32_t cap, int32_t * out_n_head);
// Cells holding seq, counted by llama.cpp's KV cache itself; their positions (sorted) into out_pos when given
// (up to cap). Returns the count.
int32_t tf_session_kv_cells(tf_session * session, int32_t seq, int32_t * out_pos, int32_t cap);
// Bytes of K and V one cell holds over all layers (n_layer * (row(type_k) + row(type_v)), head_dim = n_embd/n_head).
int64_t tf_session_kv_cell_bytes(const tf_session * session);
// tfkernels window aggregation / 1-D pooling on host arrays (see tfkernels.h: tfk_window_aggregate, tfk_pool1d).
// mode: enum tf_window_mode / tf_pool_mode (the values of tfkernels.h's tfk_window_mode / tfk_pool_mode).
enum tf_window_mode { TF_WINDOW_AVG = 0, TF_WINDOW_MAX = 1 };
enum tf_pool_mode { TF_POOL_AVG = 0, TF_POOL_MAX = 1 };
int32_t tf_window_aggregate(const float * scores, int64_t n_head, int64_t n_tokens, int64_t row_stride, int32_t w,
                            int32_t mode, float * out);
int32_t tf_pool1d(const float * in, int64_t n, int32_t kernel, int32_t mode, float * out);

// --- sampler (a llama sampler chain) ---------------------------------------------------------------------

// Chain: penalties(repeat_last_n, repeat_penalty) -> top_k -> top_p -> min_p -> temp -> dist(seed), or greedy
// when temperature <= 0. A stage whose field has its "off" value is left out.
struct tf_sampler_params {
    float    temperature;     // <= 0: greedy (default 0.8)
    int32_t  top_k;           // <= 0: off (default 40)
    float    top_p;           // >= 1: off (default 0.95)
    float    min_p;           // <= 0: off (default 0.05)
    float    repeat_penalty;  // 1: off (default 1)
    int32_t  repeat_last_n;   // tokens the penalty looks back over (default 64)
    uint32_t seed;            // of the final draw (default 0)
};
struct tf_sampler_params tf_sampler_default_params(void);

// params: NULL = defaults. Returns NULL on failure.
tf_sampler * tf_sampler_new(const tf_model * model, const struct tf_sampler_params * params);
void    tf_sampler_free  (tf_sampler * sampler);
void    tf_sampler_accept(tf_sampler * sampler, int32_t token);
// Sample from the session's last logits; returns the token, or a negative TF_ERR_*.
int32_t tf_sampler_sample(tf_sampler * sampler, tf_session * session);
// Sample from row `row` of the last tf_session_decode_rows or _batch (each sequence keeps a sampler of its own).
int32_t tf_sampler_sample_row(tf_sampler * sampler, tf_session * session, int32_t row);

// --- kernels (tfkernels, exposed for the Java layer and its tests) ---------------------------------------

// Top-k of each row of logits (see tfkernels.h). Returns TF_OK or a negative code.
int32_t tf_topk_f32(const float * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride, int32_t k,
                    int32_t * out_ids, float * out_vals, int32_t n_threads);

// Training (tf_trainer_*) has its own header: tokenflow_train.h.

#ifdef __cplusplus
}
#endif

#endif // TOKENFLOW_H

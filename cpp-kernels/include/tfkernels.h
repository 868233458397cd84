// tfkernels.h - the one public header of tfkernels, tokenflow's compute kernels.
//
// Conventions (see cpp-kernels/README.md):
//   - plain pointers + shapes + strides; no llama.cpp / ggml types;
//   - every kernel has a scalar reference (`*_ref`), an optimized CPU version (`*_cpu`) and a CUDA
//     twin (`*_cuda`) with the same leading parameters and exactly the same results;
//   - every entry point returns a tfk_status (0 or a negative code); nothing aborts, throws or prints;
//   - the extern "C" entries (tfk_*) are what Java binds to; namespace tfk is the C++ API.
//
// The C part of this header also compiles as C99.
#ifndef TFKERNELS_H
#define TFKERNELS_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#  if defined(TFK_BUILDING_LIBRARY)
#    define TFK_API __declspec(dllexport)
#  else
#    define TFK_API __declspec(dllimport)
#  endif
#else
#  define TFK_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

// Status codes returned by every entry point.
enum tfk_status {
    TFK_OK             =  0,
    TFK_ERR_BAD_K      = -1, // k < 1, k > TFK_TOPK_MAX_K or k > n_cols
    TFK_ERR_NULL       = -2, // a required pointer is NULL
    TFK_ERR_BAD_SHAPE  = -3, // a count out of range (top-k: n_rows < 0, n_cols < 1, n_cols > INT32_MAX),
                             // or the extent overflows int64
    TFK_ERR_BAD_STRIDE = -4, // a stride smaller than the data it must hold (top-k: row_stride < n_cols),
                             // or (byte strides) not a multiple of the element size
    TFK_ERR_NO_CUDA    = -5, // built without CUDA (TF_CUDA=OFF), or no usable CUDA driver/device
    TFK_ERR_CUDA       = -6, // a CUDA call failed; tfk_cuda_last_error() says which error
    TFK_ERR_NO_MEMORY  = -7, // a host allocation failed
    TFK_ERR_INTERNAL   = -8, // unexpected exception caught at the API boundary (a bug)
    TFK_ERR_BAD_TREE   = -9, // parents[0] != -1, or parents[i] outside [0, i) for some i > 0
    TFK_ERR_BAD_TOKEN  = -10,// a tree token outside [0, n_vocab)
    TFK_ERR_BAD_SAMPLING = -11, // sampling parameters: temperature not finite, top_p or min_p NaN,
                                // or a uniform outside [0, 1) (NaN included)
    TFK_ERR_BAD_LOGITS = -12,// sampling: a row that had to be sampled has no finite maximum (all NaN/-inf,
                             // or a +inf), so its distribution is undefined
    TFK_ERR_BAD_ARG    = -13,// KV-cache scoring: n_head % n_head_kv != 0, an unknown dtype or mode, scale not
                             // finite, w < 1, kernel even or < 1, or a data pointer not aligned to its dtype;
                             // tfk_cuda_pointer_device: a pointer that is not device or managed memory
};

// Largest k the top-k kernels accept.
#define TFK_TOPK_MAX_K 64

// Short English text for a status code (static storage; never NULL).
TFK_API const char * tfk_status_str(int status);

// Instruction set the optimized CPU kernels run with: "avx2" (AVX2 + FMA + F16C code, x86-64 CPUs that
// have them) or "base" (portable code for any CPU of the architecture). Chosen once per process at
// the first kernel call; the environment variable TFK_ISA=base forces "base". Static storage.
TFK_API const char * tfk_cpu_isa(void);

// ---------------------------------------------------------------------------------------------
// Top-k over logit rows.
//
// For each row r in [0, n_rows), selects the k largest of logits[r*row_stride + c], c in [0, n_cols),
// and writes them sorted in descending order:
//   out_ids [r*k + i] = column of the i-th largest value (0-based, < n_cols)
//   out_vals[r*k + i] = that value, copied bit for bit (NaN payloads and the sign of zero survive)
//
// Order (a strict total order, so every implementation returns identical results):
//   - larger value first, compared as IEEE floats: +inf first, -inf after every finite value;
//   - -0.0 and +0.0 are equal;
//   - NaN (any sign or payload) is smaller than every number, -inf included: a NaN is selected only
//     when a row has fewer than k non-NaN values;
//   - equal values (and NaN vs NaN): the smaller column index first.
//
// Parameters (shared by every top-k entry point below):
//   logits     [in]  first element of row 0; row r starts at logits + r*row_stride. Host memory for
//                    *_ref/*_cpu, device (or managed) memory for *_cuda. Never written.
//   n_rows     [in]  number of rows, >= 0 (0 is a no-op that still validates the arguments)
//   n_cols     [in]  values per row, 1 .. INT32_MAX (the kernels target up to ~256k)
//   row_stride [in]  distance between row starts, in elements (not bytes), >= n_cols. Elements
//                    between n_cols and row_stride are never read.
//   k          [in]  how many to keep per row, 1 .. min(TFK_TOPK_MAX_K, n_cols)
//   out_ids    [out] n_rows*k int32, row-major, contiguous; same memory kind as logits
//   out_vals   [out] n_rows*k float, row-major, contiguous; same memory kind as logits
//   n_threads  [in]  CPU threads to use; <= 0 means std::thread::hardware_concurrency(). Threads are
//                    started per call and joined before it returns; inputs under ~512k values per
//                    extra thread use fewer threads than asked (start-up would cost more than the scan).
//   stream     [in]  cudaStream_t to enqueue on, passed as void* (NULL: the legacy default stream)
//
// Outputs must not overlap logits. On an error return nothing has been written. All entry points
// are reentrant. Arguments are validated in this order: pointers, shape, stride, k.
// ---------------------------------------------------------------------------------------------

// Optimized CPU top-k (tfk::topk_cpu). This is the entry Java calls.
TFK_API int tfk_topk_f32(const float * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride,
                         int k, int32_t * out_ids, float * out_vals, int n_threads);

// Scalar reference top-k (tfk::topk_ref): slow, obviously correct; the oracle for tests.
TFK_API int tfk_topk_ref_f32(const float * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride,
                             int k, int32_t * out_ids, float * out_vals);

// CUDA top-k (tfk::topk_cuda) on device pointers. Asynchronous: returns once the work is enqueued
// on `stream`; synchronize before reading the outputs (errors raised while the kernel runs show up
// there). Returns TFK_ERR_NO_CUDA when built without CUDA or when no CUDA device is usable.
TFK_API int tfk_topk_cuda_f32(const float * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride,
                              int k, int32_t * out_ids, float * out_vals, void * stream);

// ---------------------------------------------------------------------------------------------
// Sampling a logit row exactly as llama.cpp's sampler chain does.
//
// The chain is top_k(top_k) -> top_p(top_p, min_keep 1) -> min_p(min_p, min_keep 1) -> temp(temperature)
// -> dist, as tokenflow builds it (native/src/sampler.cpp) from llama.cpp's src/llama-sampler.cpp.
// Each step is reproduced with llama.cpp's float/double arithmetic, in llama.cpp's candidate order,
// including the "sorted" state it carries between steps:
//   - the candidates start as all tokens in id order, unsorted;
//   - top_k (top_k > 0): keeps the min(top_k, n_vocab) largest logits, sorted descending;
//   - top_p (top_p < 1): softmax of the current, untempered logits in the current order (float
//     expf(l - max), float running sum, float divide), sorts descending if not yet sorted, keeps the
//     shortest prefix whose float running sum of p is >= top_p (at least 1 token);
//   - min_p (min_p > 0): min_logit = max + logf(min_p); unsorted: keeps the tokens with logit >=
//     min_logit in their current (id) order and stays unsorted; sorted (or nothing kept): sorts and
//     keeps the prefix with logit >= min_logit (at least 1 token);
//   - temp (temperature != 1): logit /= temperature (float);
//   - dist: p_i = expf(l_i - max) (float), sum in double, target = sum * uniform (double); picks the
//     first candidate, in the current order, whose double running sum is >= target (the last one if
//     none is: only possible with non-finite tempered logits). One candidate left: picks it.
// Given the same uniform as llama.cpp's dist draws (std::uniform_real_distribution<double>(0, 1) on
// its mt19937), the same token is chosen, with two documented exceptions:
//   - exact ties: llama.cpp orders equal logits by std::partial_sort / its bucket sort (unspecified
//     among equal values); tfkernels orders them by smaller token id (-0 == +0). The probability
//     values in candidate order are identical; only which of several exactly tied tokens sits where
//     (and which tied tokens top_k keeps at its cut) can differ.
//   - NaN logits (undefined behaviour in llama.cpp's comparators): tfkernels treats a NaN as -inf
//     (probability 0), ordered after every number, ties by id (the tfk_topk_f32 order).
// A row must have a finite maximum over its non-NaN logits, else TFK_ERR_BAD_LOGITS. Repetition
// penalties and logit biases are not part of this chain: apply them to the logits first.
// temperature <= 0 means greedy: the argmax of tfk_topk_f32 with k = 1 (ties to the smaller id).
//
// Float/double operations are performed in the same order as llama.cpp, with the C library's
// expf/logf, without FMA contraction; results are bit-identical with llama.cpp built by the same
// compiler family against the same libm.
// ---------------------------------------------------------------------------------------------

typedef struct tfk_sampling_params {
    float   temperature; // <= 0: greedy; must be finite (not NaN, not +-inf)
    int32_t top_k;       // <= 0: off
    float   top_p;       // >= 1: off; must not be NaN
    float   min_p;       // <= 0: off; must not be NaN
} tfk_sampling_params;

// Samples one row (host memory, n_vocab values, 1 <= n_vocab <= INT32_MAX): *out_token = the token the
// chain above picks with dist's uniform `uniform` in [0, 1). Validation order: pointers, shape,
// parameters (+ uniform), then the row (TFK_ERR_BAD_LOGITS, not for temperature <= 0).
TFK_API int tfk_sample_f32(const float * row, int64_t n_vocab, const tfk_sampling_params * sp, double uniform,
                           int32_t * out_token);
TFK_API int tfk_sample_ref_f32(const float * row, int64_t n_vocab, const tfk_sampling_params * sp, double uniform,
                               int32_t * out_token);

// CUDA row sampler (tfk::sample_cuda): the token tfk_sample_f32 picks for the same n_vocab, sp and
// uniform, bit for bit, from a row that already lives on the GPU. row (n_vocab floats) and out_token
// (one int32) are DEVICE (or managed) memory; sp is HOST memory. SYNCHRONOUS, like tfk_tree_verify_sample_cuda_f32 and for the same
// reason (the chain's arithmetic runs on the host with glibc's expf/logf): tfk::topk_cuda selects
// the row's best entries on the device (top_k when 1 <= min(top_k, n_vocab) <= 64; n_vocab when
// n_vocab <= 64; 64 when only min_p is on), they come back (<= 512 bytes) and the host samples
// from them; when they cannot determine the result (top_p on the whole row, plain dist, top_k > 64,
// min_p keeping more than 64 tokens) the whole row comes back (n_vocab floats) and tfk_sample_f32's
// code samples it. temperature <= 0: the device top-1 (the argmax). The token is then copied to
// out_token on `stream` (cudaStream_t as void*, NULL: the legacy default stream) and the stream is
// synchronized (work already queued on it, e.g. the row's producer, is waited for).
// Validation: as tfk_sample_f32, same codes in the same order, before any CUDA call; then
// TFK_ERR_NO_CUDA without a usable device, TFK_ERR_CUDA when a CUDA call fails. On an error return
// (TFK_ERR_BAD_LOGITS included) *out_token has not been written.
TFK_API int tfk_sample_cuda_f32(const float * row, int64_t n_vocab, const tfk_sampling_params * sp, double uniform,
                                int32_t * out_token, void * stream);

// The distribution dist samples from: the surviving candidates in dist's order (out_ids[0..*out_n)),
// and out_probs[i] = float(p_i / sum) exactly as llama.cpp's dist leaves them in cur_p->data[i].p
// (1.0f when one candidate is left). out_ids/out_probs need room for n_vocab entries. temperature
// <= 0: one candidate, the argmax, probability 1.
TFK_API int tfk_sampling_probs_f32(const float * row, int64_t n_vocab, const tfk_sampling_params * sp,
                                   int32_t * out_ids, float * out_probs, int32_t * out_n);
TFK_API int tfk_sampling_probs_ref_f32(const float * row, int64_t n_vocab, const tfk_sampling_params * sp,
                                       int32_t * out_ids, float * out_probs, int32_t * out_n);

// ---------------------------------------------------------------------------------------------
// Speculative tree verification (one call per speculative decoding step; ALGORITHMS.md section 2).
//
// The draft tree has n_nodes nodes, 1 <= n_nodes <= TFK_TREE_MAX_NODES. Node 0 is the root (the last
// emitted token); parents[0] == -1 and 0 <= parents[i] < i for i > 0; tokens[i] in [0, n_vocab)
// (tokens[0] is validated but otherwise unused). The children of a node are ordered by node index.
// Row i of logits is the model's next-token logits after node i's path (root ... i).
//
// Greedy: y_u = argmax of row u (the tfk_topk_f32 order with k = 1: ties to the smaller token id, NaN
//   never wins over a number). Starting at u = 0: if a child c of u carries tokens[c] == y_u (the
//   first such child in index order), append c and continue at c; else stop.
// Sample ("sample-and-match", rule A of ALGORITHMS.md section 2, lossless for deterministic
//   children): at node u of depth d (root: depth 0), y_u = the token tfk_sample_f32 picks from row u
//   with uniform = (double) uniforms[d]; descend to the first child carrying y_u, else stop. Each
//   emitted token is then distributed exactly as llama.cpp's chain would sample it at that position.
//   temperature <= 0: exactly the greedy verification (uniforms are still validated).
//
// Outputs:
//   out_path     [out] the accepted node indices [0, c1, ..., ca] (room for n_nodes entries)
//   out_path_len [out] a + 1 (1 when nothing was accepted)
//   out_bonus    [out] y at the last path node: the token to emit after tokens[c1..ca] (the next root)
//   out_cand_ids [out] when k_cand > 0: the top-k_cand token ids of EVERY row (all n_nodes rows, not
//                      only the path), row-major n_nodes*k_cand, in the tfk_topk_f32 order (the rows
//                      Token Recycling writes into its adjacency matrix). May be NULL when k_cand == 0.
//
// Parameters shared with top-k (logits, row_stride = distance between rows in elements, n_threads)
// are as documented there; n_vocab plays n_cols. k_cand: 0 .. min(TFK_TOPK_MAX_K, n_vocab).
// uniforms: one U[0,1) draw per depth, at least n_nodes entries, all validated.
// Arguments are validated in this order: pointers, shape (TFK_ERR_BAD_SHAPE: n_nodes outside
// 1..TFK_TREE_MAX_NODES, n_vocab outside 1..INT32_MAX, extent overflow), stride, k_cand, tree
// (TFK_ERR_BAD_TREE, then TFK_ERR_BAD_TOKEN), sampling parameters and uniforms; sampling rows are
// checked (TFK_ERR_BAD_LOGITS) as the walk reaches them. On an error return nothing has been written.
// ---------------------------------------------------------------------------------------------

#define TFK_TREE_MAX_NODES 256

// Optimized CPU versions (tfk::tree_verify_*_cpu). These are the entries Java calls.
TFK_API int tfk_tree_verify_greedy_f32(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                                       const int32_t * tokens, const int32_t * parents, int32_t k_cand,
                                       int32_t * out_path, int32_t * out_path_len, int32_t * out_bonus,
                                       int32_t * out_cand_ids, int n_threads);
TFK_API int tfk_tree_verify_sample_f32(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                                       const int32_t * tokens, const int32_t * parents, int32_t k_cand,
                                       const tfk_sampling_params * sp, const float * uniforms,
                                       int32_t * out_path, int32_t * out_path_len, int32_t * out_bonus,
                                       int32_t * out_cand_ids, int n_threads);

// Scalar references (tfk::tree_verify_*_ref): the test oracles.
TFK_API int tfk_tree_verify_greedy_ref_f32(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                                           const int32_t * tokens, const int32_t * parents, int32_t k_cand,
                                           int32_t * out_path, int32_t * out_path_len, int32_t * out_bonus,
                                           int32_t * out_cand_ids);
TFK_API int tfk_tree_verify_sample_ref_f32(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                                           const int32_t * tokens, const int32_t * parents, int32_t k_cand,
                                           const tfk_sampling_params * sp, const float * uniforms,
                                           int32_t * out_path, int32_t * out_path_len, int32_t * out_bonus,
                                           int32_t * out_cand_ids);

// CUDA greedy verification (tfk::tree_verify_greedy_cuda). logits and the four outputs are DEVICE
// (or managed) memory; tokens and parents are HOST memory (<= 256 entries each: validated on the host
// and passed to the kernel by value, so they may be reused as soon as the call returns).
// Asynchronous on `stream`: tfk::topk_cuda computes each row's top-max(1, k_cand) on the device, then
// a one-block kernel walks the tree on the device (nothing is copied back; no host synchronization
// unless stream-ordered allocation is unavailable, in which case scratch comes from cudaMalloc and
// the call synchronizes the stream before freeing it). Synchronize before reading the outputs.
TFK_API int tfk_tree_verify_greedy_cuda_f32(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                                            const int32_t * tokens, const int32_t * parents, int32_t k_cand,
                                            int32_t * out_path, int32_t * out_path_len, int32_t * out_bonus,
                                            int32_t * out_cand_ids, void * stream);

// CUDA sample-and-match verification (tfk::tree_verify_sample_cuda): the same results as
// tfk_tree_verify_sample_ref_f32 / tfk_tree_verify_sample_f32, bit for bit. logits and the four
// outputs are DEVICE (or managed) memory; tokens, parents, sp and uniforms are HOST memory.
// SYNCHRONOUS: the host runs the sampling arithmetic (glibc expf/logf, llama.cpp's summation order;
// device expf differs), so the call synchronizes `stream` and returns with the outputs written
// (work already queued on `stream`, e.g. the logits' producer, is waited for). temperature <= 0:
// the greedy verification, also synchronized. Device work and transfers per call:
//   - one tfk::topk_cuda over all rows with K = max(n_top, k_cand) entries per row, where n_top is
//     top_k when 1 <= min(top_k, n_vocab) <= 64; n_vocab when n_vocab <= 64; 64 when only min_p is
//     on; else 0. With n_top > 0 the n_nodes x K ids and values come back at once (<= 128 KiB);
//   - each row the walk visits (at most depth + 1) is sampled on the host from those entries;
//     when they cannot determine the result, that row alone is copied back (n_vocab floats) and
//     sampled by the CPU sampler: always for top_p on the whole row (its softmax sums every token's
//     expf in id order), for plain dist over the whole vocabulary and for top_k > 64, and for min_p
//     alone when more than 64 tokens reach max + logf(min_p);
//   - then the candidates (device to device) and path/len/bonus (host to device).
// Validation: as tfk_tree_verify_sample_f32, same codes in the same order, before any CUDA call.
// On an error return (TFK_ERR_BAD_LOGITS included) nothing has been written.
TFK_API int tfk_tree_verify_sample_cuda_f32(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                                            const int32_t * tokens, const int32_t * parents, int32_t k_cand,
                                            const tfk_sampling_params * sp, const float * uniforms,
                                            int32_t * out_path, int32_t * out_path_len, int32_t * out_bonus,
                                            int32_t * out_cand_ids, void * stream);

// ---------------------------------------------------------------------------------------------
// KV-cache observation-window scoring (ALGORITHMS.md sections 6 WindowKV and 7 SnapKV).
//
// At prefill, the last n_rows prompt tokens (the observation window) attend to all n_kv cells of a
// layer's KV cache; each cell's score is the attention probability it receives, summed over the
// window's rows, per query head. WindowKV aggregates the scores into windows of w consecutive tokens
// (tfk_window_aggregate); SnapKV smooths them with a 1-D pooling (tfk_pool1d). The caller then evicts
// the lowest-scoring cells.
//
// Unlike top-k and tree verification, tfk_window_scores is a floating-point reduction: its versions
// agree within a small relative tolerance, not bit for bit (see tests/test_window_scores.cpp).
// tfk_window_aggregate and tfk_pool1d perform the same double-precision operations in the same
// order in every version, so their versions agree bit for bit.
//
// Memory: *_ref and the optimized entries take host pointers; *_cuda entries take device (or
// managed) pointers for every data array (the tfk_attn_view struct itself is host memory, read
// during the call only) and are asynchronous on `stream` (a cudaStream_t passed as void*, NULL: the
// legacy default stream): synchronize before reading the outputs. Outputs must not overlap inputs.
// On an error return nothing has been written. All entry points are reentrant.
// ---------------------------------------------------------------------------------------------

// Element types of tfk_attn_view's arrays. TFK_F16 is IEEE 754 binary16 (ggml's GGML_TYPE_F16).
typedef enum tfk_dtype { TFK_F32 = 0, TFK_F16 = 1 } tfk_dtype;

// One layer's attention inputs as llama.cpp's graph holds them. Strides are in BYTES; the head_dim
// elements of one (row, head) of q and of one (cell, key head) of k are contiguous. Each data
// pointer must be aligned to its element size (4 bytes F32, 2 bytes F16).
typedef struct tfk_attn_view {
    int64_t head_dim;      // d >= 1: elements per query/key vector
    int64_t n_head;        // query heads >= 1
    int64_t n_head_kv;     // key heads >= 1, n_head % n_head_kv == 0 (GQA); query head h reads key head
                           // h / (n_head / n_head_kv)
    int64_t n_rows;        // query rows (the observation window) >= 0; 0 adds nothing
    int64_t n_kv;          // key cells >= 1
    const void * q;        // query row r, head h: d elements of q_type at q + r*q_row_stride + h*q_head_stride
    tfk_dtype q_type;      // TFK_F32 or TFK_F16
    int64_t q_row_stride;  // bytes between rows; >= d*sizeof(q_type) and a multiple of sizeof(q_type)
    int64_t q_head_stride; // bytes between heads; same constraints as q_row_stride
    const void * k;        // key cell j, key head g: d elements of k_type at k + j*k_cell_stride + g*k_head_stride
    tfk_dtype k_type;      // TFK_F32 or TFK_F16
    int64_t k_cell_stride; // bytes between cells; >= d*sizeof(k_type) and a multiple of sizeof(k_type)
    int64_t k_head_stride; // bytes between key heads; same constraints as k_cell_stride
    const void * mask;     // optional (NULL: no mask): additive mask, row r's n_kv values (usually 0 or -inf,
                           // llama.cpp's KQ mask) at mask + r*mask_row_stride; shared by all heads
    tfk_dtype mask_type;   // TFK_F32 or TFK_F16 (flash attention's mask); ignored when mask is NULL
    int64_t mask_row_stride; // bytes between mask rows; >= n_kv*sizeof(mask_type) and a multiple of it;
                             // ignored when mask is NULL
    float scale;           // logit scale (usually 1/sqrt(d)); must be finite
} tfk_attn_view;

// ---- Sparse attention: TidalDecode and TokenSelect token scores ----
// The "plan" step of two query-aware sparse-attention policies (ALGORITHMS.md sections 9 and 8): score
// every KV cell for the current query rows; the policy then keeps the top-k cells (a shared top-k
// kernel) and attends only to those. Inputs are a tfk_attn_view (q rows x query heads, K cells x key
// heads, optional additive mask shared by all heads, scale; documented above), e.g. the decode token's
// Q (n_rows = 1) or TokenSelect's mean query of a prefill chunk.
//
// TidalDecode (tfk_tidal_scores), per query row r, key head g and cell j:
//   out[(r*n_head_kv + g)*n_kv + j] = max over the query heads h of group g (h / (n_head/n_head_kv) == g)
//                                     of ( scale * dot(q[r,h,:], k[j,g,:]) + mask[r][j] )
//   A masked cell (mask -inf) stays exactly -inf. The paper selects top-k per query head; the attention
//   kernel gathers cells per KEY head under GQA, so a group's query heads are aggregated by max (a
//   cell any of them attends to strongly is kept). With n_head == n_head_kv it is the plain logits.
// TokenSelect (tfk_tokenselect_scores), per query row r and cell j (one score row shared by all heads):
//   out[r*n_kv + j] = sum over ALL query heads h of softmax_j( scale * dot(q[r,h,:], k[j, h/(n_head/n_head_kv), :]) + mask[r][j] )
//   (the "soft vote"): per head a max-subtracted softmax over the row's n_kv cells; a masked cell gets
//   exactly 0 from every head, a fully masked row is all zeros. The paper uses no 1/sqrt(d): pass
//   scale = 1 for it (any finite scale is accepted). Each row of out sums to the number of heads with
//   an unmasked cell (n_head, or 0 for a fully masked row).
// q, k, scale and the mask must be finite except for -inf mask entries (otherwise the outputs are
// unspecified, but nothing crashes). With n_rows == 0 nothing is written.
//
// Parameters:
//   v          [in]  the view (host memory); its data pointers as documented at tfk_attn_view
//   out        [out] floats, row-major: TidalDecode n_rows*n_head_kv*n_kv ([row][key head][cell]),
//                    TokenSelect n_rows*n_kv ([row][cell]); same memory kind as v->q; must not overlap inputs
//   n_threads  [in]  CPU threads; <= 0 means std::thread::hardware_concurrency(). Threads are started per
//                    call; small inputs (under ~2M multiply-adds per extra thread) use fewer threads.
//   stream     [in]  cudaStream_t as void* (NULL: the legacy default stream); *_cuda only
// Validation order: as tfk_window_scores (pointers, shape, arguments, strides, extents), the byte size
// of out included in the extents (TFK_ERR_BAD_SHAPE). On an error return nothing has been written.
//
// Arithmetic and accuracy: _ref computes in double (exact F16 decoding; a product of two floats is
// exact in double) and rounds each output once. _cpu (portable C++, no ISA dispatch) and _cuda form
// the same double dot products (dimension order; a fused multiply-add of an exact product is the same
// sum) and logits (scale*dot, then + mask, unfused), so TidalDecode agrees with _ref within 1e-6
// relative per output (observed: bit for bit), masked cells exactly -inf.
// TokenSelect's _cpu takes exp in double, adds the probabilities of the heads of each job in double,
// rounds them to float, then adds the jobs' floats in double (fixed order, independent of the thread
// count) and rounds once; _cuda merges per-block (max, sum) pairs in double and adds every head's
// probability in double. Both agree with _ref within 1e-6 relative per output (+1.2e-38 absolute for
// outputs that underflow float), independent of the logits' spread (unlike tfk_window_scores, whose
// float dot products make its tolerance grow with it); see tests/test_sparse_scores.cpp.
// Cost: TidalDecode reads K once per (row, key head) in blocks of 1024 cells; TokenSelect's CPU version
// reads K once per (row, run of query heads of a key head) and holds that run's logits in double
// (heads * n_kv * 8 bytes per thread), partial sums are kept for at most ~64 MiB of rows at a time;
// its CUDA version makes two passes over K (per-tile max/sum, then recompute and accumulate) with a
// scratch of 16 bytes per (row, head, 128 cells) (stream-ordered allocation, as tfk_window_scores_cuda).
TFK_API int tfk_tidal_scores(const tfk_attn_view * v, float * out, int n_threads);      // tfk::tidal_scores_cpu
TFK_API int tfk_tidal_scores_ref(const tfk_attn_view * v, float * out);                 // the test oracle
TFK_API int tfk_tidal_scores_cuda(const tfk_attn_view * v, float * out, void * stream); // device pointers, async
TFK_API int tfk_tokenselect_scores(const tfk_attn_view * v, float * out, int n_threads);
TFK_API int tfk_tokenselect_scores_ref(const tfk_attn_view * v, float * out);
TFK_API int tfk_tokenselect_scores_cuda(const tfk_attn_view * v, float * out, void * stream);

// TokenSelect's selection cache (host memory only; one version each, scalar, in double): the last
// selection is reused while the cosine similarity between the current query and the query it was made
// for stays >= theta. A query is row `row` of v->q with all heads concatenated (n_head*head_dim values).
//   tfk_query_copy:   dst[h*head_dim + i] = float(q[row,h,i]) (exact); dst: n_head*head_dim floats,
//                     must not overlap q
//   tfk_query_cosine: *out_cos = dot(q_row, q_cached) / (|q_row| * |q_cached|), in double; 0 when
//                     either norm is 0; NaN in q_cached gives NaN. q_cached: n_head*head_dim floats
//                     (e.g. from tfk_query_copy), 4-byte aligned
// Validation: pointers (out_cos or dst, then as tfk_window_scores with q_cached/dst in the role of out:
// v, v->q, v->k; TFK_ERR_NULL), the view's checks (shape, arguments, strides, extents), then
// row outside [0, n_rows): TFK_ERR_BAD_SHAPE. On an error nothing is written.
TFK_API int tfk_query_cosine(const tfk_attn_view * v, int64_t row, const float * q_cached, double * out_cos);
TFK_API int tfk_query_copy(const tfk_attn_view * v, int64_t row, float * dst);
// ---- end of sparse attention scores ----

// Observation-window attention scores, per query head and key cell:
//   out[h*n_kv + j] (+)= sum over rows r of softmax_j( scale * dot(q[r,h,:], k[j, h/(n_head/n_head_kv), :]) + mask[r][j] )
// The softmax runs over all n_kv cells of the row (max-subtracted). A row whose logits are all -inf
// (fully masked) contributes nothing (no NaN); a -inf logit contributes exactly 0. q, k, scale and
// the mask must be finite except for -inf mask entries (otherwise the outputs are unspecified, but
// nothing crashes). With n_rows == 0 the result is 0 (out unchanged when accumulating).
//
// Parameters:
//   v          [in]  the view above (host memory); its data pointers as documented there
//   out        [out] n_head*n_kv floats, row-major [head][cell]; same memory kind as v->q
//   accumulate [in]  != 0: out += scores (out must hold valid floats); 0: out = scores
//   n_threads  [in]  CPU threads; <= 0 means std::thread::hardware_concurrency(). Threads split the
//                    query heads and are started per call; small inputs (under ~2M multiply-adds per
//                    extra thread) use fewer threads than asked.
//   stream     [in]  as above (*_cuda only)
// Validation order: pointers (v, out, v->q, v->k; TFK_ERR_NULL), shape (counts above; TFK_ERR_BAD_SHAPE),
// arguments (n_head % n_head_kv, dtypes, scale, pointer alignment; TFK_ERR_BAD_ARG), strides
// (TFK_ERR_BAD_STRIDE), then extents (the last byte of q, k, mask or out beyond INT64_MAX: TFK_ERR_BAD_SHAPE).
//
// Accuracy: _ref computes in double and rounds each output once. The optimized CPU version (float dot
// products over blocks of 8 dimensions summed in double, exponents formed in double; AVX2/F16C when the
// CPU has them, tfk_cpu_isa) and the CUDA version (the same arithmetic; a few FP64 operations per 8 FMAs) agree
// with it within 1.5e-6 * max(1, sigma) relative error per element, sigma = scale*sqrt(d)*rms(q)*rms(k)
// being the spread of the logits (about 1 for typical inputs; see tests/test_window_scores.cpp).

// Optimized CPU version (tfk::window_scores_cpu). This is the entry Java calls.
TFK_API int tfk_window_scores(const tfk_attn_view * v, float * out, int accumulate, int n_threads);
// Scalar reference in double precision (tfk::window_scores_ref): the test oracle.
TFK_API int tfk_window_scores_ref(const tfk_attn_view * v, float * out, int accumulate);
// CUDA version (tfk::window_scores_cuda): q, k, mask and out are device pointers. Uses a small
// scratch buffer (stream-ordered allocation; when memory pools are unavailable it falls back to
// cudaMalloc and synchronizes the stream before freeing it). Deterministic (no atomics).
TFK_API int tfk_window_scores_cuda(const tfk_attn_view * v, float * out, int accumulate, void * stream);

// WindowKV window aggregation (ALGORITHMS.md section 6).
//   scores     [in]  n_head rows of n_tokens values, row h at scores + h*row_stride, tokens in position order
//   n_head     [in]  rows (heads), >= 1
//   n_tokens   [in]  tokens per row, >= 0 (0: no windows, nothing written)
//   row_stride [in]  distance between rows in elements (not bytes), >= n_tokens
//   w          [in]  window length, >= 1. Windows W_m = [m*w, min((m+1)*w, n_tokens)), m = 0..ceil(n_tokens/w)-1
//   mode       [in]  TFK_WINDOW_AVG: out[m] = mean over heads and tokens of W_m;
//                    TFK_WINDOW_MAX: out[m] = mean over heads of (mean of the top-t values of scores[h][W_m]),
//                    t = min(max(1, w/2), |W_m|)
//   out        [out] ceil(n_tokens/w) floats
//   stream     [in]  as above (*_cuda only)
// Arithmetic (identical in every version, so results agree bit for bit): per window, in double,
// for h = 0..n_head-1 in order: AVG adds the head's sum over W_m (tokens in order); MAX adds the
// head's mean of its top t values (summed largest first); the total is divided by n_head*|W_m| (AVG)
// or n_head (MAX) and rounded to float once. NaN scores give unspecified results.
// Validation order: pointers, shape (n_head < 1, n_tokens < 0, extent overflow), stride, then
// w and mode (TFK_ERR_BAD_ARG).
enum tfk_window_mode { TFK_WINDOW_AVG = 0, TFK_WINDOW_MAX = 1 };
TFK_API int tfk_window_aggregate(const float * scores, int64_t n_head, int64_t n_tokens, int64_t row_stride,
                                 int w, int mode, float * out);
TFK_API int tfk_window_aggregate_ref(const float * scores, int64_t n_head, int64_t n_tokens, int64_t row_stride,
                                     int w, int mode, float * out);
TFK_API int tfk_window_aggregate_cuda(const float * scores, int64_t n_head, int64_t n_tokens, int64_t row_stride,
                                      int w, int mode, float * out, void * stream);

// SnapKV 1-D pooling along tokens (ALGORITHMS.md section 7): stride 1, padding kernel/2, output
// length n, like torch's avg_pool1d (count_include_pad=True: padded zeros count in the average) and
// max_pool1d (padding ignored). For i in [0, n), over t in [i - kernel/2, i + kernel/2]:
//   TFK_POOL_AVG: out[i] = (sum of in[t] for t in [0, n), in double, t ascending) / kernel, rounded to float once
//   TFK_POOL_MAX: out[i] = max of in[t] for t in [0, n) (NaN inputs give unspecified results)
//   in     [in]  n floats
//   n      [in]  >= 0 (0: nothing written)
//   kernel [in]  odd, >= 1 (may exceed n)
//   mode   [in]  TFK_POOL_AVG or TFK_POOL_MAX
//   out    [out] n floats, must not overlap in
//   stream [in]  as above (*_cuda only)
// Every version performs the same operations, so results agree bit for bit.
// Validation order: pointers, shape (n < 0), then kernel and mode (TFK_ERR_BAD_ARG).
enum tfk_pool_mode { TFK_POOL_AVG = 0, TFK_POOL_MAX = 1 };
TFK_API int tfk_pool1d(const float * in, int64_t n, int kernel, int mode, float * out);
TFK_API int tfk_pool1d_ref(const float * in, int64_t n, int kernel, int mode, float * out);
TFK_API int tfk_pool1d_cuda(const float * in, int64_t n, int kernel, int mode, float * out, void * stream);

// ---- Sparse attention: Quest page metadata and scores, and top-k selection (CSR) ----
// Quest (ALGORITHMS.md section 10): the K cache is cut into pages of P = page_size consecutive cells,
// page p = cells [p*P, min((p+1)*P, n_kv)), n_pages = ceil(n_kv / P). Per page and key head the
// element-wise min m and max M of the (post-RoPE) keys bound q.k from above:
//   U(q, p) = sum_d max(q_d*m_d, q_d*M_d) >= q.k for every key k of the page.
// Decode scores the pages (tfk_quest_page_scores), tfk_select_topk picks the best pages per (row, key
// head) as CSR lists (FlashInfer's habit; usable by any sparse policy), and attention reads only their cells.
// Memory: *_ref and the optimized entries take host pointers; *_cuda take device (or managed) pointers
// for every array (the tfk_attn_view struct itself is host memory, read during the call) and are
// asynchronous on `stream` (cudaStream_t as void*, NULL: the legacy default stream). Results of the
// three versions are identical bit for bit, except tfk_quest_page_scores' optimized CPU version (see
// there). On an error return nothing has been written. Reentrant.
// n_threads: CPU threads, <= 0 means std::thread::hardware_concurrency(); small inputs use fewer.
//
// tfk_quest_page_meta: for pages p in [page_begin, page_end), every key head g and dimension i:
//   mins[(p*n_head_kv + g)*d + i] = min, maxs[...] = max of k[j, g, i] over the page's VALID cells j,
// scanned in ascending order (x < min / x > max; NaN key values are ignored; of -0 and +0 the first seen
// stays). A cell is valid when v->mask is NULL or mask row 0's value at the cell is not -inf (llama.cpp's
// KQ mask: -inf = empty or not visible). A page without a valid cell gets mins = +inf, maxs = -inf.
//   v          [in]  uses head_dim, n_head_kv, n_kv, k/k_type/k_cell_stride/k_head_stride and the mask
//                    fields (row 0 only); n_head, n_rows, q*, scale are ignored. K is F16 or F32 (exact).
//   page_size  [in]  P >= 1 (Quest's default 16)
//   page_begin, page_end [in] 0 <= page_begin <= page_end <= n_pages; only these pages are written, so
//                    callers update incrementally (after appending tokens, recompute the last page(s))
//   mins, maxs [out] n_pages*n_head_kv*d floats each (the whole cache's layout), 4-byte aligned
// Validation order: pointers (v, mins, maxs, v->k: TFK_ERR_NULL), shape (head_dim, n_head_kv, n_kv,
// page_size < 1, the page range, byte sizes beyond int64: TFK_ERR_BAD_SHAPE), arguments (k/mask dtype,
// alignment: TFK_ERR_BAD_ARG), strides (k's, mask_row_stride: TFK_ERR_BAD_STRIDE), extents (BAD_SHAPE).
TFK_API int tfk_quest_page_meta(const tfk_attn_view * v, int64_t page_size, int64_t page_begin, int64_t page_end,
                                float * mins, float * maxs, int n_threads);
TFK_API int tfk_quest_page_meta_ref(const tfk_attn_view * v, int64_t page_size, int64_t page_begin, int64_t page_end,
                                    float * mins, float * maxs);
TFK_API int tfk_quest_page_meta_cuda(const tfk_attn_view * v, int64_t page_size, int64_t page_begin, int64_t page_end,
                                     float * mins, float * maxs, void * stream);
//
// tfk_quest_page_scores: for each query row r, key head g and page p < n_pages:
//   out[(r*n_head_kv + g)*n_pages + p] = max over the query heads h of group g (h / (n_head/n_head_kv) == g)
//                                        of U(q[r, h], p), and -inf when page p is empty (!(m_0 <= M_0)).
// U is an upper bound of max over the page's valid cells j of q[r,h].k[j,g] for EVERY head h of the group
// (unscaled: v->scale is ignored; multiply by a positive scale afterwards if needed, the order is the
// same). Arithmetic of _ref and _cuda (identical bit for bit): per dimension in ascending order, in
// double, the exact term 0 if q_d == 0 (no NaN from an infinite bound) else max(q_d*m_d, q_d*M_d); the
// double sum is rounded toward +inf to float. So the score is >= the double-evaluated q.k up to double
// rounding (~d * 2^-53 * sum_d |q_d*k_d|). The optimized CPU version forms the terms and their sum in
// float (8 SIMD lanes; AVX2 when the CPU has it, tfk_cpu_isa) and adds a bound on that rounding,
// (d+2) * 2^-23 * sum_d |term_d| + d * 2^-149, before rounding up: its score is >= _ref's and exceeds it
// by at most ~(d+2) * 2^-22 * sum_d |term_d| (about 2e-5 relative to that sum at d = 64; the order of
// pages moves only among near-ties), independent of the thread count; it reads the bounds in place
// (cpu/quest_scores_cpu.cpp). q, mins and maxs of non-empty pages must be finite (else unspecified).
//   v          [in]  uses head_dim, n_head, n_head_kv, n_rows (>= 0; 0 writes nothing), n_kv (with
//                    page_size, bounds n_pages) and q/q_type/q strides; k, mask and scale are ignored
//   mins, maxs [in]  as written by tfk_quest_page_meta (pages [0, n_pages) must be up to date)
//   page_size  [in]  P >= 1
//   n_pages    [in]  0 .. ceil(n_kv / P): the pages to score (0 writes nothing)
//   out        [out] n_rows*n_head_kv*n_pages floats, 4-byte aligned
// Validation order: pointers (v, mins, maxs, out, v->q), shape (counts, n_pages, byte sizes), arguments
// (n_head % n_head_kv, q dtype, alignment: TFK_ERR_BAD_ARG), strides (q's), extents (q; BAD_SHAPE).
TFK_API int tfk_quest_page_scores(const tfk_attn_view * v, const float * mins, const float * maxs, int64_t page_size,
                                  int64_t n_pages, float * out, int n_threads);
TFK_API int tfk_quest_page_scores_ref(const tfk_attn_view * v, const float * mins, const float * maxs,
                                      int64_t page_size, int64_t n_pages, float * out);
TFK_API int tfk_quest_page_scores_cuda(const tfk_attn_view * v, const float * mins, const float * maxs,
                                       int64_t page_size, int64_t n_pages, float * out, void * stream);
//
// tfk_select_topk: for each list i (scores + i*row_stride, n_cols values), the k largest entries,
// EXCLUDING -inf and NaN (a masked cell or an empty page is never selected; +inf is selected); when fewer
// than k entries qualify, all that qualify. Ties (-0 == +0): the lower column wins. Output in CSR:
//   indptr[0] = 0, indptr[i+1] = indptr[i] + (count of list i);
//   indices[indptr[i] .. indptr[i+1]) = the selected columns in ASCENDING order.
//   scores     [in]  n_lists rows; elements between n_cols and row_stride are never read
//   n_lists    [in]  >= 0 (0: indptr[0] = 0 only)
//   n_cols     [in]  1 .. INT32_MAX (targets up to 64k)
//   row_stride [in]  elements between list starts, >= n_cols
//   k          [in]  >= 1; k >= n_cols means every qualifying entry (dense)
//   indptr     [out] n_lists + 1 int64
//   indices    [out] room for n_lists*min(k, n_cols) int32 (used as scratch slots by the optimized
//                    versions: entries past indptr[n_lists] are unspecified afterwards)
// The CPU version uses std::nth_element per list (threads over lists); the CUDA version one block per
// list (radix select on 32-bit keys) plus two small launches and a scratch buffer of
// n_lists*(min(k, n_cols)*4 + 8) bytes (stream-ordered allocation, else cudaMalloc and a stream sync).
// Validation order: pointers (scores, indptr, indices), shape (n_lists < 0, n_cols outside 1..INT32_MAX,
// sizes beyond int64), stride (row_stride < n_cols: TFK_ERR_BAD_STRIDE), k (k < 1: TFK_ERR_BAD_K).
TFK_API int tfk_select_topk(const float * scores, int64_t n_lists, int64_t n_cols, int64_t row_stride, int64_t k,
                            int64_t * indptr, int32_t * indices, int n_threads);
TFK_API int tfk_select_topk_ref(const float * scores, int64_t n_lists, int64_t n_cols, int64_t row_stride, int64_t k,
                                int64_t * indptr, int32_t * indices);
TFK_API int tfk_select_topk_cuda(const float * scores, int64_t n_lists, int64_t n_cols, int64_t row_stride, int64_t k,
                                 int64_t * indptr, int32_t * indices, void * stream);

// ---- Exact sequence-parallel attention: block attention with log-sum-exp, and the merge (TokenRing) ----
// ALGORITHMS.md section 11. A long sequence's attention split over P devices is a sum of block results: each device
// attends a block of queries to a block of keys and returns (out, lse); merging the partials of every key block
// gives the attention over all keys exactly. The block view (all arrays float32, host or device memory):
typedef struct tfk_block_view {
    int64_t head_dim;      // d of q and k, >= 1
    int64_t head_dim_v;    // dv of v and out, >= 1
    int64_t n_head;        // query heads, >= 1
    int64_t n_head_kv;     // key/value heads, >= 1, divides n_head (GQA: head h reads kv head h / (n_head/n_head_kv))
    int64_t n_q;           // query rows, >= 0
    int64_t n_kv;          // key rows, >= 0
    const float * q;       // row i, head h: d floats at q + i*q_row_stride + h*q_head_stride
    int64_t q_row_stride, q_head_stride;   // in floats, >= d each (any order of rows and heads)
    const float * k;       // key row j, kv head g: d floats at k + j*k_row_stride + g*k_head_stride
    int64_t k_row_stride, k_head_stride;
    const float * v;       // value row j, kv head g: dv floats at v + j*v_row_stride + g*v_head_stride
    int64_t v_row_stride, v_head_stride;
    int32_t causal;        // 0: every key is visible; 1: key j is visible to query i iff k_pos0 + j <= q_pos0 + i
    int64_t q_pos0, k_pos0;  // sequence positions of query row 0 and key row 0 (used when causal)
    float   scale;         // logit scale (usually 1/sqrt(d)), finite
} tfk_block_view;
//
// tfk_block_attn: for every query row i and head h, over the visible keys j (logit s_j = scale * q.k_j):
//   lse[i*n_head + h] = log sum_j exp(s_j)          (natural log; -inf when no key is visible)
//   out[(i*n_head + h)*dv + c] = sum_j exp(s_j - lse) * v_j[c]     (0 when no key is visible)
// Arithmetic: _ref in double (max-subtracted), rounded once per output. The optimized CPU version forms the dot
// products in float (8 lanes, AVX2 when the CPU has it) and the softmax and the weighted sum of values in double;
// _cuda the same (one block per query row and head). Both agree with _ref within 1e-5 relative per output
// (+1e-6 * max|v| absolute for outputs that cancel), the lse within 1e-5 absolute for logits of moderate size
// (|s| * d * 2^-24 relative error of a float dot product; see tests/test_block_attn.cpp).
//   out [out] n_q * n_head * dv floats, lse [out] n_q * n_head floats; must not overlap the inputs
//   n_threads: CPU threads (<= 0: all cores; small inputs use fewer). stream: cudaStream_t as void* (_cuda only).
// Validation order: pointers (v, out, lse; q/k/v when the corresponding count is > 0: TFK_ERR_NULL), shape (counts,
// n_head % n_head_kv, byte sizes: TFK_ERR_BAD_SHAPE), arguments (causal not 0/1, scale not finite: TFK_ERR_BAD_ARG),
// strides (< d or < dv: TFK_ERR_BAD_STRIDE). On an error nothing is written. n_q == 0 writes nothing.
TFK_API int tfk_block_attn(const tfk_block_view * v, float * out, float * lse, int n_threads);
TFK_API int tfk_block_attn_ref(const tfk_block_view * v, float * out, float * lse);
TFK_API int tfk_block_attn_cuda(const tfk_block_view * v, float * out, float * lse, void * stream);
//
// tfk_attn_merge: merges partial results b into a, row by row (n_rows rows of dv values and one lse each):
//   lse' = log(exp(lse_a) + exp(lse_b)),  out' = exp(lse_a - lse') * out_a + exp(lse_b - lse') * out_b
// in the stable form (ALGORITHMS.md 11(c)): with m = max(lse_a, lse_b), lse' = m + log1p(exp(min - m)); a row
// whose lse is -inf (no visible key) contributes nothing, two such rows stay (0, -inf). Computed in double and
// rounded once; commutative bit for bit, associative up to rounding (within 1e-6 relative). _cuda evaluates the
// same formula with the device's exp/log1p (within 1 ulp of the CPU version). out_a/lse_a [in,out], out_b/lse_b
// [in]; a and b may not overlap.
// Validation: pointers (TFK_ERR_NULL unless n_rows == 0), n_rows < 0 or dv < 1 or size overflow (TFK_ERR_BAD_SHAPE).
TFK_API int tfk_attn_merge(float * out_a, float * lse_a, const float * out_b, const float * lse_b, int64_t n_rows,
                           int64_t dv);
TFK_API int tfk_attn_merge_cuda(float * out_a, float * lse_a, const float * out_b, const float * lse_b, int64_t n_rows,
                                int64_t dv, void * stream);
//
// tfk_ring_attn: the attention of a whole sequence (v: n_q == n_kv == n rows of q, k and v at positions 0..n-1,
// q_pos0 == k_pos0 == 0; causal or not) computed as P devices would compute it, by one of two schedules:
//   TFK_RING_ATTENTION: each device keeps its queries; key/value blocks rotate one hop per step (P steps, P-1 hops);
//   TFK_TOKEN_RING:     each device keeps its keys/values; query blocks travel one hop per step and every partial
//                       result (out, lse) goes straight back to the query's owner (ALGORITHMS.md 11(c)).
// Split: non-causal, P contiguous parts (sizes differ by at most one row); causal, 2P chunks and device r holds
// chunks r and 2P-1-r (zigzag: every step is balanced). Causal TokenRing sends a query block's second chunk only
// once it has wrapped past device 0 (the first chunk has nothing left to see). The P devices are worker threads;
// every byte that would cross a link is copied through per-device message buffers and counted in *stats.
// out/lse come back un-zigzagged in sequence order, as tfk_block_attn of the whole sequence gives them (within its
// 1e-5 tolerances: the partials are merged in another order).
//   schedule    TFK_RING_ATTENTION or TFK_TOKEN_RING;  n_devices  P in 1..64 (P > n: some devices hold no rows)
//   stats [out] (optional) messages and bytes by kind; steps = P
// Validation: as tfk_block_attn, then n_q != n_kv, positions not 0, schedule or P out of range: TFK_ERR_BAD_ARG.
typedef struct tfk_ring_stats {
    int64_t steps;            // compute steps (P)
    int64_t q_messages,  q_bytes;    // query blocks sent (TokenRing)
    int64_t kv_messages, kv_bytes;   // key/value blocks sent (Ring-Attention)
    int64_t out_messages, out_bytes; // partial results (out + lse) sent back (TokenRing)
} tfk_ring_stats;
enum tfk_ring_schedule { TFK_RING_ATTENTION = 0, TFK_TOKEN_RING = 1 };
TFK_API int tfk_ring_attn(const tfk_block_view * v, int schedule, int n_devices, float * out, float * lse,
                          tfk_ring_stats * stats);
//
// tfk_ring_attn_cuda: tfk_ring_attn with every device computing on a GPU (same arguments, split, schedules, output
// and *stats, which equal tfk_ring_attn's exactly). v's arrays, out and lse are HOST memory; the call returns when
// the result is in out/lse. With at least P CUDA devices, device r is GPU r and messages are peer copies (peer
// access enabled where cudaDeviceCanAccessPeer allows it, and left enabled; else the runtime stages the copy); with
// fewer, the P devices are P stream pairs (compute, link) on GPU 0 and messages are device-to-device copies. Every
// message is a copy into the receiver's own buffer, ordered by CUDA events; a device sends its next block while it
// computes on it. Block attention and merges are tfk_block_attn_cuda / tfk_attn_merge_cuda (same tolerances as
// tfk_ring_attn). The caller's current CUDA device is restored.
// Validation: as tfk_ring_attn; then TFK_ERR_NO_CUDA when built without CUDA or no device is usable, TFK_ERR_CUDA
// when a CUDA call fails (tfk_cuda_last_error says which). On an error out/lse may be partly written.
TFK_API int tfk_ring_attn_cuda(const tfk_block_view * v, int schedule, int n_devices, float * out, float * lse,
                               tfk_ring_stats * stats);
// ---- end of exact sequence-parallel attention ----

// ---------------------------------------------------------------------------------------------
// CUDA helpers. All return TFK_ERR_NO_CUDA when built without CUDA.
// ---------------------------------------------------------------------------------------------

// 1 if built with CUDA and at least one CUDA device is usable, else 0. Never fails.
TFK_API int tfk_cuda_available(void);

// Text of the last CUDA error seen by this thread inside tfkernels ("" if none; a fixed note when
// built without CUDA). Static storage; never NULL.
TFK_API const char * tfk_cuda_last_error(void);

// Device memory helpers, so callers without the CUDA headers (Java, the tests) can stage data.
TFK_API int tfk_cuda_malloc(void ** ptr, size_t bytes);                        // *ptr = NULL on error
TFK_API int tfk_cuda_free(void * ptr);                                         // NULL is fine
TFK_API int tfk_cuda_memcpy_h2d(void * dst, const void * src, size_t bytes);  // synchronous
TFK_API int tfk_cuda_memcpy_d2h(void * dst, const void * src, size_t bytes);  // synchronous
TFK_API int tfk_cuda_synchronize(void * stream);                               // NULL: default stream

// Device selection, so a caller without the CUDA headers (Java) can run kernels on the GPU that
// holds its data: the *_cuda entries work on the calling thread's current device.
// tfk_cuda_set_device: cudaSetDevice(device) for the calling thread. An index outside
// [0, device count): TFK_ERR_CUDA (tfk_cuda_last_error says "invalid device ordinal").
TFK_API int tfk_cuda_set_device(int device);
// tfk_cuda_pointer_device: *device = the CUDA device that owns ptr (device memory, or managed memory:
// the device it was allocated against). TFK_ERR_NULL when ptr or device is NULL; TFK_ERR_BAD_ARG when
// ptr is host memory (pageable, pinned or registered) or unknown to CUDA. *device is written only on
// success.
TFK_API int tfk_cuda_pointer_device(const void * ptr, int * device);

#ifdef __cplusplus
} // extern "C"

namespace tfk {

// Sparse attention token scores (TidalDecode, TokenSelect) and TokenSelect's selection-cache helpers;
// parameters and semantics as documented above tfk_tidal_scores.
TFK_API int tidal_scores_ref (const tfk_attn_view * v, float * out) noexcept;
TFK_API int tidal_scores_cpu (const tfk_attn_view * v, float * out, int n_threads) noexcept;
TFK_API int tidal_scores_cuda(const tfk_attn_view * v, float * out, void * stream) noexcept;
TFK_API int tokenselect_scores_ref (const tfk_attn_view * v, float * out) noexcept;
TFK_API int tokenselect_scores_cpu (const tfk_attn_view * v, float * out, int n_threads) noexcept;
TFK_API int tokenselect_scores_cuda(const tfk_attn_view * v, float * out, void * stream) noexcept;
TFK_API int query_cosine(const tfk_attn_view * v, int64_t row, const float * q_cached, double * out_cos) noexcept;
TFK_API int query_copy  (const tfk_attn_view * v, int64_t row, float * dst) noexcept;

constexpr int kTopkMaxK = TFK_TOPK_MAX_K;

// Top-k over logit rows; parameters and semantics as documented above tfk_topk_f32.
TFK_API int topk_ref (const float * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride,
                      int k, int32_t * out_ids, float * out_vals) noexcept;
TFK_API int topk_cpu (const float * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride,
                      int k, int32_t * out_ids, float * out_vals, int n_threads) noexcept;
TFK_API int topk_cuda(const float * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride,
                      int k, int32_t * out_ids, float * out_vals, void * stream) noexcept;

// Single-row sampling (see tfk_sample_f32 / tfk_sampling_probs_f32).
TFK_API int sample_ref(const float * row, int64_t n_vocab, const tfk_sampling_params * sp, double uniform,
                       int32_t * out_token) noexcept;
TFK_API int sample_cpu(const float * row, int64_t n_vocab, const tfk_sampling_params * sp, double uniform,
                       int32_t * out_token) noexcept;
TFK_API int sample_cuda(const float * row, int64_t n_vocab, const tfk_sampling_params * sp, double uniform,
                        int32_t * out_token, void * stream) noexcept;
TFK_API int sampling_probs_ref(const float * row, int64_t n_vocab, const tfk_sampling_params * sp,
                               int32_t * out_ids, float * out_probs, int32_t * out_n) noexcept;
TFK_API int sampling_probs_cpu(const float * row, int64_t n_vocab, const tfk_sampling_params * sp,
                               int32_t * out_ids, float * out_probs, int32_t * out_n) noexcept;

// Tree verification; parameters and semantics as documented above tfk_tree_verify_greedy_f32.
TFK_API int tree_verify_greedy_ref(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                                   const int32_t * tokens, const int32_t * parents, int32_t k_cand,
                                   int32_t * out_path, int32_t * out_path_len, int32_t * out_bonus,
                                   int32_t * out_cand_ids) noexcept;
TFK_API int tree_verify_greedy_cpu(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                                   const int32_t * tokens, const int32_t * parents, int32_t k_cand,
                                   int32_t * out_path, int32_t * out_path_len, int32_t * out_bonus,
                                   int32_t * out_cand_ids, int n_threads) noexcept;
TFK_API int tree_verify_greedy_cuda(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                                    const int32_t * tokens, const int32_t * parents, int32_t k_cand,
                                    int32_t * out_path, int32_t * out_path_len, int32_t * out_bonus,
                                    int32_t * out_cand_ids, void * stream) noexcept;
TFK_API int tree_verify_sample_ref(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                                   const int32_t * tokens, const int32_t * parents, int32_t k_cand,
                                   const tfk_sampling_params * sp, const float * uniforms,
                                   int32_t * out_path, int32_t * out_path_len, int32_t * out_bonus,
                                   int32_t * out_cand_ids) noexcept;
TFK_API int tree_verify_sample_cpu(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                                   const int32_t * tokens, const int32_t * parents, int32_t k_cand,
                                   const tfk_sampling_params * sp, const float * uniforms,
                                   int32_t * out_path, int32_t * out_path_len, int32_t * out_bonus,
                                   int32_t * out_cand_ids, int n_threads) noexcept;
TFK_API int tree_verify_sample_cuda(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                                    const int32_t * tokens, const int32_t * parents, int32_t k_cand,
                                    const tfk_sampling_params * sp, const float * uniforms,
                                    int32_t * out_path, int32_t * out_path_len, int32_t * out_bonus,
                                    int32_t * out_cand_ids, void * stream) noexcept;

// KV-cache observation-window scoring; parameters and semantics as documented above tfk_window_scores.
TFK_API int window_scores_ref (const tfk_attn_view * v, float * out, int accumulate) noexcept;
TFK_API int window_scores_cpu (const tfk_attn_view * v, float * out, int accumulate, int n_threads) noexcept;
TFK_API int window_scores_cuda(const tfk_attn_view * v, float * out, int accumulate, void * stream) noexcept;
TFK_API int window_aggregate_ref (const float * scores, int64_t n_head, int64_t n_tokens, int64_t row_stride,
                                  int w, int mode, float * out) noexcept;
TFK_API int window_aggregate_cpu (const float * scores, int64_t n_head, int64_t n_tokens, int64_t row_stride,
                                  int w, int mode, float * out) noexcept;
TFK_API int window_aggregate_cuda(const float * scores, int64_t n_head, int64_t n_tokens, int64_t row_stride,
                                  int w, int mode, float * out, void * stream) noexcept;
TFK_API int pool1d_ref (const float * in, int64_t n, int kernel, int mode, float * out) noexcept;
TFK_API int pool1d_cpu (const float * in, int64_t n, int kernel, int mode, float * out) noexcept;
TFK_API int pool1d_cuda(const float * in, int64_t n, int kernel, int mode, float * out, void * stream) noexcept;

// Same as tfk_cuda_available() != 0.
TFK_API bool cuda_available() noexcept;


// Sparse attention: Quest page metadata/scores and top-k selection (CSR); see tfk_quest_page_meta.
TFK_API int quest_page_meta_ref (const tfk_attn_view * v, int64_t page_size, int64_t page_begin, int64_t page_end,
                                 float * mins, float * maxs) noexcept;
TFK_API int quest_page_meta_cpu (const tfk_attn_view * v, int64_t page_size, int64_t page_begin, int64_t page_end,
                                 float * mins, float * maxs, int n_threads) noexcept;
TFK_API int quest_page_meta_cuda(const tfk_attn_view * v, int64_t page_size, int64_t page_begin, int64_t page_end,
                                 float * mins, float * maxs, void * stream) noexcept;
TFK_API int quest_page_scores_ref (const tfk_attn_view * v, const float * mins, const float * maxs, int64_t page_size,
                                   int64_t n_pages, float * out) noexcept;
TFK_API int quest_page_scores_cpu (const tfk_attn_view * v, const float * mins, const float * maxs, int64_t page_size,
                                   int64_t n_pages, float * out, int n_threads) noexcept;
TFK_API int quest_page_scores_cuda(const tfk_attn_view * v, const float * mins, const float * maxs, int64_t page_size,
                                   int64_t n_pages, float * out, void * stream) noexcept;
TFK_API int select_topk_ref (const float * scores, int64_t n_lists, int64_t n_cols, int64_t row_stride, int64_t k,
                             int64_t * indptr, int32_t * indices) noexcept;
TFK_API int select_topk_cpu (const float * scores, int64_t n_lists, int64_t n_cols, int64_t row_stride, int64_t k,
                             int64_t * indptr, int32_t * indices, int n_threads) noexcept;
TFK_API int select_topk_cuda(const float * scores, int64_t n_lists, int64_t n_cols, int64_t row_stride, int64_t k,
                             int64_t * indptr, int32_t * indices, void * stream) noexcept;

// Exact sequence-parallel attention: see tfk_block_attn / tfk_attn_merge.
TFK_API int block_attn_ref (const tfk_block_view * v, float * out, float * lse) noexcept;
TFK_API int block_attn_cpu (const tfk_block_view * v, float * out, float * lse, int n_threads) noexcept;
TFK_API int block_attn_cuda(const tfk_block_view * v, float * out, float * lse, void * stream) noexcept;
TFK_API int ring_attn(const tfk_block_view * v, int schedule, int n_devices, float * out, float * lse,
                      tfk_ring_stats * stats) noexcept;
TFK_API int ring_attn_cuda(const tfk_block_view * v, int schedule, int n_devices, float * out, float * lse,
                           tfk_ring_stats * stats) noexcept;
TFK_API int attn_merge_cpu (float * out_a, float * lse_a, const float * out_b, const float * lse_b, int64_t n_rows,
                            int64_t dv) noexcept;
TFK_API int attn_merge_cuda(float * out_a, float * lse_a, const float * out_b, const float * lse_b, int64_t n_rows,
                            int64_t dv, void * stream) noexcept;

} // namespace tfk
#endif // __cplusplus

#endif // TFKERNELS_H

// Internal to libtokenflow: the handle structs and error helpers shared by the facade's source files.
#ifndef TOKENFLOW_FACADE_INTERNAL_H
#define TOKENFLOW_FACADE_INTERNAL_H

#include "ggml.h"
#include "kv_tap.h"
#include "sparse.h"
#include "llama.h"
#include "tokenflow.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace tfi {

inline thread_local std::string g_last_error;

// Record msg as this thread's last error and return code (or NULL).
inline int32_t fail(int32_t code, const std::string & msg) {
    g_last_error = msg;
    return code;
}

template <typename T> T * fail_null(const std::string & msg) {
    g_last_error = msg;
    return nullptr;
}

// Copy a string into a caller buffer; returns its length (callers re-ask with a larger buffer).
inline int32_t copy_out(const std::string & s, char * buf, int32_t buf_len) {
    if (buf != nullptr && buf_len > 0) {
        const size_t n = std::min(s.size(), static_cast<size_t>(buf_len));
        std::memcpy(buf, s.data(), n);
    }
    return static_cast<int32_t>(s.size());
}

// The first error line llama.cpp logged on this thread since clear_llama_error() (kept even when no log callback
// is set): the reason of a failure that llama.cpp explains only in its log ("error loading model: ..."), not the
// generic line it logs after it. Defined in backend.cpp; hidden so that the library exports only the tf_* API.
__attribute__((visibility("hidden"))) std::string last_llama_error();
__attribute__((visibility("hidden"))) void clear_llama_error();

// While one of these lives on a thread, a GGML_ASSERT/GGML_ABORT reached on that thread throws ggml_abort_error
// instead of ending the process: llama.cpp's model load and context creation catch std::exception and report a
// failure. Only for those single-threaded set-up calls (a throw out of a running graph computation would not be
// safe); anywhere else an abort prints one clear line and the process ends. Defined in backend.cpp.
struct __attribute__((visibility("hidden"))) recoverable_scope {
    recoverable_scope();
    ~recoverable_scope();
    recoverable_scope(const recoverable_scope &) = delete;
    recoverable_scope & operator=(const recoverable_scope &) = delete;
};

// ggml's CPU backend is a module loaded at run time (one of its CPU variants), so its thread-pool functions are
// reached through the backend registry. Defined in backend.cpp; null pool when no CPU backend was loaded.
using threadpool_new_fn = ggml_threadpool * (*)(ggml_threadpool_params *);
using threadpool_free_fn = void (*)(ggml_threadpool *);
__attribute__((visibility("hidden"))) ggml_threadpool * threadpool_new(int32_t n_threads);
__attribute__((visibility("hidden"))) void threadpool_free(ggml_threadpool * pool);
// Why no CPU backend could be loaded (empty when one was).
__attribute__((visibility("hidden"))) const std::string & cpu_backend_error();

// Where ggml's backend modules are (the CPU variants, libggml-rpc.so): tf_set_cpu_backend_dir's folder, else the
// folder libggml was loaded from. Defined in backend.cpp.
__attribute__((visibility("hidden"))) std::string backend_module_dir();

// llama.cpp RPC (rpc.cpp). parse_rpc_servers: tf_model_params.rpc_servers checked and split (NULL/"" = none).
// rpc_add_devices: each server's devices (loads ggml-rpc on first use); false with the reason when one does not
// answer. rpc_failures: connections to these endpoints that failed since the process started (patch 0009's count;
// reason: the last one).
__attribute__((visibility("hidden"))) bool parse_rpc_servers(const char * list, std::vector<std::string> & out, std::string & error);
__attribute__((visibility("hidden"))) bool rpc_add_devices(const std::vector<std::string> & endpoints,
                                                           std::vector<ggml_backend_dev_t> & devices, std::string & error);
__attribute__((visibility("hidden"))) uint32_t rpc_failures(const std::vector<std::string> & endpoints, std::string * reason);

struct ggml_abort_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Runs f() and returns its result; a C++ exception from llama.cpp (e.g. std::out_of_range from a vocabulary lookup)
// becomes TF_ERR_NATIVE with its message, returned as `on_error`: no exception crosses the C boundary.
template <class F>
int32_t guarded(const char * what, int32_t on_error, F && f) {
    try {
        return f();
    } catch (const std::exception & e) {
        fail(TF_ERR_NATIVE, std::string(what) + ": " + e.what());
        return on_error;
    }
}

// Where a ggml tensor's data lives, so the kernel that reads it in place can be chosen: host memory (the CPU
// backend, pinned buffers), a CUDA device tfkernels can address (ggml device "CUDA<n>", n = the CUDA device index),
// or anything else (an RPC server, another backend): copy it out with ggml_backend_tensor_get. Defined in backend.cpp.
struct tensor_place {
    enum kind_t { host, cuda, other } kind = host;
    int cuda_device = -1;
};
__attribute__((visibility("hidden"))) tensor_place place_of(const ggml_tensor * t);

// llama.cpp's internal LLAMA_MAX_SEQ (not in the public header).
constexpr uint32_t kMaxSeq = 256;
// Largest draft tree: sequence ids 1..255 are its paths (0 is the main sequence).
constexpr int32_t kMaxTree = 256;

} // namespace tfi

struct tf_model {
    llama_model * model = nullptr;
    const llama_vocab * vocab = nullptr;
    // RPC servers holding some of its layers (empty: none), and their failed-connection count once it was loaded: a
    // higher count means a connection it uses was lost.
    std::vector<std::string> rpc_endpoints;
    uint32_t rpc_failures_at_load = 0;
    ~tf_model() { if (model) llama_model_free(model); }
};

struct tf_session {
    tf_model * owner = nullptr;
    llama_context * ctx = nullptr;
    int32_t type_k = 1;  // ggml_type of the KV cache
    int32_t type_v = 1;
    // Persistent CPU thread pools (as llama-bench uses): without them ggml starts threads on every decode,
    // which costs more than a whole decode step of a small model.
    ggml_threadpool * pool = nullptr;
    ggml_threadpool * pool_batch = nullptr;
    std::atomic<bool> abort{false};
    bool has_logits = false;
    int32_t logit_rows = 0;  // rows of the last tf_session_decode_rows/_batch (0: none)
    std::vector<uint8_t> logit_mask;  // ... and which of them kept logits
    bool has_row_logits(int32_t row) const {
        return row >= 0 && row < logit_rows && logit_mask[static_cast<size_t>(row)] != 0;
    }
    bool embeddings = false;  // an embedding session (tf_session_embed only)
    bool invariant_prompts = false;  // tf_session_params.invariant_prompts
    bool seq_streams = false;        // tf_session_params.seq_streams (no token trees)
    // Batch invariance (tf_session_params.batch_invariant): wanted, the mode the CPU backend is in now, and whether
    // every committed tree path could be moved into position order.
    bool batch_invariant = false;
    bool invariant_now = false;
    bool invariant_kept = true;
    // Single tokens and trees run batch-invariant kernels; plain batches of several tokens the fastest ones.
    void use_invariant_kernels(bool on) {
        on = on && batch_invariant;
        if (on != invariant_now) {
            llama_set_batch_invariant(ctx, on);
            invariant_now = on;
        }
    }
    // One batch of n_batch tokens, reused by every decode call (no allocation per generated token).
    llama_batch batch{};
    bool batch_ready = false;
    // Token trees: a batch whose tokens may carry up to kMaxTree sequence ids, allocated on first use.
    llama_batch tree_batch{};
    bool tree_ready = false;
    std::vector<int32_t> tree_tokens, tree_parents, tree_depth;
    std::vector<int32_t> tree_leaf_seq;  // per node: one leaf sequence id below it
    int32_t tree_pos0 = -1;
    int32_t tree_n_leaves = 0;
    // tf_session_params.device_logits, and whether the last tree's logits stayed in llama.cpp's output tensor
    // (llama_get_logits_tensor) instead of its host copy; tree_host: their host copy, made on demand then.
    bool device_logits = true;
    bool tree_in_tensor = false;
    uint64_t n_decodes = 0;       // llama_decode calls so far (tfi::decode): a later one replaces a tree's logits
    uint64_t tree_decode_id = 0;  // ... and the count right after the last tree's decode
    std::vector<float> tree_host;
    tfi::cuda_scratch verify_scratch;  // device outputs of the CUDA verification
    // KV compression: attention taps (installed as cb_eval only when the session asked for them).
    std::unique_ptr<tfi::kv_tap> tap;
    // Query-aware sparse attention (NULL when sparse_policy is TF_SPARSE_NONE); its ops point into it.
    std::unique_ptr<tfi::sparse_state> sparse;
    ~tf_session() {
        if (tree_ready) llama_batch_free(tree_batch);
        if (batch_ready) llama_batch_free(batch);
        if (ctx) llama_free(ctx);
        tfi::threadpool_free(pool_batch);
        tfi::threadpool_free(pool);
    }
};

namespace tfi {

// Every decode goes through here: llama_decode, and for a model on RPC servers the check that no connection was
// lost (before: refuse; after: this decode's outputs are zeros). Returns llama_decode's code, or kRpcLost with the
// error recorded ("RPC server host:port lost: ..."); callers undo their cells and return TF_ERR_NATIVE. Defined in
// rpc.cpp.
constexpr int32_t kRpcLost = INT32_MIN;
__attribute__((visibility("hidden"))) int32_t decode(tf_session * s, llama_batch & batch);

// Fills `batch` with tokens[0..n) of sequence seq at positions pos0.. ; rows from index logits_from on keep their
// logits (0: every row, n - 1: the last, n: none).
inline void fill_sequence(llama_batch & batch, const int32_t * tokens, int32_t n, int32_t pos0, int32_t seq,
                          int32_t logits_from) {
    batch.n_tokens = n;
    for (int32_t i = 0; i < n; ++i) {
        batch.token[i] = tokens[i];
        batch.pos[i] = pos0 + i;
        batch.n_seq_id[i] = 1;
        batch.seq_id[i][0] = seq;
        batch.logits[i] = i >= logits_from;
    }
}

} // namespace tfi

#endif // TOKENFLOW_FACADE_INTERNAL_H

// libtokenflow: flat C facade over llama.cpp + tfkernels. See include/tokenflow.h for the contract.
#include "tokenflow.h"
#include "facade_internal.h"

#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "ggml.h"
#include "llama.h"
#include "tfkernels.h"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace {

using tfi::fail;
using tfi::fail_null;

// Copy a string into a caller buffer; returns its length (callers re-ask with a larger buffer).
int32_t copy_out(const std::string & s, char * buf, int32_t buf_len) {
    if (buf != nullptr && buf_len > 0) {
        const size_t n = std::min(s.size(), static_cast<size_t>(buf_len));
        std::memcpy(buf, s.data(), n);
    }
    return static_cast<int32_t>(s.size());
}

// Logging: llama.cpp emits fragments (GGML_LOG_LEVEL_CONT); we forward whole lines only.
struct log_sink {
    std::mutex mu;
    tf_log_fn fn = nullptr;
    void * user = nullptr;
    int32_t min_level = 3;
    std::string line;
    int32_t line_level = 2;
    std::string last_error_line; // kept even when nothing is forwarded: failures quote it
};
log_sink g_log;

std::string last_llama_error() {
    std::lock_guard<std::mutex> lock(g_log.mu);
    return g_log.last_error_line;
}

void log_forward(ggml_log_level level, const char * text, void * /*user*/) {
    std::lock_guard<std::mutex> lock(g_log.mu);
    if (text == nullptr) return;
    if (level != GGML_LOG_LEVEL_CONT) {
        g_log.line_level = static_cast<int32_t>(level);
    }
    g_log.line.append(text);
    size_t nl;
    while ((nl = g_log.line.find('\n')) != std::string::npos) {
        std::string one = g_log.line.substr(0, nl);
        g_log.line.erase(0, nl + 1);
        if (one.empty()) continue;
        if (g_log.line_level == GGML_LOG_LEVEL_ERROR) g_log.last_error_line = one;
        if (g_log.fn != nullptr && g_log.line_level >= g_log.min_level) {
            g_log.fn(g_log.line_level, one.c_str(), g_log.user);
        }
    }
}

std::once_flag g_init_once;

using tfi::kMaxSeq;
using tfi::kMaxTree;

} // namespace

struct tf_sampler {
    llama_sampler * chain = nullptr;
    ~tf_sampler() { if (chain) llama_sampler_free(chain); }
};

extern "C" {

const char * tf_last_error(void) { return tfi::g_last_error.c_str(); }

void tf_init(void) {
    std::call_once(g_init_once, [] {
        llama_log_set(log_forward, nullptr);
        llama_backend_init();
    });
}

int32_t tf_backend_load(const char * path) {
    tf_init();
    if (path == nullptr) return fail(TF_ERR_ARG, "backend path is null");
    ggml_backend_reg_t reg = ggml_backend_load(path);
    if (reg == nullptr) return fail(TF_ERR_NATIVE, std::string("could not load backend ") + path);
    return TF_OK;
}

int32_t tf_device_count(void) {
    tf_init();
    return static_cast<int32_t>(ggml_backend_dev_count());
}

int32_t tf_device_name(int32_t i, char * buf, int32_t buf_len) {
    tf_init();
    if (i < 0 || static_cast<size_t>(i) >= ggml_backend_dev_count()) return fail(TF_ERR_ARG, "device index out of range");
    ggml_backend_dev_t dev = ggml_backend_dev_get(static_cast<size_t>(i));
    std::string s = std::string(ggml_backend_dev_name(dev)) + " (" + ggml_backend_dev_description(dev) + ")";
    return copy_out(s, buf, buf_len);
}

void tf_log_set(tf_log_fn fn, int32_t min_level, void * user) {
    {
        std::lock_guard<std::mutex> lock(g_log.mu);
        g_log.fn = fn;
        g_log.user = user;
        g_log.min_level = min_level;
        g_log.line.clear();
    }
    tf_init();
}

// --- model ---

tf_model * tf_model_load(const char * path, int32_t n_gpu_layers, bool use_mmap, bool vocab_only,
                         tf_progress_fn progress, void * user) {
    tf_init();
    if (path == nullptr) return fail_null<tf_model>("model path is null");
    llama_model_params p = llama_model_default_params();
    p.n_gpu_layers = n_gpu_layers;
    p.load_mode = use_mmap ? LLAMA_LOAD_MODE_MMAP : LLAMA_LOAD_MODE_NONE;
    p.vocab_only = vocab_only;
    p.progress_callback = progress;
    p.progress_callback_user_data = user;
    auto m = std::make_unique<tf_model>();
    {
        std::lock_guard<std::mutex> lock(g_log.mu);
        g_log.last_error_line.clear();
    }
    m->model = llama_model_load_from_file(path, p);
    if (m->model == nullptr) {
        const std::string why = last_llama_error();
        return fail_null<tf_model>(why.empty() ? std::string("no reason given") : why);
    }
    m->vocab = llama_model_get_vocab(m->model);
    return m.release();
}

void tf_model_free(tf_model * model) { delete model; }

int64_t tf_model_n_params(const tf_model * m)    { return m ? static_cast<int64_t>(llama_model_n_params(m->model)) : -1; }
int64_t tf_model_size(const tf_model * m)        { return m ? static_cast<int64_t>(llama_model_size(m->model)) : -1; }
int32_t tf_model_n_ctx_train(const tf_model * m) { return m ? llama_model_n_ctx_train(m->model) : -1; }
int32_t tf_model_n_embd(const tf_model * m)      { return m ? llama_model_n_embd(m->model) : -1; }
int32_t tf_model_n_layer(const tf_model * m)     { return m ? llama_model_n_layer(m->model) : -1; }
// A vocab_only model has no layers, and llama_model_n_head aborts on layer 0 then: answer 0 instead.
int32_t tf_model_n_head(const tf_model * m)    { return m ? (llama_model_n_layer(m->model) > 0 ? llama_model_n_head(m->model) : 0) : -1; }
int32_t tf_model_n_head_kv(const tf_model * m) { return m ? (llama_model_n_layer(m->model) > 0 ? llama_model_n_head_kv(m->model) : 0) : -1; }
int32_t tf_model_n_vocab(const tf_model * m)     { return m ? llama_vocab_n_tokens(m->vocab) : -1; }

int32_t tf_model_desc(const tf_model * m, char * buf, int32_t buf_len) {
    if (m == nullptr) return fail(TF_ERR_ARG, "model is null");
    char tmp[512];
    const int32_t n = llama_model_desc(m->model, tmp, sizeof tmp);
    return copy_out(std::string(tmp, static_cast<size_t>(std::max(0, std::min<int32_t>(n, sizeof tmp - 1)))), buf, buf_len);
}

int32_t tf_model_chat_template(const tf_model * m, char * buf, int32_t buf_len) {
    if (m == nullptr) return fail(TF_ERR_ARG, "model is null");
    const char * t = llama_model_chat_template(m->model, nullptr);
    if (t == nullptr) return -1;
    return copy_out(t, buf, buf_len);
}

int32_t tf_vocab_special(const tf_model * m, int32_t kind) {
    if (m == nullptr) return -1;
    switch (kind) {
        case 0: return llama_vocab_bos(m->vocab);
        case 1: return llama_vocab_eos(m->vocab);
        case 2: return llama_vocab_eot(m->vocab);
        case 3: return llama_vocab_sep(m->vocab);
        case 4: return llama_vocab_nl(m->vocab);
        case 5: return llama_vocab_pad(m->vocab);
        default: return -1;
    }
}

static bool token_ok(const tf_model * m, int32_t t) { return m && t >= 0 && t < llama_vocab_n_tokens(m->vocab); }

bool tf_vocab_is_eog(const tf_model * m, int32_t t)     { return token_ok(m, t) && llama_vocab_is_eog(m->vocab, t); }
bool tf_vocab_is_control(const tf_model * m, int32_t t) { return token_ok(m, t) && llama_vocab_is_control(m->vocab, t); }
bool tf_vocab_add_bos(const tf_model * m)               { return m && llama_vocab_get_add_bos(m->vocab); }

// --- tokenizer ---

int32_t tf_tokenize(const tf_model * m, const char * text, int32_t text_len, int32_t * out, int32_t out_cap,
                    bool add_special, bool parse_special) {
    if (m == nullptr || (text == nullptr && text_len > 0) || text_len < 0 || out_cap < 0) {
        fail(TF_ERR_ARG, "tokenize: bad arguments");
        return INT32_MIN;
    }
    return llama_tokenize(m->vocab, text ? text : "", text_len, out, out_cap, add_special, parse_special);
}

int32_t tf_token_to_piece(const tf_model * m, int32_t token, char * buf, int32_t buf_len, bool special) {
    if (!token_ok(m, token)) return fail(TF_ERR_ARG, "token id out of range");
    if (buf_len < 0) return fail(TF_ERR_ARG, "negative buffer length");
    return llama_token_to_piece(m->vocab, token, buf, buf_len, 0, special);
}

int32_t tf_detokenize(const tf_model * m, const int32_t * tokens, int32_t n, char * buf, int32_t buf_len,
                      bool remove_special, bool unparse_special) {
    if (m == nullptr || n < 0 || (tokens == nullptr && n > 0) || buf_len < 0) return fail(TF_ERR_ARG, "detokenize: bad arguments");
    for (int32_t i = 0; i < n; ++i) {
        if (!token_ok(m, tokens[i])) return fail(TF_ERR_ARG, "token id out of range at index " + std::to_string(i));
    }
    if (n == 0) return 0;
    return llama_detokenize(m->vocab, tokens, n, buf, buf_len, remove_special, unparse_special);
}

int32_t tf_chat_apply(const tf_model * m, const char * tmpl, const char * messages, int32_t n_messages,
                      bool add_assistant, char * buf, int32_t buf_len) {
    if (n_messages < 0 || (messages == nullptr && n_messages > 0) || buf_len < 0) return fail(TF_ERR_ARG, "chat: bad arguments");
    const char * t = tmpl;
    if (t == nullptr && m != nullptr) t = llama_model_chat_template(m->model, nullptr);
    if (t == nullptr) return fail(TF_ERR_ARG, "the model has no chat template; pass one explicitly");
    std::vector<llama_chat_message> msgs(static_cast<size_t>(n_messages));
    const char * p = messages;
    size_t total = 0;
    for (int32_t i = 0; i < n_messages; ++i) {
        msgs[i].role = p;      p += std::strlen(p) + 1;
        msgs[i].content = p;   total += std::strlen(p); p += std::strlen(p) + 1;
    }
    std::vector<char> out(std::max<size_t>(256, 2 * total + 1024));
    int32_t n = llama_chat_apply_template(t, msgs.data(), msgs.size(), add_assistant, out.data(), static_cast<int32_t>(out.size()));
    if (n < 0) return fail(TF_ERR_ARG, "chat template not supported by llama.cpp");
    if (static_cast<size_t>(n) > out.size()) {
        out.resize(static_cast<size_t>(n));
        n = llama_chat_apply_template(t, msgs.data(), msgs.size(), add_assistant, out.data(), n);
        if (n < 0) return fail(TF_ERR_ARG, "chat template not supported by llama.cpp");
    }
    return copy_out(std::string(out.data(), static_cast<size_t>(n)), buf, buf_len);
}

// --- session ---

static bool abort_cb(void * data) {
    return static_cast<tf_session *>(data)->abort.load(std::memory_order_relaxed);
}

tf_session * tf_session_new(tf_model * model, uint32_t n_ctx, uint32_t n_batch, uint32_t n_ubatch,
                            int32_t n_threads, int32_t n_threads_batch, int32_t flash_attn,
                            int32_t type_k, int32_t type_v, uint32_t n_seq_max, bool kv_taps) {
    if (model == nullptr) return fail_null<tf_session>("model is null");
    if (n_ctx == 0 || n_batch == 0 || n_ubatch == 0 || n_batch > n_ctx || n_ubatch > n_batch)
        return fail_null<tf_session>("session sizes out of range (need 0 < n_ubatch <= n_batch <= n_ctx)");
    if (n_threads <= 0 || n_threads_batch <= 0) return fail_null<tf_session>("thread counts must be positive");
    if (n_seq_max == 0 || n_seq_max > kMaxSeq) return fail_null<tf_session>("n_seq_max out of range");
    if (flash_attn < -1 || flash_attn > 1) return fail_null<tf_session>("flash_attn must be -1, 0 or 1");
    if (type_k < 0 || type_k >= GGML_TYPE_COUNT || type_v < 0 || type_v >= GGML_TYPE_COUNT)
        return fail_null<tf_session>("unknown KV cache type");
    auto s = std::make_unique<tf_session>();
    s->owner = model;
    s->type_k = type_k;
    s->type_v = type_v;
    llama_context_params p = llama_context_default_params();
    p.n_ctx = n_ctx;
    p.n_batch = n_batch;
    p.n_ubatch = n_ubatch;
    p.n_seq_max = n_seq_max;
    p.n_threads = n_threads;
    p.n_threads_batch = n_threads_batch;
    p.flash_attn_type = static_cast<llama_flash_attn_type>(flash_attn);
    p.type_k = static_cast<ggml_type>(type_k);
    p.type_v = static_cast<ggml_type>(type_v);
    p.kv_unified = true;  // one cache stream: token trees put many sequence ids on one cell
    p.abort_callback = abort_cb;
    p.abort_callback_data = s.get();
    p.no_perf = true;
    if (kv_taps) {
        // Only sessions that compress their cache pay for the callback (ggml then computes graphs in views).
        s->tap = std::make_unique<tfi::kv_tap>();
        p.cb_eval = tfi::kv_tap_eval;
        p.cb_eval_user_data = s->tap.get();
    }
    s->ctx = llama_init_from_model(model->model, p);
    if (s->ctx == nullptr) {
        const std::string why = last_llama_error();
        return fail_null<tf_session>("llama.cpp could not create the context" + (why.empty() ? std::string() : ": " + why));
    }
    ggml_threadpool_params tp = ggml_threadpool_params_default(n_threads);
    tp.poll = 50;
    s->pool = ggml_threadpool_new(&tp);
    if (n_threads_batch != n_threads) {
        ggml_threadpool_params tpb = ggml_threadpool_params_default(n_threads_batch);
        tpb.poll = 50;
        s->pool_batch = ggml_threadpool_new(&tpb);
    }
    if (s->pool != nullptr) llama_attach_threadpool(s->ctx, s->pool, s->pool_batch);
    s->batch = llama_batch_init(static_cast<int32_t>(llama_n_batch(s->ctx)), 0, 1);
    s->batch_ready = true;
    return s.release();
}

void tf_session_free(tf_session * s) { delete s; }
uint32_t tf_session_n_ctx(const tf_session * s)   { return s ? llama_n_ctx(s->ctx) : 0; }
uint32_t tf_session_n_batch(const tf_session * s) { return s ? llama_n_batch(s->ctx) : 0; }

int32_t tf_session_decode(tf_session * s, const int32_t * tokens, int32_t n, int32_t pos0, int32_t seq, bool want_logits) {
    if (s == nullptr) return fail(TF_ERR_ARG, "session is null");
    if (n <= 0 || tokens == nullptr) return fail(TF_ERR_ARG, "decode: no tokens");
    // Positions may exceed n_ctx once KV compression has evicted cells; whether the cells fit is llama_decode's call.
    if (pos0 < 0 || static_cast<int64_t>(pos0) + n > INT32_MAX) return fail(TF_ERR_ARG, "decode: position out of range");
    if (seq < 0 || static_cast<uint32_t>(seq) >= llama_n_seq_max(s->ctx)) return fail(TF_ERR_ARG, "decode: sequence id out of range");
    const int32_t n_vocab = llama_vocab_n_tokens(s->owner->vocab);
    for (int32_t i = 0; i < n; ++i) {
        if (tokens[i] < 0 || tokens[i] >= n_vocab) return fail(TF_ERR_ARG, "decode: token id out of range at index " + std::to_string(i));
    }
    const int32_t n_batch = static_cast<int32_t>(llama_n_batch(s->ctx));
    llama_batch & batch = s->batch;
    s->has_logits = false;
    for (int32_t start = 0; start < n; start += n_batch) {
        const int32_t len = std::min(n_batch, n - start);
        batch.n_tokens = len;
        for (int32_t i = 0; i < len; ++i) {
            batch.token[i] = tokens[start + i];
            batch.pos[i] = pos0 + start + i;
            batch.n_seq_id[i] = 1;
            batch.seq_id[i][0] = seq;
            batch.logits[i] = want_logits && start + i == n - 1;
        }
        const int32_t rc = llama_decode(s->ctx, batch);
        if (rc != 0) {
            // Undo this call's cells so the cache holds exactly what it held before.
            llama_memory_seq_rm(llama_get_memory(s->ctx), seq, pos0, -1);
            if (rc == 1) return fail(TF_ERR_NO_SLOT, "decode: no KV cache slot for the batch");
            if (rc == 2) return fail(TF_ERR_ABORTED, "decode: aborted");
            return fail(TF_ERR_NATIVE, "decode: llama_decode failed with code " + std::to_string(rc));
        }
    }
    s->has_logits = want_logits;
    return TF_OK;
}

float * tf_session_logits(tf_session * s) {
    if (s == nullptr || !s->has_logits) return fail_null<float>("no logits available");
    return llama_get_logits_ith(s->ctx, -1);
}


// --- token trees ---

static void tree_drop_paths(tf_session * s) {
    llama_memory_t mem = llama_get_memory(s->ctx);
    for (int32_t q = 1; q <= s->tree_n_leaves; ++q) llama_memory_seq_rm(mem, q, -1, -1);
    s->tree_n_leaves = 0;
}

int32_t tf_session_decode_tree(tf_session * s, const int32_t * tokens, const int32_t * parents, int32_t n, int32_t pos0) {
    if (s == nullptr || tokens == nullptr || parents == nullptr) return fail(TF_ERR_ARG, "decode_tree: null argument");
    if (n < 1 || n > kMaxTree) return fail(TF_ERR_ARG, "decode_tree: tree size must be in [1, 256]");
    if (n > static_cast<int32_t>(llama_n_batch(s->ctx))) return fail(TF_ERR_ARG, "decode_tree: tree larger than the batch size");
    if (parents[0] != -1) return fail(TF_ERR_ARG, "decode_tree: parents[0] must be -1");
    const int32_t n_vocab = llama_vocab_n_tokens(s->owner->vocab);
    std::vector<int32_t> depth(static_cast<size_t>(n), 0), n_children(static_cast<size_t>(n), 0);
    for (int32_t i = 0; i < n; ++i) {
        if (tokens[i] < 0 || tokens[i] >= n_vocab) return fail(TF_ERR_ARG, "decode_tree: token id out of range at node " + std::to_string(i));
        if (i > 0) {
            if (parents[i] < 0 || parents[i] >= i) return fail(TF_ERR_ARG, "decode_tree: parents[" + std::to_string(i) + "] must be in [0, i)");
            depth[i] = depth[parents[i]] + 1;
            n_children[parents[i]]++;
        }
    }
    int32_t max_depth = 0;
    for (int32_t i = 0; i < n; ++i) max_depth = std::max(max_depth, depth[i]);
    if (pos0 < 0 || static_cast<int64_t>(pos0) + max_depth + 1 > INT32_MAX) return fail(TF_ERR_ARG, "decode_tree: position out of range");
    llama_memory_t mem = llama_get_memory(s->ctx);
    if (llama_memory_seq_pos_max(mem, 0) != pos0 - 1)
        return fail(TF_ERR_ARG, "decode_tree: pos0 must follow the last cached position of sequence 0");
    if (!s->tree_ready) {
        s->tree_batch = llama_batch_init(kMaxTree, 0, kMaxTree);
        s->tree_ready = true;
    }
    // Leaves get sequence ids 1..L; every node carries the ids of the leaves below it.
    std::vector<std::vector<int32_t>> seqs(static_cast<size_t>(n));
    int32_t n_leaves = 0;
    for (int32_t i = 0; i < n; ++i) {
        if (n_children[i] != 0) continue;
        const int32_t q = ++n_leaves;
        for (int32_t u = i; u >= 0; u = parents[u]) seqs[u].push_back(q);
    }
    // The cached prefix belongs to every path.
    for (int32_t q = 1; q <= n_leaves; ++q) llama_memory_seq_cp(mem, 0, q, -1, -1);
    s->tree_n_leaves = n_leaves;
    llama_batch & b = s->tree_batch;
    b.n_tokens = n;
    for (int32_t i = 0; i < n; ++i) {
        b.token[i] = tokens[i];
        b.pos[i] = pos0 + depth[i];
        b.n_seq_id[i] = static_cast<int32_t>(seqs[i].size());
        for (size_t j = 0; j < seqs[i].size(); ++j) b.seq_id[i][j] = seqs[i][j];
        b.logits[i] = true;
    }
    s->has_logits = false;
    s->tree_pos0 = -1;
    const int32_t rc = llama_decode(s->ctx, b);
    if (rc != 0) {
        tree_drop_paths(s);
        if (rc == 1) return fail(TF_ERR_NO_SLOT, "decode_tree: no KV cache slot for the tree");
        if (rc == 2) return fail(TF_ERR_ABORTED, "decode_tree: aborted");
        return fail(TF_ERR_NATIVE, "decode_tree: llama_decode failed with code " + std::to_string(rc));
    }
    s->tree_tokens.assign(tokens, tokens + n);
    s->tree_parents.assign(parents, parents + n);
    s->tree_depth = depth;
    s->tree_leaf_seq.assign(static_cast<size_t>(n), 0);
    for (int32_t i = 0; i < n; ++i) s->tree_leaf_seq[i] = seqs[i].front();
    s->tree_pos0 = pos0;
    return TF_OK;
}

float * tf_session_tree_logits(tf_session * s) {
    if (s == nullptr || s->tree_pos0 < 0) return fail_null<float>("no tree logits available");
    // Outputs come back in batch order, one row per node.
    return llama_get_logits(s->ctx);
}

int32_t tf_session_commit_path(tf_session * s, const int32_t * path, int32_t len) {
    if (s == nullptr || path == nullptr) return fail(TF_ERR_ARG, "commit_path: null argument");
    if (s->tree_pos0 < 0) return fail(TF_ERR_ARG, "commit_path: no tree to commit");
    const int32_t n = static_cast<int32_t>(s->tree_tokens.size());
    if (len < 1 || len > n || path[0] != 0) return fail(TF_ERR_ARG, "commit_path: the path must start at the root");
    for (int32_t i = 1; i < len; ++i) {
        if (path[i] <= 0 || path[i] >= n || s->tree_parents[path[i]] != path[i - 1])
            return fail(TF_ERR_ARG, "commit_path: node " + std::to_string(path[i]) + " is not a child of the previous one");
    }
    llama_memory_t mem = llama_get_memory(s->ctx);
    // The deepest accepted node's leaf sequence holds exactly the path's cells at positions pos0.. (one per depth).
    const int32_t q = s->tree_leaf_seq[path[len - 1]];
    llama_memory_seq_cp(mem, q, 0, s->tree_pos0, s->tree_pos0 + len);
    tree_drop_paths(s);
    s->tree_pos0 = -1;
    s->has_logits = false;
    return TF_OK;
}

int32_t tf_session_verify_greedy(tf_session * s, int32_t k_cand, int32_t * out_path, int32_t * out_len,
                                 int32_t * out_bonus, int32_t * out_cand_ids, int32_t n_threads) {
    if (s == nullptr || s->tree_pos0 < 0) return fail(TF_ERR_ARG, "verify: no tree decoded");
    const int32_t n = static_cast<int32_t>(s->tree_tokens.size());
    const int64_t n_vocab = llama_vocab_n_tokens(s->owner->vocab);
    const float * logits = llama_get_logits(s->ctx);
    if (logits == nullptr) return fail(TF_ERR_NATIVE, "verify: no logits");
    const int rc = tfk_tree_verify_greedy_f32(logits, n, n_vocab, n_vocab, s->tree_tokens.data(), s->tree_parents.data(),
                                              k_cand, out_path, out_len, out_bonus, out_cand_ids, n_threads);
    if (rc != 0) return fail(TF_ERR_ARG, std::string("verify: ") + tfk_status_str(rc));
    return TF_OK;
}

int32_t tf_session_verify_sample(tf_session * s, float temperature, int32_t top_k, float top_p, float min_p,
                                 const float * uniforms, int32_t k_cand, int32_t * out_path, int32_t * out_len,
                                 int32_t * out_bonus, int32_t * out_cand_ids, int32_t n_threads) {
    if (s == nullptr || s->tree_pos0 < 0) return fail(TF_ERR_ARG, "verify: no tree decoded");
    const int32_t n = static_cast<int32_t>(s->tree_tokens.size());
    const int64_t n_vocab = llama_vocab_n_tokens(s->owner->vocab);
    const float * logits = llama_get_logits(s->ctx);
    if (logits == nullptr) return fail(TF_ERR_NATIVE, "verify: no logits");
    const tfk_sampling_params sp{temperature, top_k, top_p, min_p};
    const int rc = tfk_tree_verify_sample_f32(logits, n, n_vocab, n_vocab, s->tree_tokens.data(), s->tree_parents.data(),
                                              k_cand, &sp, uniforms, out_path, out_len, out_bonus, out_cand_ids, n_threads);
    if (rc != 0) return fail(TF_ERR_ARG, std::string("verify: ") + tfk_status_str(rc));
    return TF_OK;
}

void tf_session_abort(tf_session * s, bool abort) {
    if (s) s->abort.store(abort, std::memory_order_relaxed);
}

bool tf_memory_seq_rm(tf_session * s, int32_t seq, int32_t p0, int32_t p1) {
    if (s == nullptr) return false;
    return llama_memory_seq_rm(llama_get_memory(s->ctx), seq, p0, p1);
}

void tf_memory_clear(tf_session * s) {
    if (s) llama_memory_clear(llama_get_memory(s->ctx), true);
}

int32_t tf_memory_pos_max(tf_session * s, int32_t seq) {
    if (s == nullptr) return -1;
    return llama_memory_seq_pos_max(llama_get_memory(s->ctx), seq);
}

// --- sampler ---

tf_sampler * tf_sampler_new(const tf_model * m, float temperature, int32_t top_k, float top_p, float min_p,
                            float repeat_penalty, int32_t repeat_last_n, uint32_t seed) {
    if (m == nullptr) return fail_null<tf_sampler>("model is null");
    if (!(repeat_penalty > 0.0f) || repeat_last_n < -1) return fail_null<tf_sampler>("bad repetition penalty settings");
    auto s = std::make_unique<tf_sampler>();
    llama_sampler_chain_params cp = llama_sampler_chain_default_params();
    cp.no_perf = true;
    s->chain = llama_sampler_chain_init(cp);
    if (repeat_penalty != 1.0f && repeat_last_n != 0) {
        llama_sampler_chain_add(s->chain, llama_sampler_init_penalties(llama_vocab_n_tokens(m->vocab), repeat_last_n, repeat_penalty, 0.0f, 0.0f));
    }
    if (temperature <= 0.0f) {
        llama_sampler_chain_add(s->chain, llama_sampler_init_greedy());
    } else {
        if (top_k > 0) llama_sampler_chain_add(s->chain, llama_sampler_init_top_k(top_k));
        if (top_p < 1.0f) llama_sampler_chain_add(s->chain, llama_sampler_init_top_p(top_p, 1));
        if (min_p > 0.0f) llama_sampler_chain_add(s->chain, llama_sampler_init_min_p(min_p, 1));
        llama_sampler_chain_add(s->chain, llama_sampler_init_temp(temperature));
        llama_sampler_chain_add(s->chain, llama_sampler_init_dist(seed));
    }
    return s.release();
}

void tf_sampler_free(tf_sampler * s) { delete s; }

void tf_sampler_accept(tf_sampler * s, int32_t token) {
    if (s) llama_sampler_accept(s->chain, token);
}

int32_t tf_sampler_sample(tf_sampler * smpl, tf_session * s) {
    if (smpl == nullptr || s == nullptr) return fail(TF_ERR_ARG, "sampler or session is null");
    if (!s->has_logits) return fail(TF_ERR_ARG, "sample: no logits (decode a token with logits first)");
    // llama_sampler_sample also accepts the token into the chain (penalties see it).
    return llama_sampler_sample(smpl->chain, s->ctx, -1);
}

// --- kernels ---

int32_t tf_topk_f32(const float * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride, int32_t k,
                    int32_t * out_ids, float * out_vals, int32_t n_threads) {
    const int rc = tfk_topk_f32(logits, n_rows, n_cols, row_stride, k, out_ids, out_vals, n_threads);
    if (rc != 0) return fail(TF_ERR_ARG, "topk: bad arguments (code " + std::to_string(rc) + ")");
    return TF_OK;
}

} // extern "C"

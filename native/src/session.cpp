// libtokenflow: sessions (a llama.cpp context with its thread pools and batch), decoding, and KV-cache edits.
#include "tokenflow.h"
#include "facade_internal.h"

#include "ggml.h"
#include "llama.h"

#include <algorithm>
#include <cmath>
#include <atomic>
#include <climits>
#include <memory>
#include <string>

namespace {

using tfi::fail;
using tfi::fail_null;
using tfi::kMaxSeq;

bool abort_cb(void * data) {
    return static_cast<tf_session *>(data)->abort.load(std::memory_order_relaxed);
}

} // namespace

extern "C" {

tf_session_params tf_session_default_params(void) {
    tf_session_params p{};
    p.n_ctx = 512;
    p.n_batch = 512;
    p.n_ubatch = 512;
    p.n_threads = 4;
    p.n_threads_batch = 4;
    p.flash_attn = TF_FLASH_ATTN_AUTO;
    p.type_k = TF_KV_F16;
    p.type_v = TF_KV_F16;
    p.n_seq_max = 1;
    p.kv_taps = false;
    p.invariant_prompts = false;
    p.invariant_tiles = false;
    p.seq_streams = false;
    p.embeddings = false;
    p.device_logits = true;
    p.batch_invariant = true;
    p.sparse_policy = TF_SPARSE_NONE;
    p.sparse_budget = 256;
    p.sparse_dense = 2;
    p.sparse_page = 16;
    p.sparse_reselect = 13;
    p.sparse_init = 128;
    p.sparse_local = 512;
    p.sparse_theta = 2.0f;
    return p;
}

tf_session * tf_session_new(tf_model * model, const tf_session_params * params) {
    if (model == nullptr) return fail_null<tf_session>("model is null");
    const tf_session_params sp = params ? *params : tf_session_default_params();
    const uint32_t n_ctx = sp.n_ctx, n_batch = sp.n_batch, n_ubatch = sp.n_ubatch, n_seq_max = sp.n_seq_max;
    const int32_t n_threads = sp.n_threads, n_threads_batch = sp.n_threads_batch, flash_attn = sp.flash_attn;
    const int32_t type_k = sp.type_k, type_v = sp.type_v;
    const bool kv_taps = sp.kv_taps;
    if (n_ctx == 0 || n_batch == 0 || n_ubatch == 0 || n_batch > n_ctx || n_ubatch > n_batch)
        return fail_null<tf_session>("session sizes out of range (need 0 < n_ubatch <= n_batch <= n_ctx)");
    if (n_threads <= 0 || n_threads_batch <= 0) return fail_null<tf_session>("thread counts must be positive");
    if (n_seq_max == 0 || n_seq_max > kMaxSeq) return fail_null<tf_session>("n_seq_max out of range");
    if (flash_attn < -1 || flash_attn > 1) return fail_null<tf_session>("flash_attn must be -1, 0 or 1");
    if (type_k < 0 || type_k >= GGML_TYPE_COUNT || type_v < 0 || type_v >= GGML_TYPE_COUNT)
        return fail_null<tf_session>("unknown KV cache type");
    if (sp.sparse_policy < TF_SPARSE_NONE || sp.sparse_policy > TF_SPARSE_TOKENSELECT)
        return fail_null<tf_session>("unknown sparse attention policy");
    if (sp.sparse_policy != TF_SPARSE_NONE) {
        if (flash_attn == TF_FLASH_ATTN_OFF) return fail_null<tf_session>("sparse attention needs flash attention (auto or on)");
        if (sp.sparse_budget < 1 || sp.sparse_dense < 0 || sp.sparse_page < 1 || sp.sparse_init < 0 || sp.sparse_local < 0 ||
            !std::isfinite(sp.sparse_theta))
            return fail_null<tf_session>("sparse attention parameters out of range");
    }
    std::string lost;
    if (tfi::rpc_failures(model->rpc_endpoints, &lost) != model->rpc_failures_at_load)
        return fail_null<tf_session>("RPC server " + lost + " (free the model and load it again once the server is back)");
    auto s = std::make_unique<tf_session>();
    s->owner = model;
    s->type_k = type_k;
    s->type_v = type_v;
    // Flash attention's one-pass kernel skips masked cells, so extra cells of a tree leave a row's sums unchanged;
    // the plain path sums over a padded cell range whose length the tree changes.
    s->batch_invariant = sp.batch_invariant;
    s->embeddings = sp.embeddings;
    s->seq_streams = sp.seq_streams;
    s->device_logits = sp.device_logits;
    s->invariant_prompts = sp.invariant_prompts;
    s->invariant_kept = sp.batch_invariant && flash_attn != TF_FLASH_ATTN_OFF;
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
    p.kv_unified = !sp.seq_streams;  // one cache stream: token trees put many sequence ids on one cell
    if (sp.embeddings) {
        // Pooling needs a text's tokens in one micro-batch; the mean is llama.cpp's own pooling.
        if (n_ubatch != n_ctx || n_batch != n_ctx) return fail_null<tf_session>("an embedding session needs n_ubatch == n_batch == n_ctx");
        if (kv_taps || sp.sparse_policy != TF_SPARSE_NONE) return fail_null<tf_session>("an embedding session takes no taps or sparse attention");
        p.embeddings = true;
        p.pooling_type = LLAMA_POOLING_TYPE_MEAN;
    }
    p.abort_callback = abort_cb;
    p.abort_callback_data = s.get();
    p.no_perf = true;
    if (kv_taps) {
        // Only sessions that compress their cache pay for the callback (ggml then computes graphs in views).
        s->tap = std::make_unique<tfi::kv_tap>();
        p.cb_eval = tfi::kv_tap_eval;
        p.cb_eval_user_data = s->tap.get();
    }
    tfi::clear_llama_error();
    try {
        tfi::recoverable_scope recoverable;
        s->ctx = llama_init_from_model(model->model, p);
    } catch (const std::exception & e) {
        return fail_null<tf_session>(std::string("llama.cpp could not create the context: ") + e.what());
    }
    if (s->ctx == nullptr) {
        const std::string why = tfi::last_llama_error();
        return fail_null<tf_session>("llama.cpp could not create the context" + (why.empty() ? std::string() : ": " + why));
    }
    if (sp.batch_invariant && sp.invariant_tiles) llama_set_invariant_tiles(s->ctx, true);
    s->pool = tfi::threadpool_new(n_threads);
    if (n_threads_batch != n_threads) s->pool_batch = tfi::threadpool_new(n_threads_batch);
    if (s->pool != nullptr) llama_attach_threadpool(s->ctx, s->pool, s->pool_batch);
    if (sp.sparse_policy != TF_SPARSE_NONE) {
        auto st = std::make_unique<tfi::sparse_state>();
        st->policy = sp.sparse_policy;
        st->budget = sp.sparse_budget;
        st->dense = sp.sparse_dense;
        st->page = sp.sparse_page;
        st->reselect = sp.sparse_reselect;
        st->n_init = sp.sparse_init;
        st->n_local = sp.sparse_local;
        st->theta = sp.sparse_theta;
        st->n_layer = llama_model_n_layer(model->model);
        st->n_head = llama_model_n_head(model->model);
        st->n_head_kv = llama_model_n_head_kv(model->model);
        st->workers.resize(static_cast<size_t>(std::min(256, std::max(n_threads, n_threads_batch))));
        st->layers.resize(static_cast<size_t>(std::max(0, st->n_layer)));
        st->ops.resize(static_cast<size_t>(std::max(0, st->n_layer)));
        for (int32_t il = 0; il < st->n_layer; ++il) st->ops[static_cast<size_t>(il)] = tfi::sparse_op{st.get(), il};
        s->sparse = std::move(st);
        llama_set_attn_mask_hook(s->ctx, tfi::sparse_hook, s->sparse.get());
    }
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
    if (s->embeddings) return fail(TF_ERR_ARG, "decode: an embedding session only embeds (tf_session_embed)");
    const int32_t n_vocab = llama_vocab_n_tokens(s->owner->vocab);
    for (int32_t i = 0; i < n; ++i) {
        if (tokens[i] < 0 || tokens[i] >= n_vocab) return fail(TF_ERR_ARG, "decode: token id out of range at index " + std::to_string(i));
    }
    const int32_t n_batch = static_cast<int32_t>(llama_n_batch(s->ctx));
    llama_batch & batch = s->batch;
    s->has_logits = false;
    s->logit_rows = 0;
    s->use_invariant_kernels(n == 1 || s->invariant_prompts);
    for (int32_t start = 0; start < n; start += n_batch) {
        const int32_t len = std::min(n_batch, n - start);
        tfi::fill_sequence(batch, tokens + start, len, pos0 + start, seq, want_logits ? n - 1 - start : len);
        const int32_t rc = tfi::decode(s, batch);
        if (rc != 0) {
            // Undo this call's cells so the cache holds exactly what it held before.
            llama_memory_seq_rm(llama_get_memory(s->ctx), seq, pos0, -1);
            if (rc == tfi::kRpcLost) return TF_ERR_NATIVE;
            if (rc == 1) return fail(TF_ERR_NO_SLOT, "decode: no KV cache slot for the batch");
            if (rc == 2) return fail(TF_ERR_ABORTED, "decode: aborted");
            return fail(TF_ERR_NATIVE, "decode: llama_decode failed with code " + std::to_string(rc));
        }
    }
    s->has_logits = want_logits;
    return TF_OK;
}

int32_t tf_session_sparse_stats(tf_session * s, tf_sparse_stats * out, bool reset) {
    if (s == nullptr || out == nullptr) return fail(TF_ERR_ARG, "sparse_stats: null argument");
    *out = tf_sparse_stats{};
    if (s->sparse) {
        tfi::sparse_state & st = *s->sparse;
        out->rows_read = st.rows_read;
        out->rows_dense = st.rows_dense;
        out->select_ns = st.select_ns;
        out->cache_lookups = st.cache_lookups;
        out->cache_hits = st.cache_hits;
        out->sparse_layers = st.sparse_layers;
        if (reset) st.rows_read = st.rows_dense = st.select_ns = st.cache_lookups = st.cache_hits = 0;
    }
    return TF_OK;
}

int32_t tf_session_batch_invariant(const tf_session * s) {
    return s != nullptr && s->invariant_kept ? 1 : 0;
}

float * tf_session_logits(tf_session * s) {
    if (s == nullptr || !s->has_logits) return fail_null<float>("no logits available");
    return llama_get_logits_ith(s->ctx, -1);
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

static bool seq_ok(tf_session * s, int32_t seq) {
    return s != nullptr && seq >= 0 && static_cast<uint32_t>(seq) < llama_n_seq_max(s->ctx) && !s->embeddings;
}

int64_t tf_seq_state_size(tf_session * s, int32_t seq) {
    if (!seq_ok(s, seq)) return fail(TF_ERR_ARG, "seq_state_size: no such session or sequence");
    if (llama_memory_seq_pos_max(llama_get_memory(s->ctx), seq) < 0) return 0;
    return static_cast<int64_t>(llama_state_seq_get_size(s->ctx, seq));
}

int64_t tf_seq_state_get(tf_session * s, int32_t seq, uint8_t * dst, int64_t cap) {
    if (!seq_ok(s, seq) || dst == nullptr || cap < 0) return fail(TF_ERR_ARG, "seq_state_get: bad argument");
    const size_t need = llama_state_seq_get_size(s->ctx, seq);
    if (static_cast<uint64_t>(cap) < need) return fail(TF_ERR_ARG, "seq_state_get: buffer too small");
    const size_t n = llama_state_seq_get_data(s->ctx, dst, static_cast<size_t>(cap), seq);
    if (n == 0) return fail(TF_ERR_NATIVE, "seq_state_get: llama.cpp wrote no state");
    return static_cast<int64_t>(n);
}

int32_t tf_seq_state_set(tf_session * s, int32_t seq, const uint8_t * src, int64_t n) {
    if (!seq_ok(s, seq) || src == nullptr || n <= 0) return fail(TF_ERR_ARG, "seq_state_set: bad argument");
    llama_memory_seq_rm(llama_get_memory(s->ctx), seq, -1, -1);
    s->has_logits = false;
    s->logit_rows = 0;
    if (llama_state_seq_set_data(s->ctx, src, static_cast<size_t>(n), seq) == 0) {
        llama_memory_seq_rm(llama_get_memory(s->ctx), seq, -1, -1);
        return fail(TF_ERR_NO_SLOT, "seq_state_set: the state does not fit this session or is not a state of it");
    }
    return TF_OK;
}

} // extern "C"

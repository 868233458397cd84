// libtokenflow: TokenRing on a real model's attention (issue 15). A prompt is decoded in one micro-batch while one
// layer's Q, K, V (after RoPE) and attention output are copied out of llama.cpp's graph; the layer's attention is then
// computed again as P devices would compute it (tfk_ring_attn: Ring-Attention or TokenRing over P partitions of the
// prompt) and compared with llama.cpp's own result.
#include "tokenflow.h"
#include "facade_internal.h"

#include "ggml-backend.h"
#include "ggml.h"
#include "llama.h"
#include "tfkernels.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace tfi {

namespace {

bool named(const ggml_tensor * t, const char * base, int32_t layer) {
    char want[GGML_MAX_NAME];
    std::snprintf(want, sizeof(want), "%s-%d", base, layer);
    return std::strcmp(t->name, want) == 0;
}

// Copies an F32 tensor of up to 3 dimensions (contiguous) into dst; its shape into ne.
bool copy_out(const ggml_tensor * t, std::vector<float> & dst, int64_t ne[3], std::string & error) {
    if (t->type != GGML_TYPE_F32 || !ggml_is_contiguous(t) || t->ne[3] != 1) {
        error = std::string("tensor ") + t->name + " is not a contiguous F32 tensor of <= 3 dimensions";
        return false;
    }
    dst.resize(static_cast<size_t>(ggml_nelements(t)));
    ggml_backend_tensor_get(t, dst.data(), 0, ggml_nbytes(t));
    for (int i = 0; i < 3; ++i) ne[i] = t->ne[i];
    return true;
}

} // namespace

bool layer_capture::on_node(ggml_tensor * t, bool ask) {
    const bool wanted = named(t, "Qcur", layer) || named(t, "Kcur", layer) || named(t, "Vcur", layer) ||
                        named(t, "kqv_out", layer);
    if (ask) {
        // the scale is a graph constant: read it from the softmax (or flash attention) node without computing it
        if (named(t, "kq_soft_max", layer) && t->op == GGML_OP_SOFT_MAX) {
            std::memcpy(&scale, t->op_params, sizeof(float));
            have_scale = true;
        } else if (t->op == GGML_OP_FLASH_ATTN_EXT && !have_scale && !q.empty()) {
            std::memcpy(&scale, t->op_params, sizeof(float));
            have_scale = true;
        }
        return wanted;
    }
    if (!wanted || !error.empty()) return true;
    if (named(t, "Qcur", layer)) copy_out(t, q, q_ne, error);
    else if (named(t, "Kcur", layer)) copy_out(t, k, k_ne, error);
    else if (named(t, "Vcur", layer)) copy_out(t, v, v_ne, error);
    else copy_out(t, o, o_ne, error);
    return true;
}

} // namespace tfi

using tfi::fail;

extern "C" {

int32_t tf_session_ring_check(tf_session * s, const int32_t * tokens, int32_t n, int32_t layer, int32_t schedule,
                              int32_t n_devices, tf_ring_check * out) {
    if (s == nullptr || tokens == nullptr || out == nullptr) return fail(TF_ERR_ARG, "ring_check: null argument");
    if (!s->tap) return fail(TF_ERR_ARG, "ring_check: needs a session created with kv_taps");
    if (s->embeddings || s->seq_streams) return fail(TF_ERR_ARG, "ring_check: not on an embedding or multi-stream session");
    if (n < 1 || n > static_cast<int32_t>(llama_n_ubatch(s->ctx)) || n > static_cast<int32_t>(llama_n_ctx(s->ctx)))
        return fail(TF_ERR_ARG, "ring_check: the prompt must fit one micro-batch (1..n_ubatch tokens)");
    if (layer < 0 || layer >= llama_model_n_layer(s->owner->model)) return fail(TF_ERR_ARG, "ring_check: layer out of range");
    if (schedule != TFK_RING_ATTENTION && schedule != TFK_TOKEN_RING) return fail(TF_ERR_ARG, "ring_check: unknown schedule");
    if (n_devices < 1 || n_devices > 64) return fail(TF_ERR_ARG, "ring_check: n_devices outside 1..64");
    const int32_t n_vocab = llama_vocab_n_tokens(s->owner->vocab);
    for (int32_t i = 0; i < n; ++i)
        if (tokens[i] < 0 || tokens[i] >= n_vocab) return fail(TF_ERR_ARG, "ring_check: token id out of range at " + std::to_string(i));

    // decode the prompt alone, from position 0, in one micro-batch, with the layer's tensors copied out
    tfi::layer_capture cap;
    cap.layer = layer;
    llama_memory_clear(llama_get_memory(s->ctx), true);
    s->has_logits = false;
    s->logit_rows = 0;
    s->tap->capture = &cap;
    llama_batch & batch = s->batch;
    tfi::fill_sequence(batch, tokens, n, 0, 0, n - 1);
    const auto t0 = std::chrono::steady_clock::now();
    const int32_t rc = tfi::decode(s, batch);  // (an RPC loss is recorded like any decode's)
    const double llama_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    s->tap->capture = nullptr;
    llama_memory_clear(llama_get_memory(s->ctx), true);
    if (rc == tfi::kRpcLost) return TF_ERR_NATIVE;
    if (rc != 0) return fail(TF_ERR_NATIVE, "ring_check: llama_decode failed with code " + std::to_string(rc));
    if (!cap.error.empty()) return fail(TF_ERR_NATIVE, "ring_check: " + cap.error);
    if (cap.q.empty() || cap.k.empty() || cap.v.empty() || cap.o.empty() || !cap.have_scale)
        return fail(TF_ERR_NATIVE, "ring_check: this model's graph does not name Qcur/Kcur/Vcur/kqv_out of that layer");
    // shapes: Q [d, n_head, n], K [d, n_head_kv, n], V [dv, n_head_kv, n], out [dv * n_head, n]
    const int64_t d = cap.q_ne[0], n_head = cap.q_ne[1], n_head_kv = cap.k_ne[1], dv = cap.v_ne[0];
    if (cap.q_ne[2] != n || cap.k_ne[2] != n || cap.v_ne[2] != n || cap.k_ne[0] != d || cap.v_ne[1] != n_head_kv ||
        cap.o_ne[0] != dv * n_head || cap.o_ne[1] != n || n_head_kv < 1 || n_head % n_head_kv != 0)
        return fail(TF_ERR_NATIVE, "ring_check: unexpected tensor shapes in this model's graph");

    tfk_block_view v{};
    v.head_dim = d;
    v.head_dim_v = dv;
    v.n_head = n_head;
    v.n_head_kv = n_head_kv;
    v.n_q = v.n_kv = n;
    v.q = cap.q.data();
    v.q_row_stride = d * n_head;
    v.q_head_stride = d;
    v.k = cap.k.data();
    v.k_row_stride = d * n_head_kv;
    v.k_head_stride = d;
    v.v = cap.v.data();
    v.v_row_stride = dv * n_head_kv;
    v.v_head_stride = dv;
    v.causal = 1;
    v.q_pos0 = v.k_pos0 = 0;
    v.scale = cap.scale;
    const size_t n_out = static_cast<size_t>(n) * static_cast<size_t>(n_head * dv);
    std::vector<float> ring(n_out), ring_lse(static_cast<size_t>(n * n_head)), one(n_out), one_lse(ring_lse.size());
    tfk_ring_stats st{};
    const auto t1 = std::chrono::steady_clock::now();
    int k = tfk_ring_attn(&v, schedule, n_devices, ring.data(), ring_lse.data(), &st);
    const double ring_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
    if (k != 0) return fail(TF_ERR_NATIVE, std::string("ring_check: tfk_ring_attn: ") + tfk_status_str(k));
    k = tfk_block_attn(&v, one.data(), one_lse.data(), 0);
    if (k != 0) return fail(TF_ERR_NATIVE, std::string("ring_check: tfk_block_attn: ") + tfk_status_str(k));

    double scale_llama = 0, err_llama = 0, scale_one = 0, err_one = 0;
    for (size_t i = 0; i < n_out; ++i) {
        scale_llama = std::max(scale_llama, std::fabs(static_cast<double>(cap.o[i])));
        err_llama = std::max(err_llama, std::fabs(static_cast<double>(ring[i]) - cap.o[i]));
        scale_one = std::max(scale_one, std::fabs(static_cast<double>(one[i])));
        err_one = std::max(err_one, std::fabs(static_cast<double>(ring[i]) - one[i]));
    }
    *out = tf_ring_check{};
    out->n_tokens = n;
    out->n_head = static_cast<int32_t>(n_head);
    out->n_head_kv = static_cast<int32_t>(n_head_kv);
    out->head_dim = static_cast<int32_t>(d);
    out->max_abs_err = err_llama;
    out->max_rel_err = scale_llama > 0 ? err_llama / scale_llama : err_llama;
    out->one_device_rel_err = scale_one > 0 ? err_one / scale_one : err_one;
    out->messages = st.q_messages + st.kv_messages + st.out_messages;
    out->bytes = st.q_bytes + st.kv_bytes + st.out_bytes;
    out->ring_ms = ring_ms;
    out->llama_decode_ms = llama_ms;
    return TF_OK;
}

} // extern "C"

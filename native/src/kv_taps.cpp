// libtokenflow: attention taps and KV-cache bookkeeping for KV compression (see tokenflow.h, "KV compression").
#include "facade_internal.h"
#include "kv_tap.h"
#include "tokenflow.h"

#include "ggml-backend.h"
#include "ggml.h"
#include "tfkernels.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <numeric>

namespace tfi {

namespace {

// Layer index of the K cache a tensor reads, following views, permutes and casts back to "cache_k_l<il>".
int layer_of_k(const ggml_tensor * k) {
    for (const ggml_tensor * t = k; t != nullptr;) {
        if (const char * p = std::strstr(t->name, "cache_k_l")) return std::atoi(p + 9);
        if (t->view_src != nullptr) t = t->view_src;
        else if (t->op == GGML_OP_CPY || t->op == GGML_OP_CONT || t->op == GGML_OP_PERMUTE) t = t->src[0];
        else break;
    }
    return -1;
}

struct attn_inputs {
    const ggml_tensor * q = nullptr;
    const ggml_tensor * k = nullptr;
    const ggml_tensor * mask = nullptr;
    float scale = 1.0f;
    int layer = -1;
};

// The attention node of a layer, as llama.cpp's build_attn_mha lays it out:
//  - flash attention: the (unnamed) GGML_OP_FLASH_ATTN_EXT node, src = q, k, v, mask; op_params[0] = scale;
//  - otherwise: the soft_max node "kq_soft_max-<il>" over kq = mul_mat(k, q), src[1] = mask, op_params[0] = scale.
// Models that bias or soft-cap kq (kq is then not the mul_mat itself) are not tapped.
bool attention_inputs(const ggml_tensor * t, attn_inputs & a) {
    if (t->op == GGML_OP_FLASH_ATTN_EXT) {
        a.q = t->src[0];
        a.k = t->src[1];
        a.mask = t->src[3];
        // An F32 cache is cast to F16 for flash attention: score the cache itself.
        while (a.k != nullptr && a.k->op == GGML_OP_CPY && a.k->src[0] != nullptr) a.k = a.k->src[0];
        std::memcpy(&a.scale, t->op_params, sizeof(float));
        a.layer = layer_of_k(a.k);
        return a.q != nullptr && a.k != nullptr && a.layer >= 0;
    }
    if (t->op == GGML_OP_SOFT_MAX && std::strncmp(t->name, "kq_soft_max-", 12) == 0) {
        const ggml_tensor * kq = t->src[0];
        if (kq == nullptr || kq->op != GGML_OP_MUL_MAT) return false;
        a.k = kq->src[0];
        a.q = kq->src[1];
        a.mask = t->src[1];
        std::memcpy(&a.scale, t->op_params, sizeof(float));
        a.layer = std::atoi(t->name + 12);
        return a.q != nullptr && a.k != nullptr;
    }
    return false;
}

bool dtype_of(const ggml_tensor * t, tfk_dtype & out) {
    if (t->type == GGML_TYPE_F32) { out = TFK_F32; return true; }
    if (t->type == GGML_TYPE_F16) { out = TFK_F16; return true; }
    return false;
}

} // namespace

void kv_tap::arm(const int32_t * layer_ids, int32_t n, int32_t threads) {
    layers.assign(layer_ids, layer_ids + n);
    armed = n > 0;
    n_threads = threads;
    n_head = 0;
    n_kv = 0;
    scores.clear();
    scored.assign(static_cast<size_t>(n), 0);
    ms = 0.0;
    error = 0;
    error_text.clear();
}

bool kv_tap::on_node(ggml_tensor * t, bool ask) {
    if (!armed) return ask ? false : true;
    attn_inputs a;
    if (!attention_inputs(t, a)) return ask ? false : true;
    const auto it = std::find(layers.begin(), layers.end(), a.layer);
    if (it == layers.end()) return ask ? false : true;
    if (ask) return true;
    if (error != 0) return true;  // keep decoding; the error is reported after the call
    const size_t slot = static_cast<size_t>(it - layers.begin());

    tfk_attn_view v{};
    v.head_dim = a.q->ne[0];
    v.n_rows = a.q->ne[1];
    v.n_head = a.q->ne[2];
    v.n_kv = a.k->ne[1];
    v.n_head_kv = a.k->ne[2];
    if (a.q->ne[3] != 1 || a.k->ne[3] != 1 || a.k->ne[0] != v.head_dim || !dtype_of(a.q, v.q_type) ||
        !dtype_of(a.k, v.k_type) || a.q->nb[0] != ggml_type_size(a.q->type) || a.k->nb[0] != ggml_type_size(a.k->type)) {
        error = TFK_ERR_BAD_SHAPE;
        error_text = "attention layout not supported for scoring (KV compression needs an F16 or F32 K cache)";
        return true;
    }
    v.q = a.q->data;
    v.q_row_stride = static_cast<int64_t>(a.q->nb[1]);
    v.q_head_stride = static_cast<int64_t>(a.q->nb[2]);
    v.k = a.k->data;
    v.k_cell_stride = static_cast<int64_t>(a.k->nb[1]);
    v.k_head_stride = static_cast<int64_t>(a.k->nb[2]);
    if (a.mask != nullptr) {
        if (!dtype_of(a.mask, v.mask_type) || a.mask->ne[0] != v.n_kv || a.mask->ne[1] < v.n_rows) {
            error = TFK_ERR_BAD_SHAPE;
            error_text = "attention mask layout not supported for scoring";
            return true;
        }
        v.mask = a.mask->data;
        v.mask_row_stride = static_cast<int64_t>(a.mask->nb[1]);
    }
    v.scale = a.scale;

    // Results grow with n_kv (a later micro-batch may see more cells); earlier slots keep their cells' sums.
    if (n_head == 0) n_head = static_cast<int32_t>(v.n_head);
    if (n_head != v.n_head) {
        error = TFK_ERR_BAD_SHAPE;
        error_text = "layers with different head counts cannot be scored together";
        return true;
    }
    if (v.n_kv > n_kv) {
        const size_t n_slots = layers.size();
        std::vector<float> grown(n_slots * static_cast<size_t>(n_head) * static_cast<size_t>(v.n_kv), 0.0f);
        for (size_t s = 0; s < n_slots && n_kv > 0; ++s)
            for (int32_t h = 0; h < n_head; ++h)
                std::copy_n(scores.begin() + static_cast<std::ptrdiff_t>((s * n_head + h) * static_cast<size_t>(n_kv)), n_kv,
                            grown.begin() + static_cast<std::ptrdiff_t>((s * n_head + h) * static_cast<size_t>(v.n_kv)));
        scores.swap(grown);
        n_kv = static_cast<int32_t>(v.n_kv);
    }
    const size_t per_slot = static_cast<size_t>(n_head) * static_cast<size_t>(n_kv);
    float * out = scores.data() + slot * per_slot;
    const auto t0 = std::chrono::steady_clock::now();
    int rc;
    const tfi::tensor_place where = tfi::place_of(a.q);
    if (where.kind == tfi::tensor_place::other || tfi::place_of(a.k).kind != where.kind ||
        (a.mask != nullptr && tfi::place_of(a.mask).kind != where.kind)) {
        error = TFK_ERR_NO_CUDA;
        error_text = "window scoring: the attention tensors are neither in host memory nor on one CUDA device";
        return true;
    }
    if (where.kind == tfi::tensor_place::host) {
        if (v.n_kv == n_kv) {
            rc = tfk_window_scores(&v, out, 1, n_threads);
        } else {  // fewer cells than the slot holds: score into a scratch row set, then add
            std::vector<float> tmp(static_cast<size_t>(n_head) * static_cast<size_t>(v.n_kv));
            rc = tfk_window_scores(&v, tmp.data(), 0, n_threads);
            for (int32_t h = 0; rc == 0 && h < n_head; ++h)
                for (int64_t j = 0; j < v.n_kv; ++j) out[static_cast<size_t>(h) * n_kv + j] += tmp[static_cast<size_t>(h * v.n_kv + j)];
        }
    } else {
        // Tensors live on the GPU: score there (ggml's scheduler has synchronised the backend before calling us),
        // then bring back n_head x n_kv floats only.
        const size_t bytes = static_cast<size_t>(n_head) * static_cast<size_t>(v.n_kv) * sizeof(float);
        rc = tfk_cuda_set_device(where.cuda_device);
        if (rc == 0) rc = dev_out.reserve(bytes);
        std::vector<float> tmp(static_cast<size_t>(n_head) * static_cast<size_t>(v.n_kv));
        if (rc == 0) rc = tfk_window_scores_cuda(&v, static_cast<float *>(dev_out.ptr), 0, nullptr);
        if (rc == 0) rc = tfk_cuda_synchronize(nullptr);
        if (rc == 0) rc = tfk_cuda_memcpy_d2h(tmp.data(), dev_out.ptr, bytes);
        for (int32_t h = 0; rc == 0 && h < n_head; ++h)
            for (int64_t j = 0; j < v.n_kv; ++j) out[static_cast<size_t>(h) * n_kv + j] += tmp[static_cast<size_t>(h * v.n_kv + j)];
    }
    ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (rc != 0) {
        error = rc;
        error_text = std::string("window scoring failed: ") + tfk_status_str(rc);
        return true;
    }
    scored[slot] = 1;
    return true;
}

bool kv_tap_eval(ggml_tensor * t, bool ask, void * user) {
    kv_tap * tap = static_cast<kv_tap *>(user);
    if (tap->capture == nullptr) return tap->on_node(t, ask);
    const bool c = tap->capture->on_node(t, ask);
    const bool k = tap->on_node(t, ask);
    return ask ? (c || k) : (c && k);
}

} // namespace tfi

using tfi::fail;

extern "C" {

int32_t tf_session_kv_arm(tf_session * s, const int32_t * layers, int32_t n_layers, int32_t n_threads) {
    if (s == nullptr) return fail(TF_ERR_ARG, "session is null");
    if (!s->tap) return fail(TF_ERR_ARG, "kv_arm: the session was created without KV taps");
    if (n_layers < 0 || (n_layers > 0 && layers == nullptr)) return fail(TF_ERR_ARG, "kv_arm: bad layer list");
    const int32_t n_layer = llama_model_n_layer(s->owner->model);
    for (int32_t i = 0; i < n_layers; ++i) {
        if (layers[i] < 0 || layers[i] >= n_layer) return fail(TF_ERR_ARG, "kv_arm: layer " + std::to_string(layers[i]) + " out of range");
        for (int32_t j = 0; j < i; ++j)
            if (layers[j] == layers[i]) return fail(TF_ERR_ARG, "kv_arm: layer " + std::to_string(layers[i]) + " listed twice");
    }
    s->tap->arm(layers, n_layers, n_threads);
    return TF_OK;
}

int32_t tf_session_kv_disarm(tf_session * s) {
    if (s == nullptr) return fail(TF_ERR_ARG, "session is null");
    if (s->tap) s->tap->armed = false;
    return TF_OK;
}

double tf_session_kv_score_ms(const tf_session * s) {
    return s != nullptr && s->tap ? s->tap->ms : 0.0;
}

int32_t tf_session_kv_scores(tf_session * s, int32_t slot, int32_t seq, int32_t pos_end, int32_t * out_pos,
                             float * out_scores, int32_t cap, int32_t * out_n_head) {
    if (s == nullptr) return fail(TF_ERR_ARG, "session is null");
    if (!s->tap) return fail(TF_ERR_ARG, "kv_scores: the session was created without KV taps");
    tfi::kv_tap & tap = *s->tap;
    if (tap.error != 0) return fail(TF_ERR_NATIVE, "kv_scores: " + tap.error_text);
    if (slot < 0 || static_cast<size_t>(slot) >= tap.layers.size()) return fail(TF_ERR_ARG, "kv_scores: slot out of range");
    if (!tap.scored[static_cast<size_t>(slot)])
        return fail(TF_ERR_NATIVE, "kv_scores: layer " + std::to_string(tap.layers[static_cast<size_t>(slot)]) +
                                   " was not scored (no armed decode, or its attention could not be tapped)");
    if (out_n_head != nullptr) *out_n_head = tap.n_head;
    std::vector<llama_pos> cell_pos(static_cast<size_t>(tap.n_kv), -1);
    const int32_t n_cells = llama_memory_seq_cell_positions(llama_get_memory(s->ctx), seq, cell_pos.data(), tap.n_kv);
    if (n_cells < 0) return fail(TF_ERR_NATIVE, "kv_scores: the memory is not a plain KV cache");
    // Cells of seq below pos_end, in position order.
    std::vector<int32_t> cells;
    for (int32_t j = 0; j < std::min(n_cells, tap.n_kv); ++j)
        if (cell_pos[static_cast<size_t>(j)] >= 0 && (pos_end < 0 || cell_pos[static_cast<size_t>(j)] < pos_end)) cells.push_back(j);
    std::sort(cells.begin(), cells.end(), [&](int32_t x, int32_t y) { return cell_pos[static_cast<size_t>(x)] < cell_pos[static_cast<size_t>(y)]; });
    const int32_t m = static_cast<int32_t>(cells.size());
    if (cap < m || out_pos == nullptr || out_scores == nullptr) return m;
    const float * src = tap.scores.data() + static_cast<size_t>(slot) * tap.n_head * static_cast<size_t>(tap.n_kv);
    for (int32_t i = 0; i < m; ++i) out_pos[i] = cell_pos[static_cast<size_t>(cells[static_cast<size_t>(i)])];
    for (int32_t h = 0; h < tap.n_head; ++h)
        for (int32_t i = 0; i < m; ++i)
            out_scores[static_cast<size_t>(h) * m + i] = src[static_cast<size_t>(h) * tap.n_kv + cells[static_cast<size_t>(i)]];
    return m;
}

int32_t tf_session_kv_cells(tf_session * s, int32_t seq, int32_t * out_pos, int32_t cap) {
    if (s == nullptr) return fail(TF_ERR_ARG, "session is null");
    llama_memory_t mem = llama_get_memory(s->ctx);
    const int32_t n = llama_memory_seq_cell_positions(mem, seq, nullptr, 0);
    if (n < 0) return fail(TF_ERR_NATIVE, "kv_cells: the memory is not a plain KV cache (or bad sequence id)");
    std::vector<llama_pos> pos(static_cast<size_t>(n));
    llama_memory_seq_cell_positions(mem, seq, pos.data(), n);
    int32_t used = 0;
    for (int32_t j = 0; j < n; ++j) {
        if (pos[static_cast<size_t>(j)] < 0) continue;
        if (out_pos != nullptr && used < cap) out_pos[used] = pos[static_cast<size_t>(j)];
        ++used;
    }
    if (out_pos != nullptr) std::sort(out_pos, out_pos + std::min(used, cap));
    return used;
}

int64_t tf_session_kv_cell_bytes(const tf_session * s) {
    if (s == nullptr) return fail(TF_ERR_ARG, "session is null");
    const llama_model * m = s->owner->model;
    const int64_t n_layer = llama_model_n_layer(m);
    const int64_t n_head = std::max(1, llama_model_n_head(m));
    const int64_t n_head_kv = std::max(1, llama_model_n_head_kv(m));
    const int64_t head_dim = llama_model_n_embd(m) / n_head;
    const int64_t row = head_dim * n_head_kv;
    return n_layer * static_cast<int64_t>(ggml_row_size(static_cast<ggml_type>(s->type_k), row) +
                                          ggml_row_size(static_cast<ggml_type>(s->type_v), row));
}

int32_t tf_window_aggregate(const float * scores, int64_t n_head, int64_t n_tokens, int64_t row_stride, int32_t w,
                            int32_t mode, float * out) {
    const int rc = tfk_window_aggregate(scores, n_head, n_tokens, row_stride, w, mode, out);
    if (rc != 0) return fail(TF_ERR_ARG, std::string("window_aggregate: ") + tfk_status_str(rc));
    return TF_OK;
}

int32_t tf_pool1d(const float * in, int64_t n, int32_t kernel, int32_t mode, float * out) {
    const int rc = tfk_pool1d(in, n, kernel, mode, out);
    if (rc != 0) return fail(TF_ERR_ARG, std::string("pool1d: ") + tfk_status_str(rc));
    return TF_OK;
}

} // extern "C"

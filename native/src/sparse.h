// Internal to libtokenflow: query-aware sparse attention state of a session (sparse.cpp).
#ifndef TOKENFLOW_SPARSE_H
#define TOKENFLOW_SPARSE_H

#include "tokenflow.h"

#include <atomic>
#include <cstdint>
#include <vector>

struct ggml_context;
struct ggml_tensor;

namespace tfi {

struct sparse_state;

// One custom op per sparse layer points here.
struct sparse_op {
    sparse_state * s = nullptr;
    int32_t il = 0;
};

// What a layer keeps between steps.
struct sparse_layer {
    // Quest: element-wise min/max of the keys per KV head and page ([kv head][page][d], room for `pages` pages), and
    // the pages to recompute.
    std::vector<float> mins, maxs;
    std::vector<uint8_t> page_dirty;
    int64_t pages = 0;
    // TokenSelect's selection cache: the query (all heads, F32) that made the cached list, and the list.
    std::vector<float> q_cached;
    std::vector<int32_t> cached;
    int64_t cached_n_kv = -1;
};

// Scratch of one compute thread (ops run on all of ggml's threads, each on its own KV heads).
struct sparse_worker {
    std::vector<float> scores;
    std::vector<int64_t> indptr;
    std::vector<int32_t> idx;
    std::vector<uint8_t> seen;    // Quest: [row][page] 1 if the page holds a visible cell of the row
    std::vector<int64_t> recent;  // Quest: [row][P] pages of the row's last P visible cells (-1: none)
};

struct sparse_state {
    int32_t policy = TF_SPARSE_NONE;
    int32_t budget = 256, dense = 2, page = 16, reselect = 13, n_init = 128, n_local = 512;
    float theta = 2.0f;
    int32_t n_layer = 0, n_head = 0, n_head_kv = 0;
    std::vector<sparse_layer> layers;
    std::vector<sparse_op> ops;
    std::vector<sparse_worker> workers;  // one per compute thread (sized for the session's largest thread count)
    // TidalDecode: the lists made by the last selection layer, per query row and KV head, and the shape they were made
    // for (a later layer of another batch must not reuse them).
    std::vector<std::vector<int32_t>> tidal_lists;
    int64_t tidal_rows = -1, tidal_n_kv = -1;
    // Counters (compute threads add to them concurrently).
    std::atomic<int64_t> rows_read{0}, rows_dense{0}, select_ns{0}, cache_lookups{0}, cache_hits{0};
    int64_t sparse_layers = 0;
    int64_t hooked = 0;  // layers given an op since the last graph build started

    bool sparse_layer_at(int32_t il) const { return policy != TF_SPARSE_NONE && il >= dense; }
    bool selects_at(int32_t il) const { return policy == TF_SPARSE_TIDAL && (il == dense || il == reselect); }
};

// llama_attn_mask_hook (user data: the sparse_state).
ggml_tensor * sparse_hook(ggml_context * ctx, int32_t il, ggml_tensor * q, ggml_tensor * k, ggml_tensor * k_idxs,
                          ggml_tensor * kq_mask, int64_t * n_kv_max, void * user);

} // namespace tfi

#endif // TOKENFLOW_SPARSE_H

// libtokenflow: query-aware sparse attention (Quest, TidalDecode, TokenSelect) inside llama.cpp's graph.
//
// llama.cpp's attention mask hook (patch 0006) calls sparse_hook while a graph is built; for every sparse layer it
// adds a custom op that runs when the graph runs, after the batch's keys are in the cache. The op scores the cached
// cells against the layer's query with tfkernels (the plan step: per query row and KV head a CSR list of cells, at
// most the budget) and writes the lists as the layer's flash-attention mask, one mask per query head, -inf
// elsewhere; flash attention then skips the K and V rows of every -inf cell (the run step).
#include "sparse.h"
#include "facade_internal.h"

#include "ggml.h"
#include "tfkernels.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

namespace tfi {
namespace {

// Batches of more rows than this (prompt processing) attend densely, as the papers do.
constexpr int64_t kMaxSparseRows = 64;
constexpr uint16_t kF16NegInf = 0xFC00;

struct op_inputs {
    const ggml_tensor * q;
    const ggml_tensor * k;
    const ggml_tensor * kidx;
    const ggml_tensor * mask;
    int64_t d, n_head, n_head_kv, n_kv, n_rows;
};

const uint16_t * mask_row(const ggml_tensor * mask, int64_t r) {
    return reinterpret_cast<const uint16_t *>(static_cast<const char *>(mask->data) + r * mask->nb[1]);
}

uint16_t * dst_row(ggml_tensor * dst, int64_t h, int64_t r) {
    return reinterpret_cast<uint16_t *>(static_cast<char *>(dst->data) + r * dst->nb[1] + h * dst->nb[2]);
}

tfk_attn_view view_of(const op_inputs & in, float scale, bool with_mask) {
    tfk_attn_view v{};
    v.head_dim = in.d;
    v.n_head = in.n_head;
    v.n_head_kv = in.n_head_kv;
    v.n_rows = in.n_rows;
    v.n_kv = in.n_kv;
    v.q = in.q->data;
    v.q_type = TFK_F32;
    v.q_row_stride = static_cast<int64_t>(in.q->nb[2]);
    v.q_head_stride = static_cast<int64_t>(in.q->nb[1]);
    v.k = in.k->data;
    v.k_type = in.k->type == GGML_TYPE_F16 ? TFK_F16 : TFK_F32;
    v.k_cell_stride = static_cast<int64_t>(in.k->nb[2]);
    v.k_head_stride = static_cast<int64_t>(in.k->nb[1]);
    v.mask = with_mask ? in.mask->data : nullptr;
    v.mask_type = TFK_F16;
    v.mask_row_stride = static_cast<int64_t>(in.mask->nb[1]);
    v.scale = scale;
    return v;
}

// Every query head reads the layer's own mask (dense attention), for the rows the batch has.
void write_dense(ggml_tensor * dst, const op_inputs & in) {
    for (int64_t h = 0; h < dst->ne[2]; ++h)
        for (int64_t r = 0; r < dst->ne[1]; ++r)
            std::memcpy(dst_row(dst, h, r), mask_row(in.mask, r), sizeof(uint16_t) * in.n_kv);
}

// Writes per query row and KV head lists (CSR over n_rows * n_head_kv lists, or n_rows lists shared by all heads)
// as masks: the base mask at listed cells, -inf elsewhere. Returns the cells read (visible listed cells, counted once
// per KV head).
int64_t write_lists(ggml_tensor * dst, const op_inputs & in, const int64_t * indptr, const int32_t * idx, bool per_kv_head,
                    int64_t cells_per_entry) {
    const int64_t group = in.n_head / in.n_head_kv;
    int64_t read = 0;
    for (int64_t r = 0; r < dst->ne[1]; ++r) {
        const uint16_t * base = mask_row(in.mask, r);
        for (int64_t h = 0; h < in.n_head; ++h) {
            uint16_t * out = dst_row(dst, h, r);
            if (r >= in.n_rows) {
                std::memcpy(out, base, sizeof(uint16_t) * in.n_kv);
                continue;
            }
            std::fill(out, out + in.n_kv, kF16NegInf);
            const int64_t list = per_kv_head ? r * in.n_head_kv + h / group : r;
            // count each list once: per KV head at the group's first head, a shared list at head 0 for every KV head
            const bool count = per_kv_head ? h % group == 0 : h == 0;
            for (int64_t e = indptr[list]; e < indptr[list + 1]; ++e) {
                const int64_t c0 = static_cast<int64_t>(idx[e]) * cells_per_entry;
                const int64_t c1 = std::min(in.n_kv, c0 + cells_per_entry);
                for (int64_t c = c0; c < c1; ++c) {
                    out[c] = base[c];
                    if (count && base[c] != kF16NegInf) read += per_kv_head ? 1 : in.n_head_kv;
                }
            }
        }
    }
    return read;
}

// Quest: recompute the page metadata of the pages this batch wrote (and of pages new since the last call). Cells
// freed since stay in their page's bound, which remains an upper bound; a page is recomputed when a cell of it is
// written again.
void update_pages(sparse_state & s, sparse_layer & L, const op_inputs & in) {
    const int64_t P = s.page, n_pages = (in.n_kv + P - 1) / P, stride = in.n_head_kv * in.d;
    if (static_cast<int64_t>(L.page_dirty.size()) < n_pages) {
        L.page_dirty.resize(static_cast<size_t>(n_pages), 1);
        L.mins.resize(static_cast<size_t>(n_pages * stride));
        L.maxs.resize(static_cast<size_t>(n_pages * stride));
    }
    if (in.kidx != nullptr && in.kidx->type == GGML_TYPE_I64) {
        const auto * ids = static_cast<const int64_t *>(in.kidx->data);
        for (int64_t t = 0; t < ggml_nelements(in.kidx); ++t)
            if (ids[t] >= 0 && ids[t] < in.n_kv) L.page_dirty[static_cast<size_t>(ids[t] / P)] = 1;
    } else {
        std::fill(L.page_dirty.begin(), L.page_dirty.end(), 1);
    }
    const tfk_attn_view v = view_of(in, 1.0f, false);
    for (int64_t p = 0; p < n_pages;) {
        if (!L.page_dirty[static_cast<size_t>(p)]) { ++p; continue; }
        int64_t e = p;
        while (e < n_pages && L.page_dirty[static_cast<size_t>(e)]) L.page_dirty[static_cast<size_t>(e++)] = 0;
        tfk_quest_page_meta(&v, P, p, e, L.mins.data(), L.maxs.data(), s.n_threads);
        p = e;
    }
}

// Quest: per row and KV head the best pages by upper bound (max(3, budget/page) of them, the row's last visible page
// always among them), pages without a visible cell never.
bool select_quest(sparse_state & s, sparse_layer & L, const op_inputs & in) {
    const int64_t P = s.page, n_pages = (in.n_kv + P - 1) / P, n_lists = in.n_rows * in.n_head_kv;
    s.scores.resize(static_cast<size_t>(n_lists * n_pages));
    const tfk_attn_view v = view_of(in, 1.0f, true);
    if (tfk_quest_page_scores(&v, L.mins.data(), L.maxs.data(), P, n_pages, s.scores.data(), s.n_threads) != TFK_OK) return false;
    const float inf = std::numeric_limits<float>::infinity();
    for (int64_t r = 0; r < in.n_rows; ++r) {
        const uint16_t * m = mask_row(in.mask, r);
        int64_t last = -1;
        std::vector<uint8_t> seen(static_cast<size_t>(n_pages), 0);
        for (int64_t c = 0; c < in.n_kv; ++c)
            if (m[c] != kF16NegInf) { seen[static_cast<size_t>(c / P)] = 1; last = c / P; }
        for (int64_t g = 0; g < in.n_head_kv; ++g) {
            float * row = s.scores.data() + (r * in.n_head_kv + g) * n_pages;
            for (int64_t p = 0; p < n_pages; ++p) if (!seen[static_cast<size_t>(p)]) row[p] = -inf;
            if (last >= 0) row[last] = inf;
        }
    }
    const int64_t k = std::max<int64_t>(3, s.budget / P);
    s.indptr.resize(static_cast<size_t>(n_lists + 1));
    s.idx.resize(static_cast<size_t>(n_lists * std::min(k, n_pages)));
    return tfk_select_topk(s.scores.data(), n_lists, n_pages, n_pages, k, s.indptr.data(), s.idx.data(), s.n_threads) == TFK_OK;
}

// TidalDecode's selection layers: per row and KV head the budget best cells by q.k/sqrt(d) (max over the group's
// query heads), kept for the layers after it.
bool select_tidal(sparse_state & s, const op_inputs & in) {
    const int64_t n_lists = in.n_rows * in.n_head_kv;
    s.scores.resize(static_cast<size_t>(n_lists * in.n_kv));
    const tfk_attn_view v = view_of(in, 1.0f / std::sqrt(static_cast<float>(in.d)), true);
    if (tfk_tidal_scores(&v, s.scores.data(), s.n_threads) != TFK_OK) return false;
    s.tidal_indptr.resize(static_cast<size_t>(n_lists + 1));
    s.tidal_idx.resize(static_cast<size_t>(n_lists * std::min<int64_t>(s.budget, in.n_kv)));
    if (tfk_select_topk(s.scores.data(), n_lists, in.n_kv, in.n_kv, s.budget, s.tidal_indptr.data(), s.tidal_idx.data(),
                        s.n_threads) != TFK_OK) return false;
    s.tidal_rows = in.n_rows;
    s.tidal_n_kv = in.n_kv;
    return true;
}

// TokenSelect: per row the first n_init and last n_local visible cells, plus the budget best others by the soft vote
// of the heads (sum over heads of softmax_j q.k); a single-token step may reuse the layer's last list (theta).
bool select_tokenselect(sparse_state & s, sparse_layer & L, const op_inputs & in) {
    const tfk_attn_view v = view_of(in, 1.0f, true);
    const int64_t hd = in.n_head * in.d;
    bool reuse = false;
    if (s.theta <= 1.0f && in.n_rows == 1) {
        s.stats.cache_lookups++;
        double cosv = -2.0;
        if (L.cached_n_kv >= 0 && static_cast<int64_t>(L.q_cached.size()) == hd &&
            tfk_query_cosine(&v, 0, L.q_cached.data(), &cosv) == TFK_OK && cosv >= s.theta) {
            reuse = true;
            s.stats.cache_hits++;
        }
    }
    s.indptr.assign(static_cast<size_t>(in.n_rows + 1), 0);
    s.idx.clear();
    std::vector<int32_t> chosen;
    s.scores.resize(static_cast<size_t>(in.n_rows * in.n_kv));
    if (!reuse && tfk_tokenselect_scores(&v, s.scores.data(), s.n_threads) != TFK_OK) return false;
    const float inf = std::numeric_limits<float>::infinity();
    for (int64_t r = 0; r < in.n_rows; ++r) {
        const uint16_t * m = mask_row(in.mask, r);
        std::vector<int32_t> vis;
        for (int64_t c = 0; c < in.n_kv; ++c) if (m[c] != kF16NegInf) vis.push_back(static_cast<int32_t>(c));
        const int64_t nv = static_cast<int64_t>(vis.size());
        chosen.clear();
        const int64_t n_init = std::min<int64_t>(s.n_init, nv), n_local = std::min<int64_t>(s.n_local, nv - n_init);
        for (int64_t i = 0; i < n_init; ++i) chosen.push_back(vis[static_cast<size_t>(i)]);
        for (int64_t i = nv - n_local; i < nv; ++i) chosen.push_back(vis[static_cast<size_t>(i)]);
        if (reuse) {
            for (int32_t c : L.cached) if (c < in.n_kv && m[c] != kF16NegInf) chosen.push_back(c);
        } else {
            float * row = s.scores.data() + r * in.n_kv;
            for (int64_t c = 0; c < in.n_kv; ++c) if (m[c] == kF16NegInf) row[c] = -inf;
            for (int64_t i = 0; i < n_init; ++i) row[vis[static_cast<size_t>(i)]] = -inf;
            for (int64_t i = nv - n_local; i < nv; ++i) row[vis[static_cast<size_t>(i)]] = -inf;
            std::vector<int64_t> ip(2);
            std::vector<int32_t> top(static_cast<size_t>(std::min<int64_t>(s.budget, in.n_kv)));
            if (tfk_select_topk(row, 1, in.n_kv, in.n_kv, s.budget, ip.data(), top.data(), s.n_threads) != TFK_OK) return false;
            top.resize(static_cast<size_t>(ip[1]));
            chosen.insert(chosen.end(), top.begin(), top.end());
            if (in.n_rows == 1 && s.theta <= 1.0f) {
                L.cached = top;
                L.cached_n_kv = in.n_kv;
                L.q_cached.resize(static_cast<size_t>(hd));
                tfk_query_copy(&v, 0, L.q_cached.data());
            }
        }
        std::sort(chosen.begin(), chosen.end());
        chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
        s.idx.insert(s.idx.end(), chosen.begin(), chosen.end());
        s.indptr[static_cast<size_t>(r + 1)] = static_cast<int64_t>(s.idx.size());
    }
    return true;
}

void run_op(ggml_tensor * dst, int ith, int /*nth*/, void * user) {
    if (ith != 0) return;
    auto * op = static_cast<sparse_op *>(user);
    sparse_state & s = *op->s;
    const auto t0 = std::chrono::steady_clock::now();
    op_inputs in{dst->src[0], dst->src[1], dst->src[2], dst->src[3], 0, 0, 0, 0, 0};
    in.d = in.k->ne[0];
    in.n_head_kv = in.k->ne[1];
    in.n_kv = in.k->ne[2];
    in.n_head = in.q->ne[1];
    in.n_rows = in.q->ne[2];
    sparse_layer & L = s.layers[static_cast<size_t>(op->il)];

    int64_t visible = 0, max_visible = 0;
    for (int64_t r = 0; r < in.n_rows; ++r) {
        const uint16_t * m = mask_row(in.mask, r);
        int64_t nv = 0;
        for (int64_t c = 0; c < in.n_kv; ++c) nv += m[c] != kF16NegInf;
        visible += nv;
        max_visible = std::max(max_visible, nv);
    }
    const int64_t dense_cells = visible * in.n_head_kv;
    const bool small = in.n_rows <= kMaxSparseRows && dst->ne[2] == in.n_head;
    if (s.policy == TF_SPARSE_QUEST) update_pages(s, L, in);
    if (!small) {
        // a prompt: dense, and not counted (the counters describe decoding steps)
        write_dense(dst, in);
        s.stats.select_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
        return;
    }
    if (op->il == s.dense) {
        // the dense layers before the first sparse one read every visible cell
        s.stats.rows_dense += dense_cells * s.dense;
        s.stats.rows_read += dense_cells * s.dense;
    }
    s.stats.rows_dense += dense_cells;
    int64_t read = dense_cells;
    if (s.selects_at(op->il)) {
        write_dense(dst, in);
        if (!small || !select_tidal(s, in)) s.tidal_rows = -1;
    } else {
        bool sparse = small;
        if (s.policy == TF_SPARSE_TOKENSELECT) sparse = sparse && max_visible > s.n_init + s.budget + s.n_local;
        else sparse = sparse && max_visible > s.budget;
        if (sparse && s.policy == TF_SPARSE_QUEST) {
            sparse = select_quest(s, L, in);
            if (sparse) read = write_lists(dst, in, s.indptr.data(), s.idx.data(), true, s.page);
        } else if (sparse && s.policy == TF_SPARSE_TIDAL) {
            sparse = s.tidal_rows == in.n_rows && s.tidal_n_kv == in.n_kv;
            if (sparse) read = write_lists(dst, in, s.tidal_indptr.data(), s.tidal_idx.data(), true, 1);
        } else if (sparse && s.policy == TF_SPARSE_TOKENSELECT) {
            sparse = select_tokenselect(s, L, in);
            if (sparse) read = write_lists(dst, in, s.indptr.data(), s.idx.data(), false, 1);
        }
        if (!sparse) {
            write_dense(dst, in);
            read = dense_cells;
        }
    }
    s.stats.rows_read += read;
    s.stats.select_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

ggml_tensor * sparse_hook(ggml_context * ctx, int32_t il, ggml_tensor * q, ggml_tensor * k, ggml_tensor * k_idxs,
                          ggml_tensor * kq_mask, int64_t * n_kv_max, void * user) {
    auto * s = static_cast<sparse_state *>(user);
    if (s == nullptr || il < 0 || il >= s->n_layer || !s->sparse_layer_at(il)) return nullptr;
    // What the op understands: one cache stream, an F16 mask shared by the heads, an F32 query, F16/F32 keys.
    if (kq_mask->type != GGML_TYPE_F16 || kq_mask->ne[2] != 1 || kq_mask->ne[3] != 1 || k->ne[3] != 1 ||
        q->type != GGML_TYPE_F32 || (k->type != GGML_TYPE_F16 && k->type != GGML_TYPE_F32) || q->ne[0] != k->ne[0] ||
        q->ne[1] % k->ne[1] != 0 || kq_mask->ne[1] < q->ne[2])
        return nullptr;
    const bool small = q->ne[2] <= kMaxSparseRows;
    // Large batches (prompts) attend densely; Quest still sees them, to keep its page bounds current.
    if (!small && s->policy != TF_SPARSE_QUEST) return nullptr;
    if (il == s->dense) s->hooked = 0;
    s->hooked++;
    s->stats.sparse_layers = s->hooked;
    ggml_tensor * args[4] = {q, k, k_idxs, kq_mask};
    // One mask per query head for the batch's rows (a large batch: the layer's own mask, copied).
    ggml_tensor * out = ggml_custom_4d(ctx, GGML_TYPE_F16, kq_mask->ne[0], small ? q->ne[2] : kq_mask->ne[1],
                                       small ? q->ne[1] : 1, 1, args, 4, run_op, 1, &s->ops[static_cast<size_t>(il)]);
    *n_kv_max = 0;
    return out;
}

} // namespace tfi

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

op_inputs inputs_of(const ggml_tensor * dst) {
    op_inputs in{dst->src[0], dst->src[1], dst->src[2], dst->src[3], 0, 0, 0, 0, 0};
    in.d = in.k->ne[0];
    in.n_head_kv = in.k->ne[1];
    in.n_kv = in.k->ne[2];
    in.n_head = in.q->ne[1];
    in.n_rows = in.q->ne[2];
    return in;
}

const uint16_t * mask_row(const ggml_tensor * mask, int64_t r) {
    return reinterpret_cast<const uint16_t *>(static_cast<const char *>(mask->data) + r * mask->nb[1]);
}

uint16_t * dst_row(ggml_tensor * dst, int64_t h, int64_t r) {
    return reinterpret_cast<uint16_t *>(static_cast<char *>(dst->data) + r * dst->nb[1] + h * dst->nb[2]);
}

// The attention inputs of KV heads [g0, g0 + ng) (with their query heads) as tfkernels reads them.
tfk_attn_view view_of(const op_inputs & in, int64_t g0, int64_t ng, float scale, bool with_mask) {
    const int64_t group = in.n_head / in.n_head_kv;
    tfk_attn_view v{};
    v.head_dim = in.d;
    v.n_head = ng * group;
    v.n_head_kv = ng;
    v.n_rows = in.n_rows;
    v.n_kv = in.n_kv;
    v.q = static_cast<const char *>(in.q->data) + g0 * group * in.q->nb[1];
    v.q_type = TFK_F32;
    v.q_row_stride = static_cast<int64_t>(in.q->nb[2]);
    v.q_head_stride = static_cast<int64_t>(in.q->nb[1]);
    v.k = static_cast<const char *>(in.k->data) + g0 * in.k->nb[1];
    v.k_type = in.k->type == GGML_TYPE_F16 ? TFK_F16 : TFK_F32;
    v.k_cell_stride = static_cast<int64_t>(in.k->nb[2]);
    v.k_head_stride = static_cast<int64_t>(in.k->nb[1]);
    v.mask = with_mask ? in.mask->data : nullptr;
    v.mask_type = TFK_F16;
    v.mask_row_stride = static_cast<int64_t>(in.mask->nb[1]);
    v.scale = scale;
    return v;
}

// Query heads [h0, h1) read the layer's own mask (dense attention).
void write_dense(ggml_tensor * dst, const op_inputs & in, int64_t h0, int64_t h1) {
    for (int64_t h = h0; h < h1; ++h)
        for (int64_t r = 0; r < dst->ne[1]; ++r)
            std::memcpy(dst_row(dst, h, r), mask_row(in.mask, r), sizeof(uint16_t) * in.n_kv);
}

// The query heads of KV head g read, per row r, the cells of list r (entries scaled by cells_per_entry: Quest's
// pages); -inf elsewhere. Returns the visible cells read.
int64_t write_group(ggml_tensor * dst, const op_inputs & in, int64_t g, const int64_t * indptr, const int32_t * idx,
                    int64_t cells_per_entry) {
    const int64_t group = in.n_head / in.n_head_kv;
    int64_t read = 0;
    for (int64_t r = 0; r < in.n_rows; ++r) {
        const uint16_t * base = mask_row(in.mask, r);
        for (int64_t h = g * group; h < (g + 1) * group; ++h) {
            uint16_t * out = dst_row(dst, h, r);
            std::fill(out, out + in.n_kv, kF16NegInf);
            for (int64_t e = indptr[r]; e < indptr[r + 1]; ++e) {
                const int64_t c0 = static_cast<int64_t>(idx[e]) * cells_per_entry;
                const int64_t c1 = std::min(in.n_kv, c0 + cells_per_entry);
                for (int64_t c = c0; c < c1; ++c) {
                    out[c] = base[c];
                    if (h == g * group && base[c] != kF16NegInf) ++read;
                }
            }
        }
    }
    return read;
}

// Quest metadata, one op before the layer's selection (an op boundary orders them): the pages this batch wrote, and
// pages new since the last call. Cells freed since stay in their page's bound, which remains an upper bound; a page
// is recomputed when a cell of it is written again.
void run_quest_meta(ggml_tensor * dst, int ith, int /*nth*/, void * user) {
    if (ith != 0) return;
    auto * op = static_cast<sparse_op *>(user);
    sparse_state & s = *op->s;
    const auto t0 = std::chrono::steady_clock::now();
    op_inputs in = inputs_of(dst);
    sparse_layer & L = s.layers[static_cast<size_t>(op->il)];
    const int64_t P = s.page, n_pages = (in.n_kv + P - 1) / P;
    if (L.pages < n_pages) {
        // regrow per KV head (the layout is [kv head][page][d]); every page is recomputed
        const int64_t pages = std::max(n_pages, 2 * L.pages);
        L.mins.assign(static_cast<size_t>(in.n_head_kv * pages * in.d), 0.0f);
        L.maxs.assign(static_cast<size_t>(in.n_head_kv * pages * in.d), 0.0f);
        L.page_dirty.assign(static_cast<size_t>(pages), 1);
        L.pages = pages;
    }
    if (in.kidx != nullptr && in.kidx->type == GGML_TYPE_I64) {
        const auto * ids = static_cast<const int64_t *>(in.kidx->data);
        for (int64_t t = 0; t < ggml_nelements(in.kidx); ++t)
            if (ids[t] >= 0 && ids[t] < in.n_kv) L.page_dirty[static_cast<size_t>(ids[t] / P)] = 1;
    } else {
        std::fill(L.page_dirty.begin(), L.page_dirty.end(), 1);
    }
    for (int64_t p = 0; p < n_pages;) {
        if (!L.page_dirty[static_cast<size_t>(p)]) { ++p; continue; }
        int64_t e = p;
        while (e < n_pages && L.page_dirty[static_cast<size_t>(e)]) L.page_dirty[static_cast<size_t>(e++)] = 0;
        for (int64_t g = 0; g < in.n_head_kv; ++g) {
            const tfk_attn_view v = view_of(in, g, 1, 1.0f, false);
            const size_t off = static_cast<size_t>(g * L.pages * in.d);
            tfk_quest_page_meta(&v, P, p, e, L.mins.data() + off, L.maxs.data() + off, 1);
        }
        p = e;
    }
    s.select_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
}

// Quest's per-row page facts from the mask, shared by the KV heads a worker selects for: which pages hold a visible
// cell, and the pages of the row's last `page` visible cells.
void quest_visible_pages(sparse_worker & w, const op_inputs & in, int64_t P) {
    const int64_t n_pages = (in.n_kv + P - 1) / P;
    w.seen.assign(static_cast<size_t>(in.n_rows * n_pages), 0);
    w.recent.assign(static_cast<size_t>(in.n_rows * P), -1);
    for (int64_t r = 0; r < in.n_rows; ++r) {
        const uint16_t * m = mask_row(in.mask, r);
        uint8_t * seen = w.seen.data() + r * n_pages;
        int64_t * recent = w.recent.data() + r * P;
        int64_t n_recent = 0;
        for (int64_t c = in.n_kv - 1; c >= 0; --c) {
            if (m[c] == kF16NegInf) continue;
            if (n_recent < P) recent[n_recent++] = c / P;
            seen[c / P] = 1;
        }
    }
}

// Quest for KV head g: per row the best pages by upper bound (max(3, budget/page) of them), pages without a visible
// cell never. The pages holding the row's last `page` visible cells are always among them: the current token and
// its predecessors (a previous-token head needs the cell before the current one, which starts a page now and then).
// Needs quest_visible_pages(w, ...) of this layer's inputs.
bool select_quest(sparse_state & s, sparse_worker & w, const op_inputs & in, int64_t g, const sparse_layer & L) {
    const int64_t P = s.page, n_pages = (in.n_kv + P - 1) / P;
    w.scores.resize(static_cast<size_t>(in.n_rows * n_pages));
    const tfk_attn_view v = view_of(in, g, 1, 1.0f, true);
    const size_t off = static_cast<size_t>(g * L.pages * in.d);
    if (tfk_quest_page_scores(&v, L.mins.data() + off, L.maxs.data() + off, P, n_pages, w.scores.data(), 1) != TFK_OK) return false;
    const float inf = std::numeric_limits<float>::infinity();
    for (int64_t r = 0; r < in.n_rows; ++r) {
        const uint8_t * seen = w.seen.data() + r * n_pages;
        const int64_t * recent = w.recent.data() + r * P;
        float * row = w.scores.data() + r * n_pages;
        for (int64_t p = 0; p < n_pages; ++p) if (!seen[p]) row[p] = -inf;
        for (int64_t i = 0; i < P && recent[i] >= 0; ++i) row[recent[i]] = inf;
    }
    const int64_t k = std::max<int64_t>(3, s.budget / P);
    w.indptr.resize(static_cast<size_t>(in.n_rows + 1));
    w.idx.resize(static_cast<size_t>(in.n_rows * std::min(k, n_pages)));
    return tfk_select_topk(w.scores.data(), in.n_rows, n_pages, n_pages, k, w.indptr.data(), w.idx.data(), 1) == TFK_OK;
}

// TidalDecode's selection layer, KV head g: per row the budget best cells by q.k/sqrt(d) (max over the group's query
// heads), kept for the layers after it.
bool select_tidal(sparse_state & s, sparse_worker & w, const op_inputs & in, int64_t g) {
    w.scores.resize(static_cast<size_t>(in.n_rows * in.n_kv));
    const tfk_attn_view v = view_of(in, g, 1, 1.0f / std::sqrt(static_cast<float>(in.d)), true);
    if (tfk_tidal_scores(&v, w.scores.data(), 1) != TFK_OK) return false;
    w.indptr.resize(static_cast<size_t>(in.n_rows + 1));
    w.idx.resize(static_cast<size_t>(in.n_rows * std::min<int64_t>(s.budget, in.n_kv)));
    if (tfk_select_topk(w.scores.data(), in.n_rows, in.n_kv, in.n_kv, s.budget, w.indptr.data(), w.idx.data(), 1) != TFK_OK) return false;
    for (int64_t r = 0; r < in.n_rows; ++r)
        s.tidal_lists[static_cast<size_t>(r * in.n_head_kv + g)].assign(w.idx.begin() + w.indptr[r], w.idx.begin() + w.indptr[r + 1]);
    return true;
}

// TokenSelect (one thread: the soft vote sums over every head): per row the first n_init and last n_local visible
// cells, plus the budget best others; a single-token step may reuse the layer's last list (theta). Writes all heads.
bool select_tokenselect(sparse_state & s, sparse_worker & w, sparse_layer & L, const op_inputs & in, ggml_tensor * dst,
                        int64_t * read) {
    const tfk_attn_view v = view_of(in, 0, in.n_head_kv, 1.0f, true);
    const int64_t hd = in.n_head * in.d;
    bool reuse = false;
    if (s.theta <= 1.0f && in.n_rows == 1) {
        s.cache_lookups++;
        double cosv = -2.0;
        if (L.cached_n_kv >= 0 && static_cast<int64_t>(L.q_cached.size()) == hd &&
            tfk_query_cosine(&v, 0, L.q_cached.data(), &cosv) == TFK_OK && cosv >= s.theta) {
            reuse = true;
            s.cache_hits++;
        }
    }
    w.scores.resize(static_cast<size_t>(in.n_rows * in.n_kv));
    if (!reuse && tfk_tokenselect_scores(&v, w.scores.data(), 1) != TFK_OK) return false;
    const float inf = std::numeric_limits<float>::infinity();
    std::vector<int32_t> vis, chosen, top;
    for (int64_t r = 0; r < in.n_rows; ++r) {
        const uint16_t * m = mask_row(in.mask, r);
        vis.clear();
        for (int64_t c = 0; c < in.n_kv; ++c) if (m[c] != kF16NegInf) vis.push_back(static_cast<int32_t>(c));
        const int64_t nv = static_cast<int64_t>(vis.size());
        const int64_t n_init = std::min<int64_t>(s.n_init, nv), n_local = std::min<int64_t>(s.n_local, nv - n_init);
        chosen.assign(vis.begin(), vis.begin() + n_init);
        chosen.insert(chosen.end(), vis.end() - n_local, vis.end());
        if (reuse) {
            for (int32_t c : L.cached) if (c < in.n_kv && m[c] != kF16NegInf) chosen.push_back(c);
        } else {
            float * row = w.scores.data() + r * in.n_kv;
            for (int64_t c = 0; c < in.n_kv; ++c) if (m[c] == kF16NegInf) row[c] = -inf;
            for (int64_t i = 0; i < n_init; ++i) row[vis[static_cast<size_t>(i)]] = -inf;
            for (int64_t i = nv - n_local; i < nv; ++i) row[vis[static_cast<size_t>(i)]] = -inf;
            int64_t ip[2];
            top.resize(static_cast<size_t>(std::min<int64_t>(s.budget, in.n_kv)));
            if (tfk_select_topk(row, 1, in.n_kv, in.n_kv, s.budget, ip, top.data(), 1) != TFK_OK) return false;
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
        for (int64_t h = 0; h < in.n_head; ++h) {
            uint16_t * out = dst_row(dst, h, r);
            std::fill(out, out + in.n_kv, kF16NegInf);
            for (int32_t c : chosen) out[c] = m[c];
        }
        *read += static_cast<int64_t>(chosen.size()) * in.n_head_kv;
    }
    return true;
}

// The layer's selection and masks. Every compute thread takes the KV heads g = ith, ith + nth, ... and writes the
// masks of their query heads (TokenSelect, whose vote sums over all heads, runs on thread 0).
void run_select(ggml_tensor * dst, int ith, int nth, void * user) {
    auto * op = static_cast<sparse_op *>(user);
    sparse_state & s = *op->s;
    if (ith >= static_cast<int>(s.workers.size())) return;
    const auto t0 = std::chrono::steady_clock::now();
    op_inputs in = inputs_of(dst);
    sparse_layer & L = s.layers[static_cast<size_t>(op->il)];
    sparse_worker & w = s.workers[static_cast<size_t>(ith)];
    const int64_t group = in.n_head / in.n_head_kv;
    const bool small = in.n_rows <= kMaxSparseRows && dst->ne[2] == in.n_head;
    if (!small) {
        // a prompt: dense, and not counted (the counters describe decoding steps)
        if (ith == 0) write_dense(dst, in, 0, dst->ne[2]);
        return;
    }
    int64_t visible = 0, max_visible = 0;
    for (int64_t r = 0; r < in.n_rows; ++r) {
        const uint16_t * m = mask_row(in.mask, r);
        int64_t nv = 0;
        for (int64_t c = 0; c < in.n_kv; ++c) nv += m[c] != kF16NegInf;
        visible += nv;
        max_visible = std::max(max_visible, nv);
    }
    const int64_t dense_cells = visible * in.n_head_kv;
    if (ith == 0) {
        // the layers before the first sparse one read every visible cell
        if (op->il == s.dense) {
            s.rows_dense += dense_cells * s.dense;
            s.rows_read += dense_cells * s.dense;
        }
        s.rows_dense += dense_cells;
    }
    const int workers = std::min<int>(nth, static_cast<int>(s.workers.size()));
    int64_t read = 0;
    bool sparse = s.policy == TF_SPARSE_TOKENSELECT ? max_visible > s.n_init + s.budget + s.n_local : max_visible > s.budget;
    if (s.selects_at(op->il)) {
        for (int64_t g = ith; g < in.n_head_kv; g += workers) {
            write_dense(dst, in, g * group, (g + 1) * group);
            if (!select_tidal(s, w, in, g) && ith == 0) s.tidal_rows = -1;
        }
        if (ith == 0) {
            s.tidal_rows = in.n_rows;
            s.tidal_n_kv = in.n_kv;
            read = dense_cells;
        }
    } else if (s.policy == TF_SPARSE_TOKENSELECT) {
        if (ith == 0) {
            if (!sparse || !select_tokenselect(s, w, L, in, dst, &read)) {
                write_dense(dst, in, 0, in.n_head);
                read = dense_cells;
            }
        }
    } else {
        if (s.policy == TF_SPARSE_TIDAL) sparse = sparse && s.tidal_rows == in.n_rows && s.tidal_n_kv == in.n_kv;
        if (sparse && s.policy == TF_SPARSE_QUEST && ith < in.n_head_kv) quest_visible_pages(w, in, s.page);
        for (int64_t g = ith; g < in.n_head_kv; g += workers) {
            bool done = false;
            if (sparse && s.policy == TF_SPARSE_QUEST && select_quest(s, w, in, g, L)) {
                read += write_group(dst, in, g, w.indptr.data(), w.idx.data(), s.page);
                done = true;
            } else if (sparse && s.policy == TF_SPARSE_TIDAL) {
                w.indptr.assign(static_cast<size_t>(in.n_rows + 1), 0);
                w.idx.clear();
                for (int64_t r = 0; r < in.n_rows; ++r) {
                    const auto & l = s.tidal_lists[static_cast<size_t>(r * in.n_head_kv + g)];
                    w.idx.insert(w.idx.end(), l.begin(), l.end());
                    w.indptr[static_cast<size_t>(r + 1)] = static_cast<int64_t>(w.idx.size());
                }
                read += write_group(dst, in, g, w.indptr.data(), w.idx.data(), 1);
                done = true;
            }
            if (!done) {
                write_dense(dst, in, g * group, (g + 1) * group);
                read += dense_cells / in.n_head_kv;
            }
        }
    }
    s.rows_read += read;
    if (ith == 0) s.select_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

ggml_tensor * sparse_hook(ggml_context * ctx, int32_t il, ggml_tensor * q, ggml_tensor * k, ggml_tensor * k_idxs,
                          ggml_tensor * kq_mask, int64_t * n_kv_max, void * user) {
    auto * s = static_cast<sparse_state *>(user);
    if (s == nullptr || il < 0 || il >= s->n_layer || !s->sparse_layer_at(il)) return nullptr;
    // What the ops understand: one cache stream, an F16 mask shared by the heads, an F32 query, F16/F32 keys.
    if (kq_mask->type != GGML_TYPE_F16 || kq_mask->ne[2] != 1 || kq_mask->ne[3] != 1 || k->ne[3] != 1 ||
        q->type != GGML_TYPE_F32 || (k->type != GGML_TYPE_F16 && k->type != GGML_TYPE_F32) || q->ne[0] != k->ne[0] ||
        q->ne[1] % k->ne[1] != 0 || kq_mask->ne[1] < q->ne[2])
        return nullptr;
    const bool small = q->ne[2] <= kMaxSparseRows;
    // Large batches (prompts) attend densely; Quest still sees them, to keep its page bounds current.
    if (!small && s->policy != TF_SPARSE_QUEST) return nullptr;
    if (il == s->dense) s->hooked = 0;
    s->hooked++;
    s->sparse_layers = s->hooked;
    if (s->policy == TF_SPARSE_TIDAL && small) {
        const size_t lists = static_cast<size_t>(q->ne[2] * k->ne[1]);
        if (s->tidal_lists.size() < lists) s->tidal_lists.resize(lists);
    }
    sparse_op * op = &s->ops[static_cast<size_t>(il)];
    ggml_tensor * args[5] = {q, k, k_idxs, kq_mask, nullptr};
    int n_args = 4;
    if (s->policy == TF_SPARSE_QUEST) {
        // the page bounds first: an op of its own, so that every selecting thread sees them complete
        args[4] = ggml_custom_4d(ctx, GGML_TYPE_I32, 1, 1, 1, 1, args, 4, run_quest_meta, 1, op);
        n_args = 5;
    }
    // One mask per query head for the batch's rows (a large batch: the layer's own mask, copied).
    ggml_tensor * out = ggml_custom_4d(ctx, GGML_TYPE_F16, kq_mask->ne[0], small ? q->ne[2] : kq_mask->ne[1],
                                       small ? q->ne[1] : 1, 1, args, n_args, run_select, GGML_N_TASKS_MAX, op);
    *n_kv_max = 0;
    return out;
}

} // namespace tfi

// Scalar references of the sparse-attention kernels (the test oracles): Quest page metadata by a
// plain scan of each page's cells, page scores by a plain sum per (row, head, page), and top-k
// selection by a full sort of each list. Obviously correct, slow.
#include "tfkernels.h"
#include "common/quest_common.h"

#include <algorithm>
#include <limits>
#include <new>
#include <utility>
#include <vector>

namespace tfk {

int quest_page_meta_ref(const tfk_attn_view * v, int64_t page_size, int64_t page_begin, int64_t page_end, float * mins,
                        float * maxs) noexcept {
    detail::AttnTypes ty{};
    const int rc = detail::quest_meta_validate(v, page_size, page_begin, page_end, mins, maxs, &ty);
    if (rc != TFK_OK) return rc;
    const float inf = std::numeric_limits<float>::infinity();
    const int64_t d = v->head_dim, n_kv = v->n_kv;
    const unsigned char * k = static_cast<const unsigned char *>(v->k);
    const unsigned char * mask = static_cast<const unsigned char *>(v->mask);
    for (int64_t p = page_begin; p < page_end; ++p) {
        const int64_t j0 = p * page_size, j1 = std::min(n_kv, j0 + page_size);
        for (int64_t g = 0; g < v->n_head_kv; ++g) {
            float * mn = mins + (p * v->n_head_kv + g) * d;
            float * mx = maxs + (p * v->n_head_kv + g) * d;
            for (int64_t i = 0; i < d; ++i) {
                float lo = inf, hi = -inf;
                for (int64_t j = j0; j < j1; ++j) {  // cells in ascending order
                    if (mask != nullptr && detail::load_elem(mask, ty.mask, j) == -inf) continue;
                    const float x = detail::load_elem(k + j * v->k_cell_stride + g * v->k_head_stride, ty.k, i);
                    lo = x < lo ? x : lo;
                    hi = x > hi ? x : hi;
                }
                mn[i] = lo;
                mx[i] = hi;
            }
        }
    }
    return TFK_OK;
}

int quest_page_scores_ref(const tfk_attn_view * v, const float * mins, const float * maxs, int64_t page_size,
                          int64_t n_pages, float * out) noexcept {
    detail::AttnTypes ty{};
    const int rc = detail::quest_scores_validate(v, mins, maxs, page_size, n_pages, out, &ty);
    if (rc != TFK_OK) return rc;
    const float inf = std::numeric_limits<float>::infinity();
    const int64_t d = v->head_dim, hkv = v->n_head_kv, group = v->n_head / hkv;
    const unsigned char * q = static_cast<const unsigned char *>(v->q);
    for (int64_t r = 0; r < v->n_rows; ++r)
        for (int64_t g = 0; g < hkv; ++g)
            for (int64_t p = 0; p < n_pages; ++p) {
                const float * mn = mins + (p * hkv + g) * d;
                const float * mx = maxs + (p * hkv + g) * d;
                float best = -inf;
                if (!detail::quest_page_empty(mn[0], mx[0])) {
                    for (int64_t h = g * group; h < (g + 1) * group; ++h) {
                        const unsigned char * qh = q + r * v->q_row_stride + h * v->q_head_stride;
                        double u = 0.0;
                        for (int64_t i = 0; i < d; ++i)
                            u += detail::quest_term(static_cast<double>(detail::load_elem(qh, ty.q, i)),
                                                    static_cast<double>(mn[i]), static_cast<double>(mx[i]));
                        const float s = detail::round_up_float(u);
                        best = s > best ? s : best;
                    }
                }
                out[(r * hkv + g) * n_pages + p] = best;
            }
    return TFK_OK;
}

int select_topk_ref(const float * scores, int64_t n_lists, int64_t n_cols, int64_t row_stride, int64_t k,
                    int64_t * indptr, int32_t * indices) noexcept {
    const int rc = detail::select_validate(scores, n_lists, n_cols, row_stride, k, indptr, indices);
    if (rc != TFK_OK) return rc;
    try {
        std::vector<std::pair<float, int32_t>> cand;
        std::vector<int32_t> sel;
        int64_t pos = 0;
        const float neg_inf = -std::numeric_limits<float>::infinity();
        std::vector<int64_t> ptr(static_cast<size_t>(n_lists) + 1, 0);
        std::vector<int32_t> idx;
        for (int64_t l = 0; l < n_lists; ++l) {
            const float * s = scores + l * row_stride;
            cand.clear();
            for (int64_t c = 0; c < n_cols; ++c)
                if (!std::isnan(s[c]) && s[c] != neg_inf) cand.emplace_back(s[c], static_cast<int32_t>(c));
            // Larger value first (-0 == +0), then the smaller column.
            std::sort(cand.begin(), cand.end(), [](const std::pair<float, int32_t> & a, const std::pair<float, int32_t> & b) {
                if (a.first != b.first) return a.first > b.first;
                return a.second < b.second;
            });
            const size_t n = static_cast<size_t>(std::min<int64_t>(k, static_cast<int64_t>(cand.size())));
            sel.clear();
            for (size_t i = 0; i < n; ++i) sel.push_back(cand[i].second);
            std::sort(sel.begin(), sel.end());
            idx.insert(idx.end(), sel.begin(), sel.end());
            pos += static_cast<int64_t>(n);
            ptr[static_cast<size_t>(l) + 1] = pos;
        }
        // Outputs only after every allocation succeeded.
        std::copy(ptr.begin(), ptr.end(), indptr);
        std::copy(idx.begin(), idx.end(), indices);
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
    return TFK_OK;
}

} // namespace tfk

extern "C" {

int tfk_quest_page_meta_ref(const tfk_attn_view * v, int64_t page_size, int64_t page_begin, int64_t page_end,
                            float * mins, float * maxs) {
    return tfk::quest_page_meta_ref(v, page_size, page_begin, page_end, mins, maxs);
}

int tfk_quest_page_scores_ref(const tfk_attn_view * v, const float * mins, const float * maxs, int64_t page_size,
                              int64_t n_pages, float * out) {
    return tfk::quest_page_scores_ref(v, mins, maxs, page_size, n_pages, out);
}

int tfk_select_topk_ref(const float * scores, int64_t n_lists, int64_t n_cols, int64_t row_stride, int64_t k,
                        int64_t * indptr, int32_t * indices) {
    return tfk::select_topk_ref(scores, n_lists, n_cols, row_stride, k, indptr, indices);
}

} // extern "C"

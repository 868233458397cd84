// Internal helpers of the sparse-attention kernels (quest_page_meta, quest_page_scores, select_topk):
// argument validation in the documented order and the exact per-page score arithmetic shared by the
// reference and the optimized CPU version. Not part of the API. Host code only (the CUDA file
// validates on the host before launching).
#pragma once

#include "tfkernels.h"
#include "common/kv_common.h"

#include <cmath>
#include <limits>
#include <stdint.h>

namespace tfk {
namespace detail {
inline namespace TFK_ISA_NS {  // per-variant copies, see common/isa_ns.h

// Number of pages of page_size cells covering n_kv cells: ceil(n_kv / page_size).
inline int64_t quest_n_pages(int64_t n_kv, int64_t page_size) { return (n_kv - 1) / page_size + 1; }

inline bool misaligned(const void * p, int64_t a) {
    return reinterpret_cast<uintptr_t>(p) % static_cast<uintptr_t>(a) != 0;
}

// The checks of tfk_quest_page_meta, in the documented order: pointers, shape, arguments, strides, extents.
// types->q is unused (-1).
inline int quest_meta_validate(const tfk_attn_view * v, int64_t page_size, int64_t page_begin, int64_t page_end,
                               const float * mins, const float * maxs, AttnTypes * types) {
    if (v == nullptr || mins == nullptr || maxs == nullptr || v->k == nullptr) return TFK_ERR_NULL;
    const int64_t d = v->head_dim;
    if (d < 1 || v->n_head_kv < 1 || v->n_kv < 1 || page_size < 1) return TFK_ERR_BAD_SHAPE;
    if (d > INT64_MAX / 4 || v->n_kv > INT64_MAX / 4 || v->n_head_kv > INT64_MAX / 4 / d) return TFK_ERR_BAD_SHAPE;
    const int64_t n_pages = quest_n_pages(v->n_kv, page_size);
    if (n_pages > INT64_MAX / 4 / (v->n_head_kv * d)) return TFK_ERR_BAD_SHAPE;  // mins/maxs bytes
    if (page_begin < 0 || page_begin > page_end || page_end > n_pages) return TFK_ERR_BAD_SHAPE;

    const bool has_mask = v->mask != nullptr;
    const int32_t kt = dtype_value(v->k_type);
    const int32_t mt = has_mask ? dtype_value(v->mask_type) : -1;
    const int64_t ks = dtype_size(kt), ms = has_mask ? dtype_size(mt) : 1;
    if (ks == 0 || ms == 0) return TFK_ERR_BAD_ARG;
    if (misaligned(v->k, ks) || (has_mask && misaligned(v->mask, ms)) || misaligned(mins, 4) || misaligned(maxs, 4))
        return TFK_ERR_BAD_ARG;

    auto stride_ok = [](int64_t stride, int64_t need, int64_t elem) { return stride >= need && stride % elem == 0; };
    if (!stride_ok(v->k_cell_stride, d * ks, ks) || !stride_ok(v->k_head_stride, d * ks, ks) ||
        (has_mask && !stride_ok(v->mask_row_stride, v->n_kv * ms, ms)))
        return TFK_ERR_BAD_STRIDE;

    int64_t e = 0;
    if (!mad_ok(v->n_head_kv - 1, v->k_head_stride, d * ks, &e) || !mad_ok(v->n_kv - 1, v->k_cell_stride, e, &e))
        return TFK_ERR_BAD_SHAPE;
    if (types != nullptr) *types = AttnTypes{-1, kt, mt};
    return TFK_OK;
}

// The checks of tfk_quest_page_scores, in the documented order: pointers, shape, arguments, strides, extents.
// types->k and types->mask are unused (-1).
inline int quest_scores_validate(const tfk_attn_view * v, const float * mins, const float * maxs, int64_t page_size,
                                 int64_t n_pages, const float * out, AttnTypes * types) {
    if (v == nullptr || mins == nullptr || maxs == nullptr || out == nullptr || v->q == nullptr) return TFK_ERR_NULL;
    const int64_t d = v->head_dim;
    if (d < 1 || v->n_head < 1 || v->n_head_kv < 1 || v->n_rows < 0 || v->n_kv < 1 || page_size < 1 || n_pages < 0)
        return TFK_ERR_BAD_SHAPE;
    if (d > INT64_MAX / 4 || v->n_kv > INT64_MAX / 4 || v->n_head_kv > INT64_MAX / 4 / d) return TFK_ERR_BAD_SHAPE;
    if (n_pages > quest_n_pages(v->n_kv, page_size)) return TFK_ERR_BAD_SHAPE;
    if (n_pages > 0 && v->n_rows > INT64_MAX / 4 / v->n_head_kv / n_pages) return TFK_ERR_BAD_SHAPE;  // out bytes

    const int32_t qt = dtype_value(v->q_type);
    const int64_t qs = dtype_size(qt);
    if (v->n_head % v->n_head_kv != 0 || qs == 0) return TFK_ERR_BAD_ARG;
    if (misaligned(v->q, qs) || misaligned(mins, 4) || misaligned(maxs, 4) || misaligned(out, 4)) return TFK_ERR_BAD_ARG;

    if (v->q_row_stride < d * qs || v->q_row_stride % qs != 0 || v->q_head_stride < d * qs || v->q_head_stride % qs != 0)
        return TFK_ERR_BAD_STRIDE;

    const int64_t last_row = v->n_rows > 0 ? v->n_rows - 1 : 0;
    int64_t e = 0;
    if (!mad_ok(v->n_head - 1, v->q_head_stride, d * qs, &e) || !mad_ok(last_row, v->q_row_stride, e, &e))
        return TFK_ERR_BAD_SHAPE;
    if (types != nullptr) *types = AttnTypes{qt, -1, -1};
    return TFK_OK;
}

// The checks of tfk_select_topk, in the documented order: pointers, shape, stride, k.
inline int select_validate(const float * scores, int64_t n_lists, int64_t n_cols, int64_t row_stride, int64_t k,
                           const int64_t * indptr, const int32_t * indices) {
    if (scores == nullptr || indptr == nullptr || indices == nullptr) return TFK_ERR_NULL;
    if (n_lists < 0 || n_cols < 1 || n_cols > INT32_MAX) return TFK_ERR_BAD_SHAPE;
    if (n_lists > INT64_MAX / 8 - 1 || n_lists > INT64_MAX / 4 / n_cols) return TFK_ERR_BAD_SHAPE;  // indptr, indices
    if (row_stride < n_cols) return TFK_ERR_BAD_STRIDE;
    int64_t e = 0;
    if (n_lists > 0 && !mad_ok(n_lists - 1, row_stride, n_cols, &e)) return TFK_ERR_BAD_SHAPE;
    if (k < 1) return TFK_ERR_BAD_K;
    return TFK_OK;
}

// Per-dimension term of the Quest bound, exact in double (a product of two floats fits 48 bits):
// 0 when q == 0 (so an infinite key bound gives no NaN), else max(q*m, q*M).
inline double quest_term(double q, double m, double M) {
    const double a = q * m, b = q * M;
    return q == 0.0 ? 0.0 : (a > b ? a : b);
}

// A page is empty (no valid cell) when !(m_0 <= M_0): page_meta writes m = +inf, M = -inf for it.
inline bool quest_page_empty(float m0, float M0) { return !(m0 <= M0); }

// double -> float rounded toward +inf (CUDA: __double2float_ru), so the float score never falls
// below the double sum.
inline float round_up_float(double u) {
    const double fmax = static_cast<double>(std::numeric_limits<float>::max());
    if (u > fmax) return std::numeric_limits<float>::infinity();
    if (u < -fmax) return u == -std::numeric_limits<double>::infinity() ? -std::numeric_limits<float>::infinity()
                                                                         : -std::numeric_limits<float>::max();
    float f = static_cast<float>(u);
    if (static_cast<double>(f) < u) f = std::nextafter(f, std::numeric_limits<float>::infinity());
    return f;
}

} // inline namespace TFK_ISA_NS
} // namespace detail
} // namespace tfk

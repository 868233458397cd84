// Internal helpers of block attention and the merge (tfk_block_attn, tfk_attn_merge): argument validation in the
// documented order, and the merge of one row, shared by the CPU version and the CUDA host side. Not part of the API.
#pragma once

#include "tfkernels.h"
#include "common/isa_ns.h"

#include <cmath>
#include <limits>
#include <stdint.h>

namespace tfk {
namespace detail {
inline namespace TFK_ISA_NS {

// a*b + c for a, b, c >= 0; false on int64 overflow.
inline bool block_mad_ok(int64_t a, int64_t b, int64_t c, int64_t * out) {
    if (a != 0 && b > (INT64_MAX - c) / a) return false;
    *out = a * b + c;
    return true;
}

// Floats spanned by rows x heads of `width` values: (rows-1)*row_stride + (heads-1)*head_stride + width, all >= 0;
// false when it does not fit int64 bytes.
inline bool block_extent_ok(int64_t rows, int64_t row_stride, int64_t heads, int64_t head_stride, int64_t width) {
    int64_t a = 0, b = 0;
    if (!block_mad_ok(rows - 1, row_stride, 0, &a) || !block_mad_ok(heads - 1, head_stride, 0, &b)) return false;
    const int64_t lim = INT64_MAX / 8;
    return a <= lim && b <= lim - a && width <= lim - a - b;
}

// The checks of tfk_block_attn, in the documented order: pointers, shape, arguments, strides.
inline int block_validate(const tfk_block_view * v, const float * out, const float * lse) {
    if (v == nullptr || out == nullptr || lse == nullptr) return TFK_ERR_NULL;
    if (v->n_q > 0 && v->q == nullptr) return TFK_ERR_NULL;
    if (v->n_q > 0 && v->n_kv > 0 && (v->k == nullptr || v->v == nullptr)) return TFK_ERR_NULL;
    const int64_t d = v->head_dim, dv = v->head_dim_v;
    if (d < 1 || dv < 1 || v->n_head < 1 || v->n_head_kv < 1 || v->n_q < 0 || v->n_kv < 0) return TFK_ERR_BAD_SHAPE;
    if (v->n_head % v->n_head_kv != 0) return TFK_ERR_BAD_SHAPE;
    int64_t e = 0;
    if (!block_mad_ok(v->n_q, v->n_head, 0, &e) || !block_mad_ok(e, dv, 0, &e) || e > INT64_MAX / 8) return TFK_ERR_BAD_SHAPE;
    if (v->causal != 0 && v->causal != 1) return TFK_ERR_BAD_ARG;
    if (!std::isfinite(v->scale)) return TFK_ERR_BAD_ARG;
    if (v->causal && (v->q_pos0 < 0 || v->k_pos0 < 0 || v->q_pos0 > INT64_MAX / 2 - v->n_q || v->k_pos0 > INT64_MAX / 2 - v->n_kv))
        return TFK_ERR_BAD_ARG;
    if (v->q_row_stride < d || v->q_head_stride < d || v->k_row_stride < d || v->k_head_stride < d ||
        v->v_row_stride < dv || v->v_head_stride < dv)
        return TFK_ERR_BAD_STRIDE;
    // extents of q, k, v (in floats) must fit int64 byte offsets
    if (v->n_q > 0 && !block_extent_ok(v->n_q, v->q_row_stride, v->n_head, v->q_head_stride, d)) return TFK_ERR_BAD_SHAPE;
    if (v->n_kv > 0 && (!block_extent_ok(v->n_kv, v->k_row_stride, v->n_head_kv, v->k_head_stride, d) ||
                        !block_extent_ok(v->n_kv, v->v_row_stride, v->n_head_kv, v->v_head_stride, dv)))
        return TFK_ERR_BAD_SHAPE;
    return TFK_OK;
}

// The checks of tfk_ring_attn and tfk_ring_attn_cuda (shared so both, and the no-CUDA stub, agree): the block
// view's, then a whole sequence at positions 0, a known schedule, P in 1..64.
inline int ring_validate(const tfk_block_view * v, int schedule, int P, const float * out, const float * lse) {
    const int rc = block_validate(v, out, lse);
    if (rc != TFK_OK) return rc;
    if (v->n_q != v->n_kv || v->q_pos0 != 0 || v->k_pos0 != 0) return TFK_ERR_BAD_ARG;
    if ((schedule != TFK_RING_ATTENTION && schedule != TFK_TOKEN_RING) || P < 1 || P > 64) return TFK_ERR_BAD_ARG;
    return TFK_OK;
}

// Keys visible to query row i: [0, n_vis) (causal: k_pos0 + j <= q_pos0 + i).
inline int64_t block_visible(const tfk_block_view * v, int64_t i) {
    if (!v->causal) return v->n_kv;
    const int64_t last = v->q_pos0 + i - v->k_pos0;  // largest visible j
    return last < 0 ? 0 : (last + 1 < v->n_kv ? last + 1 : v->n_kv);
}

inline int merge_validate(const float * out_a, const float * lse_a, const float * out_b, const float * lse_b,
                          int64_t n_rows, int64_t dv) {
    if (n_rows < 0 || dv < 1) return TFK_ERR_BAD_SHAPE;
    if (n_rows > 0 && dv > INT64_MAX / 8 / n_rows) return TFK_ERR_BAD_SHAPE;
    if (n_rows > 0 && (out_a == nullptr || lse_a == nullptr || out_b == nullptr || lse_b == nullptr)) return TFK_ERR_NULL;
    return TFK_OK;
}

// Weights of the two sides of a merge, and the merged lse, in double (the stable form: m = max, log1p of the rest).
// Both -inf: weights 0 and lse -inf (nothing visible on either side).
inline void merge_weights(double la, double lb, double * wa, double * wb, double * l) {
    const double ninf = -std::numeric_limits<double>::infinity();
    if (la == ninf && lb == ninf) {
        *wa = 0.0;
        *wb = 0.0;
        *l = ninf;
        return;
    }
    const double m = la > lb ? la : lb, o = la > lb ? lb : la;
    *l = m + std::log1p(std::exp(o - m));
    *wa = std::exp(la - *l);
    *wb = std::exp(lb - *l);
}

} // namespace TFK_ISA_NS
} // namespace detail
} // namespace tfk

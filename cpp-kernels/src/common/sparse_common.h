// Internal helpers of the sparse-attention scoring kernels (tidal_scores, tokenselect_scores,
// query_cosine, query_copy): argument validation in the documented order. Not part of the API.
// Host code only (the CUDA file validates on the host before launching).
#pragma once

#include "tfkernels.h"
#include "common/kv_common.h"

#include <stdint.h>

namespace tfk {
namespace detail {

// The checks of tfk_tidal_scores / tfk_tokenselect_scores: those of tfk_window_scores (pointers,
// shape, arguments, strides, extents), then the extent of out: n_rows * heads_out * n_kv floats
// (heads_out = n_head_kv for TidalDecode, 1 for TokenSelect) must fit int64 bytes (TFK_ERR_BAD_SHAPE).
inline int sparse_validate(const tfk_attn_view * v, const void * out, bool per_key_head, AttnTypes * types) {
    const int rc = attn_validate(v, out, types);
    if (rc != TFK_OK) return rc;
    // attn_validate bounds n_head * n_kv * 4, and n_head_kv <= n_head, so one row of out fits.
    const int64_t row_bytes = (per_key_head ? v->n_head_kv : 1) * v->n_kv * 4;
    if (v->n_rows > INT64_MAX / row_bytes) return TFK_ERR_BAD_SHAPE;
    return TFK_OK;
}

// The checks of tfk_query_cosine / tfk_query_copy: the view as above (with `buf` in the role of out:
// non-NULL, 4-byte aligned), then row in [0, n_rows) (TFK_ERR_BAD_SHAPE).
inline int query_validate(const tfk_attn_view * v, int64_t row, const void * buf, const void * out2,
                          AttnTypes * types) {
    if (out2 == nullptr) return TFK_ERR_NULL;
    const int rc = attn_validate(v, buf, types);
    if (rc != TFK_OK) return rc;
    if (row < 0 || row >= v->n_rows) return TFK_ERR_BAD_SHAPE;
    return TFK_OK;
}

} // namespace detail
} // namespace tfk

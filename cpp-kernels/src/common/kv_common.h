// Internal helpers shared by the KV-cache scoring kernels (window_scores, window_aggregate, pool1d):
// argument validation in the documented order, and an exact software binary16 -> float conversion.
// Not part of the API. Host code only (the CUDA file validates on the host before launching).
#pragma once

#include "tfkernels.h"
#include "common/isa_ns.h"

#include <cmath>
#include <cstring>
#include <stdint.h>

namespace tfk {
namespace detail {
inline namespace TFK_ISA_NS {  // per-variant copies, see common/isa_ns.h

static_assert(sizeof(tfk_dtype) == sizeof(int32_t), "tfk_dtype must be int-sized");

// Reads a tfk_dtype field as a plain integer: a caller may store any int there, and loading an
// out-of-range value through the enum type would be undefined behaviour in C++.
inline int32_t dtype_value(const tfk_dtype & t) {
    int32_t x;
    std::memcpy(&x, &t, sizeof x);
    return x;
}

// Element size in bytes of a dtype value, 0 if unknown.
inline int64_t dtype_size(int32_t t) { return t == TFK_F32 ? 4 : t == TFK_F16 ? 2 : 0; }

// a*b + c for a, b, c >= 0; false on int64 overflow.
inline bool mad_ok(int64_t a, int64_t b, int64_t c, int64_t * r) {
    if (a != 0 && b > (INT64_MAX - c) / a) return false;
    *r = a * b + c;
    return true;
}

// Validated element types of a view (mask: -1 when there is no mask).
struct AttnTypes {
    int32_t q, k, mask;
};

// The checks of tfk_window_scores, in the documented order: pointers, shape, arguments, strides, extents.
inline int attn_validate(const tfk_attn_view * v, const void * out, AttnTypes * types) {
    if (v == nullptr || out == nullptr || v->q == nullptr || v->k == nullptr) return TFK_ERR_NULL;
    const int64_t d = v->head_dim;
    if (d < 1 || v->n_head < 1 || v->n_head_kv < 1 || v->n_rows < 0 || v->n_kv < 1) return TFK_ERR_BAD_SHAPE;
    // Element counts whose byte sizes must fit: d*4, n_kv*4, n_head*n_kv*4 (out).
    if (d > INT64_MAX / 4 || v->n_kv > INT64_MAX / 4 || v->n_head > INT64_MAX / 4 / v->n_kv) return TFK_ERR_BAD_SHAPE;

    const bool has_mask = v->mask != nullptr;
    const int32_t qt = dtype_value(v->q_type), kt = dtype_value(v->k_type);
    const int32_t mt = has_mask ? dtype_value(v->mask_type) : -1;
    const int64_t qs = dtype_size(qt), ks = dtype_size(kt), ms = has_mask ? dtype_size(mt) : 1;
    if (v->n_head % v->n_head_kv != 0) return TFK_ERR_BAD_ARG;
    if (qs == 0 || ks == 0 || ms == 0) return TFK_ERR_BAD_ARG;
    if (!std::isfinite(v->scale)) return TFK_ERR_BAD_ARG;
    if (reinterpret_cast<uintptr_t>(v->q) % static_cast<uintptr_t>(qs) != 0 ||
        reinterpret_cast<uintptr_t>(v->k) % static_cast<uintptr_t>(ks) != 0 ||
        (has_mask && reinterpret_cast<uintptr_t>(v->mask) % static_cast<uintptr_t>(ms) != 0) ||
        reinterpret_cast<uintptr_t>(out) % alignof(float) != 0)
        return TFK_ERR_BAD_ARG;

    auto stride_ok = [](int64_t stride, int64_t need, int64_t elem) { return stride >= need && stride % elem == 0; };
    if (!stride_ok(v->q_row_stride, d * qs, qs) || !stride_ok(v->q_head_stride, d * qs, qs) ||
        !stride_ok(v->k_cell_stride, d * ks, ks) || !stride_ok(v->k_head_stride, d * ks, ks) ||
        (has_mask && !stride_ok(v->mask_row_stride, v->n_kv * ms, ms)))
        return TFK_ERR_BAD_STRIDE;

    // One past the last byte read from each array must fit int64.
    const int64_t last_row = v->n_rows > 0 ? v->n_rows - 1 : 0;
    int64_t e = 0;
    if (!mad_ok(v->n_head - 1, v->q_head_stride, d * qs, &e) || !mad_ok(last_row, v->q_row_stride, e, &e))
        return TFK_ERR_BAD_SHAPE;
    if (!mad_ok(v->n_head_kv - 1, v->k_head_stride, d * ks, &e) || !mad_ok(v->n_kv - 1, v->k_cell_stride, e, &e))
        return TFK_ERR_BAD_SHAPE;
    if (has_mask && !mad_ok(last_row, v->mask_row_stride, v->n_kv * ms, &e)) return TFK_ERR_BAD_SHAPE;

    if (types != nullptr) *types = AttnTypes{qt, kt, mt};
    return TFK_OK;
}

// Number of windows of tfk_window_aggregate: ceil(n_tokens / w).
inline int64_t n_windows(int64_t n_tokens, int w) { return n_tokens == 0 ? 0 : (n_tokens - 1) / w + 1; }

// The checks of tfk_window_aggregate, in the documented order: pointers, shape, stride, w and mode.
inline int aggregate_validate(const float * scores, int64_t n_head, int64_t n_tokens, int64_t row_stride, int w,
                              int mode, const float * out) {
    if (scores == nullptr || out == nullptr) return TFK_ERR_NULL;
    if (n_head < 1 || n_tokens < 0) return TFK_ERR_BAD_SHAPE;
    if (row_stride < n_tokens) return TFK_ERR_BAD_STRIDE;
    int64_t e = 0;  // elements spanned: (n_head-1)*row_stride + n_tokens
    if (!mad_ok(n_head - 1, row_stride, n_tokens, &e)) return TFK_ERR_BAD_SHAPE;
    if (w < 1 || (mode != TFK_WINDOW_AVG && mode != TFK_WINDOW_MAX)) return TFK_ERR_BAD_ARG;
    return TFK_OK;
}

// The checks of tfk_pool1d, in the documented order: pointers, shape, kernel and mode.
inline int pool_validate(const float * in, int64_t n, int kernel, int mode, const float * out) {
    if (in == nullptr || out == nullptr) return TFK_ERR_NULL;
    if (n < 0) return TFK_ERR_BAD_SHAPE;
    if (kernel < 1 || kernel % 2 == 0 || (mode != TFK_POOL_AVG && mode != TFK_POOL_MAX)) return TFK_ERR_BAD_ARG;
    return TFK_OK;
}

// Exact IEEE binary16 -> binary32 (subnormals, infinities and NaN payloads included).
inline float half_to_float(uint16_t h) {
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    const uint32_t exp  = (h >> 10) & 0x1fu;
    const uint32_t man  = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0) {
        // Zero or subnormal: man * 2^-24, exact in float.
        const float f = static_cast<float>(man) * 5.9604644775390625e-8f;
        std::memcpy(&bits, &f, sizeof bits);
        bits |= sign;
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 112u) << 23) | (man << 13);
    }
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

// Element i of a row of dtype t starting at p (host memory).
inline float load_elem(const unsigned char * p, int32_t t, int64_t i) {
    if (t == TFK_F32) {
        float f;
        std::memcpy(&f, p + 4 * i, sizeof f);
        return f;
    }
    uint16_t h;
    std::memcpy(&h, p + 2 * i, sizeof h);
    return half_to_float(h);
}

} // inline namespace TFK_ISA_NS
} // namespace detail
} // namespace tfk

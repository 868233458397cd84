// Internal helpers shared by the CPU and CUDA top-k (not installed, not part of the API).
#pragma once

#include "tfkernels.h"
#include "common/isa_ns.h"

#include <stdint.h>

#if defined(__CUDACC__)
#  define TFK_HD __host__ __device__ __forceinline__
#else
#  define TFK_HD inline
#endif

namespace tfk {
namespace detail {
inline namespace TFK_ISA_NS {  // per-variant copies, see common/isa_ns.h

// Argument checks common to every top-k implementation; the order is part of the API.
inline int topk_validate(const void * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride, int k,
                         const void * out_ids, const void * out_vals) {
    if (logits == nullptr || out_ids == nullptr || out_vals == nullptr) return TFK_ERR_NULL;
    if (n_rows < 0 || n_cols < 1 || n_cols > INT32_MAX) return TFK_ERR_BAD_SHAPE;
    if (row_stride < n_cols) return TFK_ERR_BAD_STRIDE;
    // Offset of the last element, (n_rows-1)*row_stride + n_cols, must fit int64; n_rows*k <= that.
    if (n_rows > 0 && n_rows - 1 > (INT64_MAX - n_cols) / row_stride) return TFK_ERR_BAD_SHAPE;
    if (k < 1 || k > TFK_TOPK_MAX_K || k > n_cols) return TFK_ERR_BAD_K;
    return TFK_OK;
}

// A 64-bit key per (value, column) whose unsigned order is the API order: the high half maps the
// float to an order-preserving integer (NaN -> 0, -0 -> +0), the low half is ~column so smaller
// columns win ties. Keys of real elements are never 0 (column <= INT32_MAX-1 makes ~column >= 2^31),
// so 0 serves as "empty slot", worse than everything.
TFK_HD uint32_t float_order_bits(uint32_t bits) {
    if ((bits & 0x7fffffffu) > 0x7f800000u) return 0u;   // NaN of any sign/payload
    if (bits == 0x80000000u) bits = 0u;                  // -0 ties with +0
    return (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);
}

TFK_HD uint64_t make_key(uint32_t bits, uint32_t col) {
    return (static_cast<uint64_t>(float_order_bits(bits)) << 32) | static_cast<uint32_t>(~col);
}

TFK_HD uint32_t key_col(uint64_t key) { return ~static_cast<uint32_t>(key); }

TFK_HD bool key_is_nan(uint64_t key) { return (key >> 32) == 0; }

} // inline namespace TFK_ISA_NS
} // namespace detail
} // namespace tfk

// Internal: the per-instruction-set variants of the optimized CPU kernels (not part of the API).
//
// topk_cpu.cpp, window_scores_cpu.cpp, quest_scores_cpu.cpp and block_attn_cpu.cpp are compiled twice (see CMakeLists.txt): into tfk::isa_avx2
// with -mavx2 -mfma -mf16c (x86-64 only) and into tfk::isa_base with no ISA flags. isa_dispatch.cpp
// defines the public tfk::*_cpu functions and the extern "C" entries, and forwards each call to the
// variant chosen once per process (common/isa_ns.h; TFK_ISA=base forces the baseline).
// Parameters and semantics: as the public functions of the same names in tfkernels.h.
#pragma once

#include "tfkernels.h"

#if defined(_WIN32)
#  define TFK_INTERNAL
#else
#  define TFK_INTERNAL __attribute__((visibility("hidden")))
#endif

#define TFK_DECLARE_ISA_KERNELS(ns)                                                                              \
    namespace ns {                                                                                               \
    TFK_INTERNAL int topk_cpu(const float * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride, int k,   \
                              int32_t * out_ids, float * out_vals, int n_threads) noexcept;                      \
    TFK_INTERNAL int window_scores_cpu(const tfk_attn_view * v, float * out, int accumulate, int n_threads)      \
        noexcept;                                                                                                \
    TFK_INTERNAL int window_aggregate_cpu(const float * scores, int64_t n_head, int64_t n_tokens,                \
                                          int64_t row_stride, int w, int mode, float * out) noexcept;            \
    TFK_INTERNAL int pool1d_cpu(const float * in, int64_t n, int kernel, int mode, float * out) noexcept;        \
    TFK_INTERNAL int quest_page_scores_cpu(const tfk_attn_view * v, const float * mins, const float * maxs,      \
                                           int64_t page_size, int64_t n_pages, float * out, int n_threads)       \
        noexcept;                                                                                                \
    TFK_INTERNAL int block_attn_cpu(const tfk_block_view * v, float * out, float * lse, int n_threads) noexcept;  \
    }

namespace tfk {
TFK_DECLARE_ISA_KERNELS(isa_avx2)
TFK_DECLARE_ISA_KERNELS(isa_base)
} // namespace tfk

#undef TFK_DECLARE_ISA_KERNELS

// Run-time instruction-set dispatch for the CPU kernels with AVX2 code paths (isa_kernels.h).
//
// The AVX2 variant (tfk::isa_avx2, built only on x86-64 with TFK_AVX2=ON: TFK_HAVE_ISA_AVX2) is used
// when the CPU and OS support AVX2, FMA and F16C; otherwise the x86-64 baseline variant
// (tfk::isa_base). The choice is made once, on first use; the environment variable TFK_ISA=base
// forces the baseline (tests, benchmarks). This file is compiled without ISA flags.
#include "tfkernels.h"
#include "cpu/isa_kernels.h"

#include <cstdlib>
#include <cstring>

namespace tfk {
namespace {

bool choose_avx2() noexcept {
#if defined(TFK_HAVE_ISA_AVX2)
    const char * forced = std::getenv("TFK_ISA");
    if (forced != nullptr && std::strcmp(forced, "base") == 0) return false;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
#else
    return false;
#endif
}

// Decided once per process (thread-safe static initialization).
inline bool use_avx2() noexcept {
    static const bool avx2 = choose_avx2();
    return avx2;
}

} // namespace

#if defined(TFK_HAVE_ISA_AVX2)
#  define TFK_DISPATCH(fn, ...) (use_avx2() ? isa_avx2::fn(__VA_ARGS__) : isa_base::fn(__VA_ARGS__))
#else
#  define TFK_DISPATCH(fn, ...) isa_base::fn(__VA_ARGS__)
#endif

int topk_cpu(const float * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride, int k, int32_t * out_ids,
             float * out_vals, int n_threads) noexcept {
    return TFK_DISPATCH(topk_cpu, logits, n_rows, n_cols, row_stride, k, out_ids, out_vals, n_threads);
}

int window_scores_cpu(const tfk_attn_view * v, float * out, int accumulate, int n_threads) noexcept {
    return TFK_DISPATCH(window_scores_cpu, v, out, accumulate, n_threads);
}

int window_aggregate_cpu(const float * scores, int64_t n_head, int64_t n_tokens, int64_t row_stride, int w, int mode,
                         float * out) noexcept {
    return TFK_DISPATCH(window_aggregate_cpu, scores, n_head, n_tokens, row_stride, w, mode, out);
}

int pool1d_cpu(const float * in, int64_t n, int kernel, int mode, float * out) noexcept {
    return TFK_DISPATCH(pool1d_cpu, in, n, kernel, mode, out);
}

int quest_page_scores_cpu(const tfk_attn_view * v, const float * mins, const float * maxs, int64_t page_size,
                          int64_t n_pages, float * out, int n_threads) noexcept {
    return TFK_DISPATCH(quest_page_scores_cpu, v, mins, maxs, page_size, n_pages, out, n_threads);
}

int block_attn_cpu(const tfk_block_view * v, float * out, float * lse, int n_threads) noexcept {
    return TFK_DISPATCH(block_attn_cpu, v, out, lse, n_threads);
}

} // namespace tfk

extern "C" {

int tfk_block_attn(const tfk_block_view * v, float * out, float * lse, int n_threads) {
    return tfk::block_attn_cpu(v, out, lse, n_threads);
}


const char * tfk_cpu_isa(void) {
    return tfk::use_avx2() ? "avx2" : "base";
}

int tfk_topk_f32(const float * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride, int k, int32_t * out_ids,
                 float * out_vals, int n_threads) {
    return tfk::topk_cpu(logits, n_rows, n_cols, row_stride, k, out_ids, out_vals, n_threads);
}

int tfk_window_scores(const tfk_attn_view * v, float * out, int accumulate, int n_threads) {
    return tfk::window_scores_cpu(v, out, accumulate, n_threads);
}

int tfk_window_aggregate(const float * scores, int64_t n_head, int64_t n_tokens, int64_t row_stride, int w, int mode,
                         float * out) {
    return tfk::window_aggregate_cpu(scores, n_head, n_tokens, row_stride, w, mode, out);
}

int tfk_pool1d(const float * in, int64_t n, int kernel, int mode, float * out) {
    return tfk::pool1d_cpu(in, n, kernel, mode, out);
}

} // extern "C"

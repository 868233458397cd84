// Optimized CPU block attention, compiled once per instruction set (isa_kernels.h): per (query row, head) job, the
// logits of the visible keys as float dot products over 8 lanes (AVX2/FMA in tfk::isa_avx2, SSE2 pairs in
// tfk::isa_base), then the softmax and the weighted sum of values in double. Jobs from an atomic counter, each
// writing only its own row of out and lse, so results do not depend on the thread count.
#include "tfkernels.h"
#include "cpu/isa_kernels.h"
#include "common/block_common.h"
#include "common/jobs.h"

#include <cmath>
#include <limits>
#include <new>
#include <vector>

#if defined(__SSE2__)
#  include <immintrin.h>
#endif

namespace tfk {
namespace TFK_ISA_NS {
namespace {

constexpr double kMinWorkPerThread = 1048576.0;  // multiply-adds below which an extra thread does not pay

// Float dot product of a and b (n values) over 8 lanes (lane i % 8), lanes added pairwise.
inline float dot8(const float * __restrict__ a, const float * __restrict__ b, int64_t n) {
    alignas(32) float s[8] = {};
    int64_t i = 0;
#if defined(__AVX2__) && defined(__FMA__)
    __m256 acc = _mm256_setzero_ps();
    for (; i + 8 <= n; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc);
    _mm256_store_ps(s, acc);
#elif defined(__SSE2__)
    __m128 a0 = _mm_setzero_ps(), a1 = _mm_setzero_ps();
    for (; i + 8 <= n; i += 8) {
        a0 = _mm_add_ps(a0, _mm_mul_ps(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i)));
        a1 = _mm_add_ps(a1, _mm_mul_ps(_mm_loadu_ps(a + i + 4), _mm_loadu_ps(b + i + 4)));
    }
    _mm_store_ps(s, a0);
    _mm_store_ps(s + 4, a1);
#endif
    for (int64_t l = 0; i < n; ++i, ++l) s[l % 8] += a[i] * b[i];
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

} // namespace

int block_attn_cpu(const tfk_block_view * v, float * out, float * lse, int n_threads) noexcept {
    const int rc = detail::block_validate(v, out, lse);
    if (rc != TFK_OK) return rc;
    if (v->n_q == 0) return TFK_OK;
    try {
        const int64_t d = v->head_dim, dv = v->head_dim_v, group = v->n_head / v->n_head_kv;
        const int64_t n_jobs = v->n_q * v->n_head;
        const double work = static_cast<double>(n_jobs) * static_cast<double>(v->n_kv) * static_cast<double>(d + dv);
        const int64_t threads = detail::pick_threads(n_threads, work, n_jobs, kMinWorkPerThread);
        std::vector<std::vector<double>> scratch(static_cast<size_t>(threads));
        for (auto & sc : scratch) sc.resize(static_cast<size_t>(v->n_kv + dv));
        detail::run_jobs(threads, n_jobs, [&](int64_t t, int64_t job) {
            const int64_t i = job / v->n_head, h = job % v->n_head, g = h / group;
            const int64_t nv = detail::block_visible(v, i);
            float * o = out + job * dv;
            if (nv == 0) {
                for (int64_t c = 0; c < dv; ++c) o[c] = 0.0f;
                lse[job] = -std::numeric_limits<float>::infinity();
                return;
            }
            double * s = scratch[static_cast<size_t>(t)].data();
            double * acc = s + v->n_kv;
            const float * q = v->q + i * v->q_row_stride + h * v->q_head_stride;
            double mx = -std::numeric_limits<double>::infinity();
            for (int64_t j = 0; j < nv; ++j) {
                s[j] = static_cast<double>(v->scale) * static_cast<double>(dot8(q, v->k + j * v->k_row_stride + g * v->k_head_stride, d));
                mx = s[j] > mx ? s[j] : mx;
            }
            double sum = 0.0;
            for (int64_t c = 0; c < dv; ++c) acc[c] = 0.0;
            for (int64_t j = 0; j < nv; ++j) {
                const double p = std::exp(s[j] - mx);
                sum += p;
                const float * vr = v->v + j * v->v_row_stride + g * v->v_head_stride;
                for (int64_t c = 0; c < dv; ++c) acc[c] += p * static_cast<double>(vr[c]);
            }
            for (int64_t c = 0; c < dv; ++c) o[c] = static_cast<float>(acc[c] / sum);
            lse[job] = static_cast<float>(mx + std::log(sum));
        });
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
    return TFK_OK;
}

} // namespace TFK_ISA_NS
} // namespace tfk

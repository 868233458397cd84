// Optimized CPU version of tfk_quest_page_scores, compiled once per instruction set (isa_kernels.h):
// float products and sums the compiler turns into 8-lane SIMD (AVX2 in tfk::isa_avx2, SSE2 pairs in
// tfk::isa_base), plus a bound on their rounding error, so the score stays an upper bound of q.k.
//
// Why not the reference's double arithmetic: at decode the scores read every page's bounds (2 floats per
// dimension per page: 1/8 of an F16 K cache at 16-cell pages) for every query head, in every sparse layer
// of every step; double accumulators with a [d][page] transpose ran at ~1.3 G terms/s on one core, which
// was a third of the step at 16k cells. Float lanes read the bounds where they lie.
//
// Per query row r, head h and page p (m = mins, M = maxs of the page and h's key head):
//   t_i = fl(q_i * M_i) if q_i > 0, fl(q_i * m_i) if q_i < 0, 0 if q_i == 0   (= max(q_i m_i, q_i M_i))
//   s = float sum of the t_i over 8 interleaved lanes (lane i % 8, dimensions ascending), lanes added
//       pairwise; a = the same sum of |t_i|
//   U = round_up_float( s + (d + 2) * 2^-23 * a + d * 2^-149 )   (the last two terms in double)
// |s - sum of exact q_i*bound_i| <= gamma_{d+1} * sum|t_i| (products and at most d additions, unit
// roundoff 2^-24, gamma_n = n*u/(1-n*u)), and subnormal products add at most 2^-150 each: the added terms
// cover both with margin (also for a's own rounding), so U >= the exact bound >= q.k of every valid
// key, and U >= the reference's value. It exceeds the exact bound by at most ~(d + 2) * 2^-22 * a.
// A fused multiply-add where the compiler forms one only makes s more exact. Results do not depend on
// the thread count.
#include "tfkernels.h"
#include "cpu/isa_kernels.h"
#include "common/quest_common.h"
#include "common/jobs.h"

#include <algorithm>
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

constexpr int64_t kLanes = 8;
constexpr int64_t kPagesPerJob = 64;
constexpr double kMinWorkPerThread = 1048576.0;  // terms below which an extra thread does not pay

// The float sum of t and of |t| over d dimensions, lanes as documented above (explicit vectors: left to
// itself the compiler kept the eight accumulators in memory and added them one by one).
inline void page_sums(const float * __restrict__ qp, const float * __restrict__ qn, const float * __restrict__ mn,
                      const float * __restrict__ mx, int64_t d, float * s_out, float * a_out) {
    alignas(32) float s[kLanes] = {}, a[kLanes] = {};
    int64_t i = 0;
#if defined(__AVX2__) && defined(__FMA__)
    __m256 vs = _mm256_setzero_ps(), va = _mm256_setzero_ps();
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    for (; i + kLanes <= d; i += kLanes) {
        // qp*M + qn*m with one rounding of the nonzero product: the other product is an exact zero
        const __m256 t = _mm256_fmadd_ps(_mm256_loadu_ps(qp + i), _mm256_loadu_ps(mx + i),
                                         _mm256_mul_ps(_mm256_loadu_ps(qn + i), _mm256_loadu_ps(mn + i)));
        vs = _mm256_add_ps(vs, t);
        va = _mm256_add_ps(va, _mm256_and_ps(t, abs_mask));
    }
    _mm256_store_ps(s, vs);
    _mm256_store_ps(a, va);
#elif defined(__SSE2__)
    __m128 vs0 = _mm_setzero_ps(), vs1 = _mm_setzero_ps(), va0 = _mm_setzero_ps(), va1 = _mm_setzero_ps();
    const __m128 abs_mask = _mm_castsi128_ps(_mm_set1_epi32(0x7fffffff));
    for (; i + kLanes <= d; i += kLanes) {
        const __m128 t0 = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(qp + i), _mm_loadu_ps(mx + i)),
                                     _mm_mul_ps(_mm_loadu_ps(qn + i), _mm_loadu_ps(mn + i)));
        const __m128 t1 = _mm_add_ps(_mm_mul_ps(_mm_loadu_ps(qp + i + 4), _mm_loadu_ps(mx + i + 4)),
                                     _mm_mul_ps(_mm_loadu_ps(qn + i + 4), _mm_loadu_ps(mn + i + 4)));
        vs0 = _mm_add_ps(vs0, t0);
        vs1 = _mm_add_ps(vs1, t1);
        va0 = _mm_add_ps(va0, _mm_and_ps(t0, abs_mask));
        va1 = _mm_add_ps(va1, _mm_and_ps(t1, abs_mask));
    }
    _mm_store_ps(s, vs0);
    _mm_store_ps(s + 4, vs1);
    _mm_store_ps(a, va0);
    _mm_store_ps(a + 4, va1);
#endif
    for (int64_t l = 0; i < d; ++i, ++l) {  // the tail (all of d without SIMD)
        const float t = qp[i] * mx[i] + qn[i] * mn[i];
        s[l % kLanes] += t;
        a[l % kLanes] += std::fabs(t);
    }
    *s_out = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
    *a_out = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

} // namespace

int quest_page_scores_cpu(const tfk_attn_view * v, const float * mins, const float * maxs, int64_t page_size,
                          int64_t n_pages, float * out, int n_threads) noexcept {
    detail::AttnTypes ty{};
    const int rc = detail::quest_scores_validate(v, mins, maxs, page_size, n_pages, out, &ty);
    if (rc != TFK_OK) return rc;
    if (n_pages == 0 || v->n_rows == 0) return TFK_OK;
    try {
        const float inf = std::numeric_limits<float>::infinity();
        const int64_t d = v->head_dim, hkv = v->n_head_kv, group = v->n_head / hkv, n_rows = v->n_rows;
        // q split by sign, [row][head][d]: qp = max(q, 0), qn = min(q, 0) (exact), so each term is one
        // rounded product plus an exact zero. A zero q_i gives a zero term (no NaN: bounds are finite).
        std::vector<float> qp(static_cast<size_t>(n_rows * v->n_head * d)), qn(qp.size());
        const unsigned char * q = static_cast<const unsigned char *>(v->q);
        for (int64_t r = 0; r < n_rows; ++r)
            for (int64_t h = 0; h < v->n_head; ++h)
                for (int64_t i = 0; i < d; ++i) {
                    const float x = detail::load_elem(q + r * v->q_row_stride + h * v->q_head_stride, ty.q, i);
                    const size_t o = static_cast<size_t>((r * v->n_head + h) * d + i);
                    qp[o] = x > 0.0f ? x : 0.0f;
                    qn[o] = x < 0.0f ? x : 0.0f;
                }
        const double slack = static_cast<double>(d + 2) * 0x1p-23, tiny = static_cast<double>(d) * 0x1p-149;
        const int64_t n_chunks = (n_pages + kPagesPerJob - 1) / kPagesPerJob;
        const int64_t n_jobs = hkv * n_chunks;
        const double work = static_cast<double>(n_rows) * static_cast<double>(v->n_head) * static_cast<double>(n_pages) *
                            static_cast<double>(d);
        const int64_t threads = detail::pick_threads(n_threads, work, n_jobs, kMinWorkPerThread);

        detail::run_jobs(threads, n_jobs, [&](int64_t, int64_t job) {
            const int64_t g = job / n_chunks, p0 = (job % n_chunks) * kPagesPerJob;
            const int64_t p1 = std::min(n_pages, p0 + kPagesPerJob);
            for (int64_t p = p0; p < p1; ++p) {
                const float * mn = mins + (p * hkv + g) * d;
                const float * mx = maxs + (p * hkv + g) * d;
                const bool empty = detail::quest_page_empty(mn[0], mx[0]);
                for (int64_t r = 0; r < n_rows; ++r) {
                    float best = -inf;
                    if (!empty)
                        for (int64_t h = g * group; h < (g + 1) * group; ++h) {
                            const size_t o = static_cast<size_t>((r * v->n_head + h) * d);
                            float s = 0.0f, a = 0.0f;
                            page_sums(qp.data() + o, qn.data() + o, mn, mx, d, &s, &a);
                            const float u = detail::round_up_float(static_cast<double>(s) + slack * static_cast<double>(a) + tiny);
                            best = u > best ? u : best;
                        }
                    out[(r * hkv + g) * n_pages + p] = best;
                }
            }
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

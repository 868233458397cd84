// Optimized CPU versions of the KV-cache scoring kernels.
//
// window_scores: the work is split into jobs, each a run of query heads sharing one key head (GQA),
// so a tile of K is converted once and reused by every (head, row) of the job. Per job, for chunks
// of up to kRowChunk (head, row) pairs:
//   1. the chunk's query vectors are converted to float;
//   2. for each tile of kTile cells, K is converted (F16C for F16) and transposed to kt[d][kTile]
//      (8x8 AVX transposes), then a register-blocked micro-kernel computes 4 rows x 16 cells of dot
//      products with broadcast-FMA (no horizontal sums; float over blocks of 8 dimensions, the
//      blocks summed in double) into a logit buffer;
//   3. per row: the max of the float logits scale*dot + mask; e = exp(scale*dot + mask - max) with
//      the exponent formed in double (so large logits or mask values lose no precision) and a
//      Cephes-style AVX2 expf (~2 ulp); the row sum in double; acc[head][j] += e * (1/sum).
// Jobs are taken from an atomic counter by std::threads; each job writes only its own heads' rows
// of out, at its end. Without AVX2 the same structure runs with scalar loops and std::exp.
//
// window_aggregate / pool1d: O(n_head * n_tokens) and O(n * kernel), memory-bound and small, so
// single-threaded. They perform exactly the reference's double operations in the same order (the
// results are bit-identical by design) but traverse the scores row-major (aggregate) and select the
// top t with a bounded insertion buffer instead of sorting; pool1d's interior is vectorized across
// outputs in double.
//
// Compiled twice (AVX2 and x86-64 baseline) into tfk::TFK_ISA_NS; the public functions and the extern "C"
// entries are in isa_dispatch.cpp, which picks a variant at run time (common/isa_ns.h).
#include "tfkernels.h"
#include "common/kv_common.h"
#include "cpu/isa_kernels.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <thread>
#include <vector>

#if defined(__AVX2__)
#  include <immintrin.h>
#endif

namespace tfk {
namespace TFK_ISA_NS {
namespace {

constexpr int64_t kTile     = 16;   // cells per K tile (two AVX vectors)
constexpr int64_t kRowChunk = 32;   // (head, row) pairs whose logits are held at once
// Below this much work (multiply-adds plus ~8 per softmax element) per extra thread, starting and
// joining the thread costs more than it saves (~50 us on a 2-vCPU VM).
constexpr int64_t kMinWorkPerThread = int64_t(1) << 21;

const float kNegInf = -std::numeric_limits<float>::infinity();

// ---- conversions --------------------------------------------------------------------------

// dst[0..n) = elements of dtype t at p.
void convert_row(const unsigned char * p, int32_t t, int64_t n, float * dst) {
    if (t == TFK_F32) {
        std::memcpy(dst, p, static_cast<size_t>(n) * sizeof(float));
        return;
    }
    int64_t i = 0;
#if defined(__AVX2__)
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p + 2 * i))));
#endif
    for (; i < n; ++i) dst[i] = detail::load_elem(p, t, i);
}

#if defined(__AVX2__)
inline __m256 load8(const unsigned char * p, int32_t t) {
    if (t == TFK_F32) return _mm256_loadu_ps(reinterpret_cast<const float *>(p));
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p)));
}

inline void transpose8(__m256 r[8]) {
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// expf for x <= 0 (Cephes' polynomial, ~2 ulp); x below ln(FLT_MIN) (and -inf) gives exactly 0.
inline __m256 exp_nonpos(__m256 x) {
    const __m256 lo   = _mm256_set1_ps(-87.3365447505f);
    const __m256 zero = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
    x = _mm256_max_ps(x, lo);
    __m256 n = _mm256_floor_ps(_mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), _mm256_set1_ps(0.5f)));
    x = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    x = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), x);
    __m256 y = _mm256_set1_ps(1.9875691500e-4f);
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
    y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
    y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
    // 2^n with n in [-126, 0]: a normal float built from its exponent bits.
    const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    y = _mm256_mul_ps(y, _mm256_castsi256_ps(e));
    return _mm256_andnot_ps(zero, y);
}
#endif

// kt[dd*kTile + c] = float(k cell j0+c, element dd), c < nj; zero for c >= nj.
void fill_kt(const unsigned char * kbase, int64_t cell_stride, int32_t t, int64_t j0, int64_t nj, int64_t d,
             float * kt) {
#if defined(__AVX2__)
    if (nj == kTile && d % 8 == 0) {
        const int64_t es = detail::dtype_size(t);
        for (int64_t cg = 0; cg < kTile; cg += 8) {
            const unsigned char * p0 = kbase + (j0 + cg) * cell_stride;
            for (int64_t db = 0; db < d; db += 8) {
                __m256 r[8];
                for (int c = 0; c < 8; ++c) r[c] = load8(p0 + c * cell_stride + db * es, t);
                transpose8(r);
                for (int i = 0; i < 8; ++i) _mm256_storeu_ps(kt + (db + i) * kTile + cg, r[i]);
            }
        }
        return;
    }
#endif
    for (int64_t c = 0; c < kTile; ++c) {
        if (c < nj) {
            const unsigned char * p = kbase + (j0 + c) * cell_stride;
            for (int64_t dd = 0; dd < d; ++dd) kt[dd * kTile + c] = detail::load_elem(p, t, dd);
        } else {
            for (int64_t dd = 0; dd < d; ++dd) kt[dd * kTile + c] = 0.0f;
        }
    }
}

// ---- dot-product micro-kernels: L[r][0..kTile) = dot(q row r, kt columns) ----------------------
//
// Accuracy: a float dot product accumulated sequentially over d terms has errors that grow with
// the partial sums (measured: up to ~2e-5 absolute for d = 64..128 with N(0,1) inputs, i.e. ~3e-6
// relative in the probabilities). The kernels therefore accumulate in float over blocks of kBlk
// dimensions and add the block results in double (4-6x smaller worst-case error for ~15% more time).

constexpr int64_t kBlk = 8;

#if defined(__AVX2__)
inline void add8(double * o, __m256 a) {
    _mm256_store_pd(o, _mm256_add_pd(_mm256_load_pd(o), _mm256_cvtps_pd(_mm256_castps256_ps128(a))));
    _mm256_store_pd(o + 4, _mm256_add_pd(_mm256_load_pd(o + 4), _mm256_cvtps_pd(_mm256_extractf128_ps(a, 1))));
}

inline void store16(float * L, const double * o) {
    _mm_storeu_ps(L, _mm256_cvtpd_ps(_mm256_load_pd(o)));
    _mm_storeu_ps(L + 4, _mm256_cvtpd_ps(_mm256_load_pd(o + 4)));
    _mm_storeu_ps(L + 8, _mm256_cvtpd_ps(_mm256_load_pd(o + 8)));
    _mm_storeu_ps(L + 12, _mm256_cvtpd_ps(_mm256_load_pd(o + 12)));
}

// 4 query rows (q, q+d, q+2d, q+3d) x 16 cells; L rows ldl apart.
inline void tile4(const float * q, int64_t d, const float * kt, float * L, int64_t ldl) {
    alignas(32) double o[4][kTile] = {};
    for (int64_t db = 0; db < d; db += kBlk) {
        const int64_t de = std::min(db + kBlk, d);
        __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        for (int64_t dd = db; dd < de; ++dd) {
            const __m256 k0 = _mm256_loadu_ps(kt + dd * kTile), k1 = _mm256_loadu_ps(kt + dd * kTile + 8);
            __m256 b = _mm256_broadcast_ss(q + dd);
            a00 = _mm256_fmadd_ps(b, k0, a00);
            a01 = _mm256_fmadd_ps(b, k1, a01);
            b = _mm256_broadcast_ss(q + d + dd);
            a10 = _mm256_fmadd_ps(b, k0, a10);
            a11 = _mm256_fmadd_ps(b, k1, a11);
            b = _mm256_broadcast_ss(q + 2 * d + dd);
            a20 = _mm256_fmadd_ps(b, k0, a20);
            a21 = _mm256_fmadd_ps(b, k1, a21);
            b = _mm256_broadcast_ss(q + 3 * d + dd);
            a30 = _mm256_fmadd_ps(b, k0, a30);
            a31 = _mm256_fmadd_ps(b, k1, a31);
        }
        add8(o[0], a00);
        add8(o[0] + 8, a01);
        add8(o[1], a10);
        add8(o[1] + 8, a11);
        add8(o[2], a20);
        add8(o[2] + 8, a21);
        add8(o[3], a30);
        add8(o[3] + 8, a31);
    }
    for (int r = 0; r < 4; ++r) store16(L + r * ldl, o[r]);
}

inline void tile1(const float * q, int64_t d, const float * kt, float * L) {
    alignas(32) double o[kTile] = {};
    for (int64_t db = 0; db < d; db += kBlk) {
        const int64_t de = std::min(db + kBlk, d);
        __m256 a0 = _mm256_setzero_ps(), a1 = a0;
        for (int64_t dd = db; dd < de; ++dd) {
            const __m256 b = _mm256_broadcast_ss(q + dd);
            a0 = _mm256_fmadd_ps(b, _mm256_loadu_ps(kt + dd * kTile), a0);
            a1 = _mm256_fmadd_ps(b, _mm256_loadu_ps(kt + dd * kTile + 8), a1);
        }
        add8(o, a0);
        add8(o + 8, a1);
    }
    store16(L, o);
}
#else
inline void tile1(const float * q, int64_t d, const float * kt, float * L) {
    double o[kTile] = {};
    for (int64_t db = 0; db < d; db += kBlk) {
        const int64_t de = std::min(db + kBlk, d);
        float a[kTile] = {};
        for (int64_t dd = db; dd < de; ++dd) {
            const float b = q[dd];
            for (int64_t c = 0; c < kTile; ++c) a[c] += b * kt[dd * kTile + c];
        }
        for (int64_t c = 0; c < kTile; ++c) o[c] += static_cast<double>(a[c]);
    }
    for (int64_t c = 0; c < kTile; ++c) L[c] = static_cast<float>(o[c]);
}
#endif

// ---- per-row softmax -----------------------------------------------------------------------

// Mask element j of a row (0 without a mask).
inline float mask_at(const unsigned char * mrow, int32_t mt, int64_t j) {
    return mrow != nullptr ? detail::load_elem(mrow, mt, j) : 0.0f;
}

// Max over j < n of the logit scale*dot[j] + mask[j] (float; only needs to be close to the max).
float row_max(const float * dot, int64_t n, float scale, const unsigned char * mrow, int32_t mt) {
    int64_t j = 0;
    float m = kNegInf;
#if defined(__AVX2__)
    const __m256 s = _mm256_set1_ps(scale);
    __m256 mv = _mm256_set1_ps(kNegInf);
    for (; j + 8 <= n; j += 8) {
        __m256 x = _mm256_mul_ps(_mm256_loadu_ps(dot + j), s);
        if (mrow != nullptr) x = _mm256_add_ps(x, load8(mrow + j * detail::dtype_size(mt), mt));
        mv = _mm256_max_ps(mv, x);
    }
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, mv);
    for (float x : lanes) m = std::max(m, x);
#endif
    for (; j < n; ++j) m = std::max(m, dot[j] * scale + mask_at(mrow, mt, j));
    return m;
}

// dot[j] <- e_j = exp(scale*dot[j] + mask[j] - m); returns the sum of the e_j (in double). The
// exponent x is formed in double and split into float hi + lo, so large logits, mask values
// (ALiBi-style distances) or very negative exponents cost no precision: only the float dot
// product's own error and the expf's ~2 ulp reach e_j.
double exp_row(float * dot, int64_t n, float scale, const unsigned char * mrow, int32_t mt, float m) {
    int64_t j = 0;
    double sum = 0.0;
    const double sd = static_cast<double>(scale), md = static_cast<double>(m);
#if defined(__AVX2__)
    const __m256d sv = _mm256_set1_pd(sd), mv = _mm256_set1_pd(md);
    __m256d s0 = _mm256_setzero_pd(), s1 = s0;
    for (; j + 8 <= n; j += 8) {
        const __m256 dt = _mm256_loadu_ps(dot + j);
        __m256d t0 = _mm256_sub_pd(_mm256_setzero_pd(), mv), t1 = t0;
        if (mrow != nullptr) {
            const __m256 mk = load8(mrow + j * detail::dtype_size(mt), mt);
            t0 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(mk)), mv);
            t1 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(mk, 1)), mv);
        }
        const __m256d x0 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(dt)), sv, t0);
        const __m256d x1 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(dt, 1)), sv, t1);
        // exp(x) = exp(hi) * exp(lo) ~ exp(hi) * (1 + lo) with hi = float(x), lo = x - hi: float's
        // rounding of x (u*|x|, e.g. 4e-6 relative for x = -70) does not reach e.
        const __m128 h0 = _mm256_cvtpd_ps(x0), h1 = _mm256_cvtpd_ps(x1);
        __m256 lo = _mm256_set_m128(_mm256_cvtpd_ps(_mm256_sub_pd(x1, _mm256_cvtps_pd(h1))),
                                    _mm256_cvtpd_ps(_mm256_sub_pd(x0, _mm256_cvtps_pd(h0))));
        lo = _mm256_and_ps(lo, _mm256_cmp_ps(lo, lo, _CMP_ORD_Q));  // x = -inf: lo = NaN -> 0
        __m256 e = exp_nonpos(_mm256_set_m128(h1, h0));
        e = _mm256_fmadd_ps(e, lo, e);
        _mm256_storeu_ps(dot + j, e);
        s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(e)));
        s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(e, 1)));
    }
    alignas(32) double lanes[4];
    _mm256_store_pd(lanes, _mm256_add_pd(s0, s1));
    sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
#endif
    for (; j < n; ++j) {
        const double x = static_cast<double>(dot[j]) * sd + (static_cast<double>(mask_at(mrow, mt, j)) - md);
        const float hi = static_cast<float>(x);
        float lo = static_cast<float>(x - static_cast<double>(hi));
        if (std::isnan(lo)) lo = 0.0f;  // x = -inf
        const float e = std::exp(hi);
        dot[j] = e + e * lo;
        sum += static_cast<double>(dot[j]);
    }
    return sum;
}

// acc[j] += e[j] * inv.
void add_row(float * acc, const float * e, int64_t n, float inv) {
    int64_t j = 0;
#if defined(__AVX2__)
    const __m256 iv = _mm256_set1_ps(inv);
    for (; j + 8 <= n; j += 8)
        _mm256_storeu_ps(acc + j, _mm256_fmadd_ps(_mm256_loadu_ps(e + j), iv, _mm256_loadu_ps(acc + j)));
#endif
    for (; j < n; ++j) acc[j] += e[j] * inv;
}

// ---- window_scores driver ----------------------------------------------------------------

struct Job {
    int64_t h0, nh;  // query heads [h0, h0 + nh), all reading the same key head
};

struct Scratch {
    std::vector<float> qf, kt, L, acc;
};

struct Ctx {
    const tfk_attn_view * v;
    detail::AttnTypes     ty;
    int64_t               group;  // query heads per key head
    int64_t               ldl;    // logit buffer row length: n_kv rounded up to kTile
    float *               out;
    bool                  accumulate;
};

void run_job(const Ctx & c, const Job & job, Scratch & s) noexcept {
    const tfk_attn_view & v = *c.v;
    const int64_t d = v.head_dim, n_kv = v.n_kv, ldl = c.ldl;
    const int64_t g = job.h0 / c.group;
    const unsigned char * q = static_cast<const unsigned char *>(v.q);
    const unsigned char * kbase = static_cast<const unsigned char *>(v.k) + g * v.k_head_stride;
    const unsigned char * mask = static_cast<const unsigned char *>(v.mask);
    float * qf = s.qf.data();
    float * kt = s.kt.data();
    float * L = s.L.data();
    float * acc = s.acc.data();
    std::fill(acc, acc + job.nh * ldl, 0.0f);

    // Combined rows p = hi*n_rows + r over the job's heads, in chunks of kRowChunk.
    const int64_t n_pairs = job.nh * v.n_rows;
    for (int64_t p0 = 0; p0 < n_pairs; p0 += kRowChunk) {
        const int64_t np = std::min(kRowChunk, n_pairs - p0);
        for (int64_t i = 0; i < np; ++i) {
            const int64_t hi = (p0 + i) / v.n_rows, r = (p0 + i) % v.n_rows;
            convert_row(q + r * v.q_row_stride + (job.h0 + hi) * v.q_head_stride, c.ty.q, d, qf + i * d);
        }
        for (int64_t j0 = 0; j0 < n_kv; j0 += kTile) {
            fill_kt(kbase, v.k_cell_stride, c.ty.k, j0, std::min(kTile, n_kv - j0), d, kt);
            int64_t i = 0;
#if defined(__AVX2__)
            for (; i + 4 <= np; i += 4) tile4(qf + i * d, d, kt, L + i * ldl + j0, ldl);
#endif
            for (; i < np; ++i) tile1(qf + i * d, d, kt, L + i * ldl + j0);
        }
        for (int64_t i = 0; i < np; ++i) {
            const int64_t hi = (p0 + i) / v.n_rows, r = (p0 + i) % v.n_rows;
            float * l = L + i * ldl;
            const unsigned char * mrow = mask != nullptr ? mask + r * v.mask_row_stride : nullptr;
            const float m = row_max(l, n_kv, v.scale, mrow, c.ty.mask);
            if (m == kNegInf) continue;  // fully masked row
            const double sum = exp_row(l, n_kv, v.scale, mrow, c.ty.mask, m);
            add_row(acc + hi * ldl, l, n_kv, static_cast<float>(1.0 / sum));
        }
    }
    for (int64_t hi = 0; hi < job.nh; ++hi) {
        float * o = c.out + (job.h0 + hi) * n_kv;
        const float * a = acc + hi * ldl;
        if (c.accumulate) {
            for (int64_t j = 0; j < n_kv; ++j) o[j] += a[j];
        } else {
            std::memcpy(o, a, static_cast<size_t>(n_kv) * sizeof(float));
        }
    }
}

// ---- window_aggregate / pool1d helpers ------------------------------------------------------

// NaN-last descending order, as the reference's sort.
inline bool greater_nan_last(float a, float b) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
    return a > b;
}

} // namespace

int window_scores_cpu(const tfk_attn_view * v, float * out, int accumulate, int n_threads) noexcept {
    detail::AttnTypes ty{};
    const int rc = detail::attn_validate(v, out, &ty);
    if (rc != TFK_OK) return rc;
    try {
        const int64_t d = v->head_dim, n_kv = v->n_kv;
        if (v->n_rows == 0) {
            if (!accumulate) std::fill(out, out + v->n_head * n_kv, 0.0f);
            return TFK_OK;
        }
        const int64_t group = v->n_head / v->n_head_kv;
        const int64_t ldl = (n_kv + kTile - 1) / kTile * kTile;

        // Threads: enough work for each; jobs: every key head's query heads split into `parts` runs.
        const double work = static_cast<double>(v->n_head) * static_cast<double>(v->n_rows) *
                            static_cast<double>(n_kv) * static_cast<double>(d + 8);
        int64_t threads = n_threads > 0 ? n_threads : std::max(1u, std::thread::hardware_concurrency());
        threads = std::min<int64_t>(threads, std::max<int64_t>(1, static_cast<int64_t>(std::min(work / kMinWorkPerThread, 1e6))));
        const int64_t parts = std::min(group, (threads + v->n_head_kv - 1) / v->n_head_kv);
        std::vector<Job> jobs;
        jobs.reserve(static_cast<size_t>(v->n_head_kv * parts));
        for (int64_t g = 0; g < v->n_head_kv; ++g)
            for (int64_t p = 0; p < parts; ++p) {
                const int64_t lo = group * p / parts, hi = group * (p + 1) / parts;
                jobs.push_back({g * group + lo, hi - lo});
            }
        threads = std::min<int64_t>(threads, static_cast<int64_t>(jobs.size()));
        const int64_t max_nh = (group + parts - 1) / parts;

        // Everything is allocated before any output is written, so an error leaves out untouched.
        std::vector<Scratch> scratch(static_cast<size_t>(threads));
        for (Scratch & s : scratch) {
            s.qf.resize(static_cast<size_t>(kRowChunk * d));
            s.kt.resize(static_cast<size_t>(kTile * d));
            s.L.resize(static_cast<size_t>(kRowChunk * ldl));
            s.acc.resize(static_cast<size_t>(max_nh * ldl));
        }
        const Ctx ctx{v, ty, group, ldl, out, accumulate != 0};
        std::atomic<size_t> next{0};
        auto worker = [&](int64_t t) noexcept {
            for (size_t i = next.fetch_add(1); i < jobs.size(); i = next.fetch_add(1)) run_job(ctx, jobs[i], scratch[t]);
        };
        std::vector<std::thread> pool;
        pool.reserve(static_cast<size_t>(threads - 1));
        for (int64_t t = 1; t < threads; ++t) {
            try {
                pool.emplace_back(worker, t);
            } catch (...) {  // no thread: the others (at least this one) take its jobs
                break;
            }
        }
        worker(0);
        for (std::thread & th : pool) th.join();
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
    return TFK_OK;
}

int window_aggregate_cpu(const float * scores, int64_t n_head, int64_t n_tokens, int64_t row_stride, int w, int mode,
                         float * out) noexcept {
    const int rc = detail::aggregate_validate(scores, n_head, n_tokens, row_stride, w, mode, out);
    if (rc != TFK_OK) return rc;
    try {
        const int64_t n_win = detail::n_windows(n_tokens, w);
        const int64_t t_max = std::max(1, w / 2);
        std::vector<double> total(static_cast<size_t>(n_win), 0.0);
        std::vector<float> top(static_cast<size_t>(std::min<int64_t>(t_max, n_tokens) + 1));
        // Row-major: head h's contribution to every window, then the next head (the reference's
        // per-window order of additions, so the double totals are identical).
        for (int64_t h = 0; h < n_head; ++h) {
            const float * row = scores + h * row_stride;
            for (int64_t m = 0; m < n_win; ++m) {
                const int64_t lo = m * w, hi = std::min<int64_t>(lo + w, n_tokens);
                double head = 0.0;
                if (mode == TFK_WINDOW_AVG) {
                    for (int64_t j = lo; j < hi; ++j) head += static_cast<double>(row[j]);
                } else {
                    // top[0..cnt) sorted descending (NaN last), at most t values.
                    const int64_t t = std::min(t_max, hi - lo);
                    int64_t cnt = 0;
                    for (int64_t j = lo; j < hi; ++j) {
                        const float x = row[j];
                        if (cnt == t && !greater_nan_last(x, top[t - 1])) continue;
                        int64_t p = cnt < t ? cnt++ : t - 1;
                        while (p > 0 && greater_nan_last(x, top[p - 1])) {
                            top[p] = top[p - 1];
                            --p;
                        }
                        top[p] = x;
                    }
                    for (int64_t i = 0; i < t; ++i) head += static_cast<double>(top[i]);
                    head /= static_cast<double>(t);
                }
                total[m] += head;
            }
        }
        for (int64_t m = 0; m < n_win; ++m) {
            const int64_t len = std::min<int64_t>(int64_t(w), n_tokens - m * w);
            const double div = mode == TFK_WINDOW_AVG ? static_cast<double>(n_head) * static_cast<double>(len)
                                                      : static_cast<double>(n_head);
            out[m] = static_cast<float>(total[m] / div);
        }
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
    return TFK_OK;
}

int pool1d_cpu(const float * in, int64_t n, int kernel, int mode, float * out) noexcept {
    const int rc = detail::pool_validate(in, n, kernel, mode, out);
    if (rc != TFK_OK) return rc;
    const int64_t half = kernel / 2;
    const double div = static_cast<double>(kernel);
    // Outputs whose whole window is in range: [half, n - half).
    const int64_t in_lo = std::min(half, n), in_hi = std::max(in_lo, n - half);
    auto edge = [&](int64_t i) {
        const int64_t lo = std::max<int64_t>(0, i - half), hi = std::min<int64_t>(n - 1, i + half);
        if (mode == TFK_POOL_AVG) {
            double s = 0.0;
            for (int64_t t = lo; t <= hi; ++t) s += static_cast<double>(in[t]);
            out[i] = static_cast<float>(s / div);
        } else {
            float mx = in[lo];
            for (int64_t t = lo + 1; t <= hi; ++t) mx = in[t] > mx ? in[t] : mx;
            out[i] = mx;
        }
    };
    for (int64_t i = 0; i < in_lo; ++i) edge(i);
    int64_t i = in_lo;
#if defined(__AVX2__)
    // 4 outputs per step, the same double additions (t ascending) per output as the scalar code.
    if (mode == TFK_POOL_AVG) {
        const __m256d dv = _mm256_set1_pd(div);
        for (; i + 4 <= in_hi; i += 4) {
            __m256d s = _mm256_setzero_pd();
            for (int64_t t = -half; t <= half; ++t) s = _mm256_add_pd(s, _mm256_cvtps_pd(_mm_loadu_ps(in + i + t)));
            _mm_storeu_ps(out + i, _mm256_cvtpd_ps(_mm256_div_pd(s, dv)));
        }
    } else {
        for (; i + 8 <= in_hi; i += 8) {
            __m256 mx = _mm256_loadu_ps(in + i - half);
            for (int64_t t = -half + 1; t <= half; ++t) {
                const __m256 x = _mm256_loadu_ps(in + i + t);
                mx = _mm256_blendv_ps(mx, x, _mm256_cmp_ps(x, mx, _CMP_GT_OQ));  // x > mx ? x : mx
            }
            _mm256_storeu_ps(out + i, mx);
        }
    }
#endif
    for (; i < in_hi; ++i) edge(i);
    for (i = in_hi; i < n; ++i) edge(i);
    return TFK_OK;
}

} // namespace TFK_ISA_NS
} // namespace tfk

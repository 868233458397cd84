// Tests of the KV-cache scoring kernels: tfk::window_scores_{ref,cpu,cuda}, window_aggregate_* and
// pool1d_*. Exit code != 0 on any failure.
//
//  - window_scores: the reference on a hand-computed case, then window_scores_cpu (threads 1, 2, 3,
//    auto), the flat C entry and, with a GPU, window_scores_cuda against window_scores_ref on seeded
//    random inputs (q, k ~ N(0,1); GQA ratios 1, 2, 4; F16/F32 q, k and mask; causal masks with
//    fully masked cells and one fully masked row; strided layouts whose padding holds NaN, so reading
//    it would poison the result; accumulate on and off), within the tolerance explained at kRelTol;
//    property: each head's scores sum to the number of rows that are not fully masked.
//  - window_aggregate / pool1d: hand-made arrays (partial last window, w = 1, w > n_tokens, pooling
//    edges, kernel > n), then cpu and cuda against ref bit for bit on random arrays.
//  - error codes for every bad argument, and outputs untouched on error.
#include "tfkernels.h"
#include "check.h"
#include "f16_util.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace {

using tfk_test::bits;
using tfk_test::f2h;
using tfk_test::h2f;

const float kInf = std::numeric_limits<float>::infinity();
bool g_cuda = false;

// Tolerance of window_scores_cpu / _cuda against window_scores_ref (double, rounded once):
//   |got - ref| <= kRelTol * max(1, sigma) * |ref| + kAbsTol,
// sigma = scale * sqrt(d) * rms(q) * rms(k), the spread of the logits (about 1 for N(0,1) inputs
// and scale 1/sqrt(d)). Why:
//   - every output is a sum over rows of p = exp(l - max) / sum, and an absolute error e in a logit
//     l is a relative error e in p (d(exp l) / exp l = dl), however small p is; errors of different
//     rows/cells are independent, so the relative error of a sum over rows is no larger;
//   - the float versions form the exponent l - max in double (split into float hi + lo before
//     expf), so the only logit error left is the float dot product's: float FMAs over blocks of 8
//     dimensions, the blocks added in double. Measured on 2e5 N(0,1) pairs its worst absolute
//     error is 3-4e-6 for d = 32..128, times scale = 1/sqrt(d) -> ~5e-7 in p; it scales with the
//     logits' spread (sigma), hence the max(1, sigma) factor (the test's peaked case has sigma 4);
//   - expf (~2 ulp), the float 1/sum, the float sum over rows and the final rounding add ~3e-7.
// Worst seen here: ~4.5e-7 for sigma ~1 and ~1.5e-6 for sigma 4, so 1.5e-6 per unit of sigma gives
// a 3x margin while staying well under 1e-5 for realistic logits. kAbsTol (~FLT_MIN) only covers
// outputs that underflow float, where relative precision is lost by any float computation.
constexpr double kRelTol = 1.5e-6;
constexpr double kAbsTol = 1.2e-38;



int64_t esize(tfk_dtype t) { return t == TFK_F32 ? 4 : 2; }

// A byte buffer of elements of one dtype, initialised to NaN (the padding value).
struct Buf {
    std::vector<float> storage;  // float storage keeps 4-byte alignment
    tfk_dtype type = TFK_F32;
    void init(int64_t bytes, tfk_dtype t) {
        type = t;
        storage.assign(static_cast<size_t>((bytes + 3) / 4) + 1, 0.0f);
        unsigned char * p = data();
        for (int64_t o = 0; o + esize(t) <= static_cast<int64_t>(storage.size() * 4); o += esize(t)) {
            if (t == TFK_F32) {
                const uint32_t nan = 0x7fc00000u;
                std::memcpy(p + o, &nan, 4);
            } else {
                const uint16_t nan = 0x7e00u;
                std::memcpy(p + o, &nan, 2);
            }
        }
    }
    unsigned char * data() { return reinterpret_cast<unsigned char *>(storage.data()); }
    size_t bytes() const { return storage.size() * sizeof(float); }
    void put(int64_t off, float x) {
        if (type == TFK_F32) {
            std::memcpy(data() + off, &x, 4);
        } else {
            const uint16_t h = f2h(x);
            std::memcpy(data() + off, &h, 2);
        }
    }
};

enum class MaskKind { None, Causal, CausalAlibi };

struct Case {
    int64_t d, H, Hkv, R, N;
    tfk_dtype qt, kt;
    MaskKind mask;
    tfk_dtype mt;
    bool q_head_major, k_head_major;
    int64_t pad;        // padding elements after every vector/row (0: dense)
    bool accumulate;
    float scale_mul;    // scale = scale_mul / sqrt(d)
    bool k_specials;    // some K values tiny (half subnormal) or large
};

struct Inputs {
    Buf q, k, mask;
    tfk_attn_view v{};
    std::vector<bool> row_dead;  // fully masked rows
    double sigma = 1.0;          // scale * sqrt(d) * rms(q) * rms(k)
};

Inputs make_inputs(const Case & c, std::mt19937 & rng) {
    Inputs in;
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_int_distribution<int> pick(0, 99);
    tfk_attn_view & v = in.v;
    v.head_dim = c.d;
    v.n_head = c.H;
    v.n_head_kv = c.Hkv;
    v.n_rows = c.R;
    v.n_kv = c.N;
    v.scale = c.scale_mul / std::sqrt(static_cast<float>(c.d));
    const int64_t qe = esize(c.qt), ke = esize(c.kt);
    const int64_t rows = std::max<int64_t>(c.R, 1);
    // q
    if (c.q_head_major) {
        v.q_row_stride = (c.d + c.pad) * qe;
        v.q_head_stride = rows * v.q_row_stride + c.pad * qe;
    } else {
        v.q_head_stride = (c.d + c.pad) * qe;
        v.q_row_stride = c.H * v.q_head_stride + c.pad * qe;
    }
    in.q.init((rows - 1) * v.q_row_stride + (c.H - 1) * v.q_head_stride + c.d * qe, c.qt);
    double q_ss = 0.0, k_ss = 0.0;
    for (int64_t r = 0; r < c.R; ++r)
        for (int64_t h = 0; h < c.H; ++h)
            for (int64_t i = 0; i < c.d; ++i) {
                const float x = normal(rng);
                q_ss += static_cast<double>(x) * x;
                in.q.put(r * v.q_row_stride + h * v.q_head_stride + i * qe, x);
            }
    // k
    if (c.k_head_major) {
        v.k_cell_stride = (c.d + c.pad) * ke;
        v.k_head_stride = c.N * v.k_cell_stride + c.pad * ke;
    } else {
        v.k_head_stride = (c.d + c.pad) * ke;
        v.k_cell_stride = c.Hkv * v.k_head_stride + c.pad * ke;
    }
    in.k.init((c.N - 1) * v.k_cell_stride + (c.Hkv - 1) * v.k_head_stride + c.d * ke, c.kt);
    for (int64_t j = 0; j < c.N; ++j)
        for (int64_t g = 0; g < c.Hkv; ++g)
            for (int64_t i = 0; i < c.d; ++i) {
                float x = normal(rng);
                if (c.k_specials) {
                    const int p = pick(rng);
                    if (p < 10) x *= 1e-6f;      // F16: subnormal
                    else if (p < 12) x *= 8.0f;  // large logits
                }
                k_ss += static_cast<double>(x) * x;
                in.k.put(j * v.k_cell_stride + g * v.k_head_stride + i * ke, x);
            }
    const double q_rms = c.R > 0 ? std::sqrt(q_ss / static_cast<double>(c.R * c.H * c.d)) : 0.0;
    const double k_rms = std::sqrt(k_ss / static_cast<double>(c.N * c.Hkv * c.d));
    in.sigma = static_cast<double>(v.scale) * std::sqrt(static_cast<double>(c.d)) * q_rms * k_rms;
    // mask: the window is the last R of N positions; causal, cells j % 11 == 5 masked for every row,
    // row R/2 fully masked; CausalAlibi adds -0.05 * distance to visible cells.
    in.row_dead.assign(static_cast<size_t>(c.R), false);
    v.q = in.q.data();
    v.q_type = c.qt;
    v.k = in.k.data();
    v.k_type = c.kt;
    if (c.mask != MaskKind::None) {
        const int64_t me = esize(c.mt);
        v.mask_type = c.mt;
        v.mask_row_stride = (c.N + c.pad) * me;
        in.mask.init(rows * v.mask_row_stride, c.mt);
        for (int64_t r = 0; r < c.R; ++r) {
            const int64_t pos = c.N - c.R + r;
            const bool dead = c.R >= 2 && r == c.R / 2;
            in.row_dead[static_cast<size_t>(r)] = dead;
            for (int64_t j = 0; j < c.N; ++j) {
                float m = 0.0f;
                if (dead || j > pos || j % 11 == 5) m = -kInf;
                else if (c.mask == MaskKind::CausalAlibi) m = -0.05f * static_cast<float>(pos - j);
                in.mask.put(r * v.mask_row_stride + j * me, m);
            }
            bool any = false;
            for (int64_t j = 0; j < c.N && !any; ++j) any = !(dead || j > pos || j % 11 == 5);
            in.row_dead[static_cast<size_t>(r)] = !any;
        }
        v.mask = in.mask.data();
    } else {
        v.mask = nullptr;
        std::memset(&v.mask_type, 0xff, sizeof v.mask_type);  // ignored without a mask (-1 as raw int)
        v.mask_row_stride = 0;
    }
    return in;
}

const char * tname(tfk_dtype t) { return t == TFK_F32 ? "f32" : "f16"; }

std::string describe(const Case & c) {
    char s[256];
    std::snprintf(s, sizeof s, "d=%" PRId64 " H=%" PRId64 " Hkv=%" PRId64 " R=%" PRId64 " N=%" PRId64
                  " q=%s k=%s mask=%s%s%s%s pad=%" PRId64 "%s%s",
                  c.d, c.H, c.Hkv, c.R, c.N, tname(c.qt), tname(c.kt),
                  c.mask == MaskKind::None ? "none" : c.mask == MaskKind::Causal ? "causal" : "causal+alibi",
                  c.mask == MaskKind::None ? "" : "/", c.mask == MaskKind::None ? "" : tname(c.mt),
                  c.q_head_major || c.k_head_major ? " head-major" : "", c.pad, c.accumulate ? " acc" : "",
                  c.k_specials ? " k-specials" : "");
    return s;
}

// Compares within tolerance; returns the largest relative error seen (inf on a failure, reported once).
double compare(const char * what, const Case & c, double rel_tol, const std::vector<float> & ref,
               const std::vector<float> & got) {
    double worst = 0.0;
    for (size_t i = 0; i < ref.size(); ++i) {
        const double r = ref[i], x = got[i], err = std::fabs(x - r);
        if (!(err <= rel_tol * std::fabs(r) + kAbsTol)) {
            std::printf("  FAIL %s %s: out[%zu] (head %zu, cell %zu): ref %.9g got %.9g (rel err %.3g)\n", what,
                        describe(c).c_str(), i, i / static_cast<size_t>(c.N), i % static_cast<size_t>(c.N), r, x,
                        err / std::max(std::fabs(r), 1e-300));
            return std::numeric_limits<double>::infinity();
        }
        if (r != 0.0) worst = std::max(worst, err / std::fabs(r));
    }
    return worst;
}

double g_worst_rel = 0.0;

void run_case(const Case & c, std::mt19937 & rng) {
    Inputs in = make_inputs(c, rng);
    const size_t n_out = static_cast<size_t>(c.H * c.N);
    std::vector<float> init(n_out, 0.0f);
    if (c.accumulate) {
        std::uniform_real_distribution<float> u(0.5f, 3.0f);
        for (float & x : init) x = u(rng);
    }
    std::vector<float> ref = init;
    int rc = tfk::window_scores_ref(&in.v, ref.data(), c.accumulate);
    EXPECT(rc == TFK_OK, "window_scores_ref rc=%d", rc);

    // Property: each head's scores sum to the number of live rows (plus the prior values).
    int64_t live = 0;
    for (bool dead : in.row_dead) live += dead ? 0 : 1;
    for (int64_t h = 0; h < c.H; ++h) {
        double sum = 0.0;
        for (int64_t j = 0; j < c.N; ++j) sum += static_cast<double>(ref[h * c.N + j]) - init[h * c.N + j];
        EXPECT(std::fabs(sum - static_cast<double>(live)) <= 1e-5 * std::max<double>(1.0, live),
               "%s: head %" PRId64 " sums to %.9g, want %" PRId64 " live rows", describe(c).c_str(), h, sum, live);
    }
    // Fully masked cells (j % 11 == 5 with a mask) get exactly nothing.
    if (c.mask != MaskKind::None) {
        bool zero = true;
        for (int64_t h = 0; h < c.H; ++h)
            for (int64_t j = 5; j < c.N; j += 11) zero = zero && ref[h * c.N + j] == init[h * c.N + j];
        EXPECT(zero, "%s: a fully masked cell got a score", describe(c).c_str());
    }

    const double rel_tol = kRelTol * std::max(1.0, in.sigma);
    double worst = 0.0;
    bool all_ok = true;
    for (int t : {1, 2, 3, 0}) {
        std::vector<float> got = init;
        rc = tfk::window_scores_cpu(&in.v, got.data(), c.accumulate, t);
        EXPECT(rc == TFK_OK, "window_scores_cpu rc=%d", rc);
        const std::string what = "window_scores_cpu(threads=" + std::to_string(t) + ")";
        const double w = compare(what.c_str(), c, rel_tol, ref, got);
        EXPECT(std::isfinite(w), "%s beyond tolerance", what.c_str());
        all_ok = all_ok && std::isfinite(w);
        worst = std::max(worst, w);
        if (c.mask != MaskKind::None) {
            bool zero = true;
            for (int64_t h = 0; h < c.H; ++h)
                for (int64_t j = 5; j < c.N; j += 11) zero = zero && got[h * c.N + j] == init[h * c.N + j];
            EXPECT(zero, "%s: a fully masked cell got a score", what.c_str());
        }
    }
    {
        std::vector<float> got = init;
        rc = tfk_window_scores(&in.v, got.data(), c.accumulate, 2);
        EXPECT(rc == TFK_OK, "tfk_window_scores rc=%d", rc);
        std::vector<float> got_ref = init;
        rc = tfk_window_scores_ref(&in.v, got_ref.data(), c.accumulate);
        EXPECT(rc == TFK_OK && got_ref == ref, "tfk_window_scores_ref differs from tfk::window_scores_ref");
        const double w = compare("tfk_window_scores", c, rel_tol, ref, got);
        all_ok = all_ok && std::isfinite(w);
    }
    double worst_cuda = -1.0;
    if (g_cuda) {
        std::vector<float> got = init;
        void *d_q = nullptr, *d_k = nullptr, *d_m = nullptr, *d_out = nullptr;
        int e = tfk_cuda_malloc(&d_q, in.q.bytes());
        if (e == TFK_OK) e = tfk_cuda_malloc(&d_k, in.k.bytes());
        if (e == TFK_OK && in.v.mask != nullptr) e = tfk_cuda_malloc(&d_m, in.mask.bytes());
        if (e == TFK_OK) e = tfk_cuda_malloc(&d_out, n_out * sizeof(float));
        if (e == TFK_OK) e = tfk_cuda_memcpy_h2d(d_q, in.q.data(), in.q.bytes());
        if (e == TFK_OK) e = tfk_cuda_memcpy_h2d(d_k, in.k.data(), in.k.bytes());
        if (e == TFK_OK && d_m != nullptr) e = tfk_cuda_memcpy_h2d(d_m, in.mask.data(), in.mask.bytes());
        if (e == TFK_OK) e = tfk_cuda_memcpy_h2d(d_out, init.data(), n_out * sizeof(float));
        tfk_attn_view dv = in.v;
        dv.q = d_q;
        dv.k = d_k;
        dv.mask = in.v.mask != nullptr ? d_m : nullptr;
        if (e == TFK_OK) e = tfk::window_scores_cuda(&dv, static_cast<float *>(d_out), c.accumulate, nullptr);
        if (e == TFK_OK) e = tfk_cuda_synchronize(nullptr);
        if (e == TFK_OK) e = tfk_cuda_memcpy_d2h(got.data(), d_out, n_out * sizeof(float));
        EXPECT(e == TFK_OK, "CUDA path rc=%d (%s) last CUDA error: %s", e, tfk_status_str(e), tfk_cuda_last_error());
        tfk_cuda_free(d_q);
        tfk_cuda_free(d_k);
        tfk_cuda_free(d_m);
        tfk_cuda_free(d_out);
        if (e == TFK_OK) {
            worst_cuda = compare("window_scores_cuda", c, rel_tol, ref, got);
            EXPECT(std::isfinite(worst_cuda), "window_scores_cuda beyond tolerance");
            all_ok = all_ok && std::isfinite(worst_cuda);
        }
    }
    if (std::isfinite(worst)) g_worst_rel = std::max(g_worst_rel, worst / std::max(1.0, in.sigma));
    if (worst_cuda >= 0 && std::isfinite(worst_cuda)) g_worst_rel = std::max(g_worst_rel, worst_cuda / std::max(1.0, in.sigma));
    char cuda_part[48] = "";
    if (worst_cuda >= 0) std::snprintf(cuda_part, sizeof cuda_part, ", cuda %.2e", worst_cuda);
    std::printf("  %-4s %s: sigma %.2f, max rel err cpu %.2e%s (tol %.1e)\n", all_ok ? "ok" : "FAIL",
                describe(c).c_str(), in.sigma, worst, cuda_part, rel_tol);
}

// 1 head, d = 2, 3 rows, 3 cells; scale = ln 2 so exp(logit) = 2^dot. k0 = (1,0), k1 = (0,1), k2 = (1,1).
//   row 0: q = (1,0): dots (1,0,1) -> 2,1,2 over 5 = 0.4, 0.2, 0.4
//   row 1: q = (0,1): dots (0,1,1), cell 2 masked -> 1,2 over 3 = 1/3, 2/3, 0
//   row 2: fully masked -> nothing
//   out = (0.4 + 1/3, 0.2 + 2/3, 0.4) = (11/15, 13/15, 2/5)
void test_scores_by_hand() {
    std::printf("window_scores on a hand-computed case\n");
    const float q[] = {1, 0, 0, 1, 5, -5};
    const float k[] = {1, 0, 0, 1, 1, 1};
    const float mask[] = {0, 0, 0, 0, 0, -kInf, -kInf, -kInf, -kInf};
    tfk_attn_view v{};
    v.head_dim = 2;
    v.n_head = 1;
    v.n_head_kv = 1;
    v.n_rows = 3;
    v.n_kv = 3;
    v.q = q;
    v.q_type = TFK_F32;
    v.q_row_stride = 8;
    v.q_head_stride = 8;
    v.k = k;
    v.k_type = TFK_F32;
    v.k_cell_stride = 8;
    v.k_head_stride = 8;
    v.mask = mask;
    v.mask_type = TFK_F32;
    v.mask_row_stride = 12;
    v.scale = 0.693147180559945f;
    const double want[] = {11.0 / 15.0, 13.0 / 15.0, 0.4};
    float out[3];
    auto check = [&](const char * what, int rc, const float * o, double tol) {
        EXPECT(rc == TFK_OK, "%s rc=%d", what, rc);
        for (int j = 0; j < 3; ++j)
            EXPECT(std::fabs(o[j] - want[j]) <= tol, "%s: out[%d] = %.9g, want %.9g", what, j, o[j], want[j]);
    };
    // ln 2 rounded to float changes 2^dot by < 1e-7 relative.
    check("window_scores_ref", tfk::window_scores_ref(&v, out, 0), out, 3e-7);
    check("tfk_window_scores_ref", tfk_window_scores_ref(&v, out, 0), out, 3e-7);
    for (int t : {1, 2}) check("window_scores_cpu", tfk::window_scores_cpu(&v, out, 0, t), out, 1e-6);
    check("tfk_window_scores", tfk_window_scores(&v, out, 0, 1), out, 1e-6);
    // accumulate: adds to what is there.
    float acc[3] = {1.0f, 2.0f, 3.0f};
    EXPECT(tfk_window_scores(&v, acc, 1, 1) == TFK_OK, "accumulate rc");
    for (int j = 0; j < 3; ++j)
        EXPECT(std::fabs(acc[j] - (want[j] + 1.0 + j)) <= 2e-6, "accumulate: out[%d] = %.9g", j, acc[j]);
    // Without the mask: row 2 (q = (5,-5): dots 5,-5,0) becomes live.
    v.mask = nullptr;
    const double e0 = 32.0, e1 = 1.0 / 32.0, e2 = 1.0, s2 = e0 + e1 + e2;
    const double want2[] = {0.4 + 0.2 + e0 / s2, 0.2 + 0.4 + e1 / s2, 0.4 + 0.4 + e2 / s2};
    EXPECT(tfk::window_scores_ref(&v, out, 0) == TFK_OK, "rc");
    for (int j = 0; j < 3; ++j) EXPECT(std::fabs(out[j] - want2[j]) <= 1e-6, "no mask ref: out[%d] = %.9g want %.9g", j, out[j], want2[j]);
    EXPECT(tfk::window_scores_cpu(&v, out, 0, 1) == TFK_OK, "rc");
    for (int j = 0; j < 3; ++j) EXPECT(std::fabs(out[j] - want2[j]) <= 2e-6, "no mask cpu: out[%d] = %.9g want %.9g", j, out[j], want2[j]);

    // n_rows = 0: zeros, or out unchanged when accumulating.
    v.n_rows = 0;
    for (int which = 0; which < 2; ++which) {
        float z[3] = {7, 7, 7}, za[3] = {7, 7, 7};
        const int r1 = which == 0 ? tfk::window_scores_ref(&v, z, 0) : tfk::window_scores_cpu(&v, z, 0, 2);
        const int r2 = which == 0 ? tfk::window_scores_ref(&v, za, 1) : tfk::window_scores_cpu(&v, za, 1, 2);
        EXPECT(r1 == TFK_OK && r2 == TFK_OK && z[0] == 0 && z[1] == 0 && z[2] == 0 && za[0] == 7 && za[2] == 7,
               "n_rows=0 (%s)", which == 0 ? "ref" : "cpu");
    }
}

// ---- aggregate / pool ----------------------------------------------------------------------

bool same_bits(const std::vector<float> & a, const std::vector<float> & b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (bits(a[i]) != bits(b[i])) return false;
    return true;
}

void test_aggregate_by_hand() {
    std::printf("window_aggregate on hand-made arrays\n");
    // 2 heads x 5 tokens, row_stride 6 (the padding is NaN: reading it would show).
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const float s[] = {1, 2, 3, 4, 5, nan, 5, 0, 1, 1, 2, nan};
    struct Want {
        int w, mode;
        std::vector<double> out;
    };
    const Want wants[] = {
        {2, TFK_WINDOW_AVG, {8.0 / 4, 9.0 / 4, 7.0 / 2}},         // partial last window [4, 5)
        {2, TFK_WINDOW_MAX, {(2.0 + 5) / 2, (4.0 + 1) / 2, (5.0 + 2) / 2}},  // t = 1
        {4, TFK_WINDOW_MAX, {((4.0 + 3) / 2 + (5.0 + 1) / 2) / 2, (5.0 + 2) / 2}},  // t = 2; last window t = 1
        {4, TFK_WINDOW_AVG, {(10.0 + 7) / 8, (5.0 + 2) / 2}},
        {1, TFK_WINDOW_AVG, {3, 1, 2, 2.5, 3.5}},
        {1, TFK_WINDOW_MAX, {3, 1, 2, 2.5, 3.5}},                  // t = max(1, 0) = 1
        {5, TFK_WINDOW_AVG, {24.0 / 10}},
        {5, TFK_WINDOW_MAX, {((5.0 + 4) / 2 + (5.0 + 2) / 2) / 2}},
        {7, TFK_WINDOW_AVG, {24.0 / 10}},                          // w > n_tokens: one partial window
        {7, TFK_WINDOW_MAX, {((5.0 + 4 + 3) / 3 + (5.0 + 2 + 1) / 3) / 2}},  // t = min(3, 5)
    };
    for (const Want & wt : wants) {
        std::vector<float> want(wt.out.size());
        for (size_t i = 0; i < want.size(); ++i) want[i] = static_cast<float>(wt.out[i]);
        for (int which = 0; which < 4; ++which) {
            std::vector<float> out(want.size() + 1, -7.0f);
            int rc = 0;
            switch (which) {
                case 0: rc = tfk::window_aggregate_ref(s, 2, 5, 6, wt.w, wt.mode, out.data()); break;
                case 1: rc = tfk::window_aggregate_cpu(s, 2, 5, 6, wt.w, wt.mode, out.data()); break;
                case 2: rc = tfk_window_aggregate(s, 2, 5, 6, wt.w, wt.mode, out.data()); break;
                case 3: rc = tfk_window_aggregate_ref(s, 2, 5, 6, wt.w, wt.mode, out.data()); break;
            }
            EXPECT(rc == TFK_OK, "aggregate w=%d mode=%d rc=%d", wt.w, wt.mode, rc);
            bool ok = out.back() == -7.0f;  // nothing written past the last window
            for (size_t i = 0; i < want.size(); ++i) ok = ok && out[i] == want[i];
            EXPECT(ok, "aggregate (version %d) w=%d mode=%s: got %g %g %g..., want %g %g %g...", which, wt.w,
                   wt.mode == TFK_WINDOW_AVG ? "avg" : "max", out[0], out.size() > 2 ? out[1] : 0.0f,
                   out.size() > 3 ? out[2] : 0.0f, want[0], want.size() > 1 ? want[1] : 0.0f,
                   want.size() > 2 ? want[2] : 0.0f);
        }
        std::printf("  ok?  w=%d %s\n", wt.w, wt.mode == TFK_WINDOW_AVG ? "avg" : "max");
    }
    // n_tokens = 0: no windows, nothing written.
    float o = -7.0f;
    EXPECT(tfk::window_aggregate_ref(s, 2, 0, 6, 8, TFK_WINDOW_MAX, &o) == TFK_OK && o == -7.0f, "n_tokens=0 ref");
    EXPECT(tfk::window_aggregate_cpu(s, 2, 0, 6, 8, TFK_WINDOW_AVG, &o) == TFK_OK && o == -7.0f, "n_tokens=0 cpu");
}

void test_pool_by_hand() {
    std::printf("pool1d on hand-made arrays\n");
    const float a[] = {1, 2, 3, 4, 5};
    const float neg[] = {-1, -3, -2};
    struct Want {
        const float * in;
        int64_t n;
        int kernel, mode;
        std::vector<double> out;
    };
    const Want wants[] = {
        {a, 5, 3, TFK_POOL_AVG, {3.0 / 3, 6.0 / 3, 9.0 / 3, 12.0 / 3, 9.0 / 3}},  // padded zeros count
        {a, 5, 3, TFK_POOL_MAX, {2, 3, 4, 5, 5}},
        {a, 5, 1, TFK_POOL_AVG, {1, 2, 3, 4, 5}},
        {a, 5, 1, TFK_POOL_MAX, {1, 2, 3, 4, 5}},
        {a, 5, 5, TFK_POOL_AVG, {6.0 / 5, 10.0 / 5, 15.0 / 5, 14.0 / 5, 12.0 / 5}},
        {a, 5, 5, TFK_POOL_MAX, {3, 4, 5, 5, 5}},
        {a, 5, 11, TFK_POOL_AVG, {15.0 / 11, 15.0 / 11, 15.0 / 11, 15.0 / 11, 15.0 / 11}},  // kernel > n
        {a, 5, 11, TFK_POOL_MAX, {5, 5, 5, 5, 5}},
        {neg, 3, 3, TFK_POOL_MAX, {-1, -1, -2}},  // padding is ignored, not 0
        {neg, 3, 3, TFK_POOL_AVG, {-4.0 / 3, -6.0 / 3, -5.0 / 3}},
        {a, 1, 3, TFK_POOL_AVG, {1.0 / 3}},
        {a, 1, 3, TFK_POOL_MAX, {1}},
    };
    for (const Want & wt : wants) {
        std::vector<float> want(wt.out.size());
        for (size_t i = 0; i < want.size(); ++i) want[i] = static_cast<float>(wt.out[i]);
        for (int which = 0; which < 4; ++which) {
            std::vector<float> out(want.size() + 1, -7.0f);
            int rc = 0;
            switch (which) {
                case 0: rc = tfk::pool1d_ref(wt.in, wt.n, wt.kernel, wt.mode, out.data()); break;
                case 1: rc = tfk::pool1d_cpu(wt.in, wt.n, wt.kernel, wt.mode, out.data()); break;
                case 2: rc = tfk_pool1d(wt.in, wt.n, wt.kernel, wt.mode, out.data()); break;
                case 3: rc = tfk_pool1d_ref(wt.in, wt.n, wt.kernel, wt.mode, out.data()); break;
            }
            bool ok = rc == TFK_OK && out.back() == -7.0f;
            for (size_t i = 0; i < want.size(); ++i) ok = ok && out[i] == want[i];
            EXPECT(ok, "pool1d (version %d) n=%" PRId64 " kernel=%d %s: rc %d, got %g %g ..., want %g %g ...", which,
                   wt.n, wt.kernel, wt.mode == TFK_POOL_AVG ? "avg" : "max", rc, out[0], out[1], want[0],
                   want.size() > 1 ? want[1] : 0.0f);
        }
    }
    std::printf("  %zu hand cases x 4 entries\n", sizeof wants / sizeof wants[0]);
}

// cpu (and cuda) == ref, bit for bit, on random arrays.
void test_aggregate_pool_random(std::mt19937 & rng) {
    std::printf("window_aggregate / pool1d: cpu%s vs ref on random arrays (bit for bit)\n", g_cuda ? " + cuda" : "");
    std::uniform_real_distribution<float> u(0.0f, 2.0f);
    std::uniform_int_distribution<int> pick(0, 99);
    int n_cases = 0;
    auto run_cuda_agg = [&](const std::vector<float> & s, int64_t H, int64_t n, int64_t stride, int w, int mode,
                            std::vector<float> & got) {
        void *d_s = nullptr, *d_o = nullptr;
        int e = tfk_cuda_malloc(&d_s, s.size() * sizeof(float));
        if (e == TFK_OK) e = tfk_cuda_malloc(&d_o, std::max<size_t>(1, got.size()) * sizeof(float));
        if (e == TFK_OK) e = tfk_cuda_memcpy_h2d(d_s, s.data(), s.size() * sizeof(float));
        if (e == TFK_OK) e = tfk::window_aggregate_cuda(static_cast<const float *>(d_s), H, n, stride, w, mode,
                                                        static_cast<float *>(d_o), nullptr);
        if (e == TFK_OK) e = tfk_cuda_synchronize(nullptr);
        if (e == TFK_OK) e = tfk_cuda_memcpy_d2h(got.data(), d_o, got.size() * sizeof(float));
        tfk_cuda_free(d_s);
        tfk_cuda_free(d_o);
        return e;
    };
    const int64_t ns[] = {1, 2, 7, 8, 9, 31, 100, 1001, 4096, 16383};
    for (int64_t n : ns) {
        for (int w : {1, 2, 3, 8, 9, 32}) {
            for (int mode : {TFK_WINDOW_AVG, TFK_WINDOW_MAX}) {
                const int64_t H = 1 + pick(rng) % 8, stride = n + pick(rng) % 3;
                std::vector<float> s(static_cast<size_t>(H * stride), std::numeric_limits<float>::quiet_NaN());
                for (int64_t h = 0; h < H; ++h)
                    for (int64_t j = 0; j < n; ++j) {
                        float x = u(rng);
                        if (pick(rng) < 20) x = static_cast<float>(pick(rng) % 4) * 0.25f;  // ties
                        s[h * stride + j] = x;
                    }
                const size_t nw = static_cast<size_t>((n + w - 1) / w);
                std::vector<float> ref(nw), got(nw);
                EXPECT(tfk::window_aggregate_ref(s.data(), H, n, stride, w, mode, ref.data()) == TFK_OK, "ref rc");
                EXPECT(tfk::window_aggregate_cpu(s.data(), H, n, stride, w, mode, got.data()) == TFK_OK, "cpu rc");
                EXPECT(same_bits(ref, got), "aggregate cpu != ref: n=%" PRId64 " H=%" PRId64 " w=%d mode=%d", n, H, w, mode);
                if (g_cuda) {
                    std::vector<float> gc(nw);
                    const int e = run_cuda_agg(s, H, n, stride, w, mode, gc);
                    EXPECT(e == TFK_OK, "aggregate cuda rc=%d (%s)", e, tfk_cuda_last_error());
                    EXPECT(e != TFK_OK || same_bits(ref, gc), "aggregate cuda != ref: n=%" PRId64 " H=%" PRId64 " w=%d mode=%d",
                           n, H, w, mode);
                }
                ++n_cases;
            }
        }
        for (int kernel : {1, 3, 5, 7, 9, 15, 33}) {
            for (int mode : {TFK_POOL_AVG, TFK_POOL_MAX}) {
                std::vector<float> in(static_cast<size_t>(n));
                for (float & x : in) x = pick(rng) < 10 ? -u(rng) : u(rng);
                std::vector<float> ref(in.size()), got(in.size());
                EXPECT(tfk::pool1d_ref(in.data(), n, kernel, mode, ref.data()) == TFK_OK, "ref rc");
                EXPECT(tfk::pool1d_cpu(in.data(), n, kernel, mode, got.data()) == TFK_OK, "cpu rc");
                EXPECT(same_bits(ref, got), "pool1d cpu != ref: n=%" PRId64 " kernel=%d mode=%d", n, kernel, mode);
                if (g_cuda) {
                    std::vector<float> gc(in.size());
                    void *d_i = nullptr, *d_o = nullptr;
                    int e = tfk_cuda_malloc(&d_i, in.size() * sizeof(float));
                    if (e == TFK_OK) e = tfk_cuda_malloc(&d_o, in.size() * sizeof(float));
                    if (e == TFK_OK) e = tfk_cuda_memcpy_h2d(d_i, in.data(), in.size() * sizeof(float));
                    if (e == TFK_OK) e = tfk::pool1d_cuda(static_cast<const float *>(d_i), n, kernel, mode,
                                                          static_cast<float *>(d_o), nullptr);
                    if (e == TFK_OK) e = tfk_cuda_synchronize(nullptr);
                    if (e == TFK_OK) e = tfk_cuda_memcpy_d2h(gc.data(), d_o, gc.size() * sizeof(float));
                    tfk_cuda_free(d_i);
                    tfk_cuda_free(d_o);
                    EXPECT(e == TFK_OK, "pool1d cuda rc=%d (%s)", e, tfk_cuda_last_error());
                    EXPECT(e != TFK_OK || same_bits(ref, gc), "pool1d cuda != ref: n=%" PRId64 " kernel=%d mode=%d", n,
                           kernel, mode);
                }
                ++n_cases;
            }
        }
    }
    std::printf("  %d random cases\n", n_cases);
}

// ---- error codes ---------------------------------------------------------------------------

void set_dtype(tfk_dtype * field, int32_t value) { std::memcpy(field, &value, sizeof value); }

void test_errors() {
    std::printf("error codes\n");
    // A valid view: d = 4, 2 heads over 1 key head, 2 rows, 3 cells, F32 with an F32 mask.
    static float qbuf[64], kbuf[64], mbuf[16];
    for (int i = 0; i < 64; ++i) qbuf[i] = kbuf[i] = 0.25f * static_cast<float>(i % 7) - 0.5f;
    for (int i = 0; i < 16; ++i) mbuf[i] = 0.0f;
    tfk_attn_view good{};
    good.head_dim = 4;
    good.n_head = 2;
    good.n_head_kv = 1;
    good.n_rows = 2;
    good.n_kv = 3;
    good.q = qbuf;
    good.q_type = TFK_F32;
    good.q_row_stride = 32;
    good.q_head_stride = 16;
    good.k = kbuf;
    good.k_type = TFK_F32;
    good.k_cell_stride = 16;
    good.k_head_stride = 16;
    good.mask = mbuf;
    good.mask_type = TFK_F32;
    good.mask_row_stride = 12;
    good.scale = 0.5f;
    float outbuf[8];

    struct Bad {
        const char * what;
        void (*edit)(tfk_attn_view &);
        int want;
    };
    const Bad bad[] = {
        {"null q", [](tfk_attn_view & v) { v.q = nullptr; }, TFK_ERR_NULL},
        {"null k", [](tfk_attn_view & v) { v.k = nullptr; }, TFK_ERR_NULL},
        {"d=0", [](tfk_attn_view & v) { v.head_dim = 0; }, TFK_ERR_BAD_SHAPE},
        {"n_head=0", [](tfk_attn_view & v) { v.n_head = 0; }, TFK_ERR_BAD_SHAPE},
        {"n_head_kv=0", [](tfk_attn_view & v) { v.n_head_kv = 0; }, TFK_ERR_BAD_SHAPE},
        {"n_head_kv<0", [](tfk_attn_view & v) { v.n_head_kv = -2; }, TFK_ERR_BAD_SHAPE},
        {"n_rows<0", [](tfk_attn_view & v) { v.n_rows = -1; }, TFK_ERR_BAD_SHAPE},
        {"n_kv=0", [](tfk_attn_view & v) { v.n_kv = 0; }, TFK_ERR_BAD_SHAPE},
        {"out size overflows", [](tfk_attn_view & v) { v.n_head = int64_t(1) << 40; v.n_kv = int64_t(1) << 30; }, TFK_ERR_BAD_SHAPE},
        {"n_head%n_head_kv", [](tfk_attn_view & v) { v.n_head_kv = 3; v.n_head = 4; }, TFK_ERR_BAD_ARG},
        {"n_head_kv>n_head", [](tfk_attn_view & v) { v.n_head_kv = 4; }, TFK_ERR_BAD_ARG},
        {"q dtype 7", [](tfk_attn_view & v) { set_dtype(&v.q_type, 7); }, TFK_ERR_BAD_ARG},
        {"k dtype -1", [](tfk_attn_view & v) { set_dtype(&v.k_type, -1); }, TFK_ERR_BAD_ARG},
        {"mask dtype 2", [](tfk_attn_view & v) { set_dtype(&v.mask_type, 2); }, TFK_ERR_BAD_ARG},
        {"scale NaN", [](tfk_attn_view & v) { v.scale = std::numeric_limits<float>::quiet_NaN(); }, TFK_ERR_BAD_ARG},
        {"scale inf", [](tfk_attn_view & v) { v.scale = kInf; }, TFK_ERR_BAD_ARG},
        {"q misaligned", [](tfk_attn_view & v) { v.q = reinterpret_cast<const unsigned char *>(qbuf) + 2; }, TFK_ERR_BAD_ARG},
        {"k misaligned f16", [](tfk_attn_view & v) { v.k_type = TFK_F16; v.k = reinterpret_cast<const unsigned char *>(kbuf) + 1; }, TFK_ERR_BAD_ARG},
        {"mask misaligned", [](tfk_attn_view & v) { v.mask = reinterpret_cast<const unsigned char *>(mbuf) + 2; }, TFK_ERR_BAD_ARG},
        {"q_row_stride<d", [](tfk_attn_view & v) { v.q_row_stride = 12; }, TFK_ERR_BAD_STRIDE},
        {"q_head_stride<d", [](tfk_attn_view & v) { v.q_head_stride = 8; }, TFK_ERR_BAD_STRIDE},
        {"q_head_stride=0", [](tfk_attn_view & v) { v.q_head_stride = 0; }, TFK_ERR_BAD_STRIDE},
        {"k_cell_stride<d", [](tfk_attn_view & v) { v.k_cell_stride = 15; }, TFK_ERR_BAD_STRIDE},
        {"k_head_stride<d", [](tfk_attn_view & v) { v.k_head_stride = -16; }, TFK_ERR_BAD_STRIDE},
        {"k stride f16<d", [](tfk_attn_view & v) { v.k_type = TFK_F16; v.k_cell_stride = 6; }, TFK_ERR_BAD_STRIDE},
        {"mask_row_stride<n_kv", [](tfk_attn_view & v) { v.mask_row_stride = 8; }, TFK_ERR_BAD_STRIDE},
        {"q stride not x4", [](tfk_attn_view & v) { v.q_row_stride = 34; }, TFK_ERR_BAD_STRIDE},
        {"k stride f16 odd", [](tfk_attn_view & v) { v.k_type = TFK_F16; v.k_cell_stride = 9; }, TFK_ERR_BAD_STRIDE},
        {"mask stride not x4", [](tfk_attn_view & v) { v.mask_row_stride = 14; }, TFK_ERR_BAD_STRIDE},
        {"q extent overflows", [](tfk_attn_view & v) { v.n_rows = int64_t(1) << 40; v.q_row_stride = int64_t(1) << 30; }, TFK_ERR_BAD_SHAPE},
        {"k extent overflows", [](tfk_attn_view & v) { v.k_cell_stride = int64_t(1) << 62; }, TFK_ERR_BAD_SHAPE},
        {"mask extent overflows", [](tfk_attn_view & v) { v.n_rows = 3; v.mask_row_stride = int64_t(1) << 62; }, TFK_ERR_BAD_SHAPE},
    };
    auto all_versions = [&](const tfk_attn_view * v, float * out, int * r) {
        r[0] = tfk::window_scores_ref(v, out, 0);
        r[1] = tfk::window_scores_cpu(v, out, 0, 2);
        r[2] = tfk_window_scores(v, out, 1, 2);
        r[3] = tfk_window_scores_ref(v, out, 1);
        // Validation precedes any CUDA call, so host pointers are fine here even with a GPU.
        r[4] = tfk::window_scores_cuda(v, out, 0, nullptr);
        r[5] = tfk_window_scores_cuda(v, out, 1, nullptr);
    };
    auto check = [&](const char * what, const tfk_attn_view * v, float * out, int want) {
        for (float & x : outbuf) x = -7.0f;
        int r[6];
        all_versions(v, out, r);
        bool ok = true;
        for (int x : r) ok = ok && x == want;
        EXPECT(ok, "%s: want %d, got ref %d cpu %d flat %d flat_ref %d cuda %d flat_cuda %d", what, want, r[0], r[1],
               r[2], r[3], r[4], r[5]);
        bool untouched = true;
        for (float x : outbuf) untouched = untouched && x == -7.0f;
        EXPECT(untouched, "%s: output written on error", what);
        std::printf("  %-4s %-22s -> %d (%s)\n", ok && untouched ? "ok" : "FAIL", what, want, tfk_status_str(want));
    };
    check("null view", nullptr, outbuf, TFK_ERR_NULL);
    check("null out", &good, nullptr, TFK_ERR_NULL);
    check("misaligned out", &good, reinterpret_cast<float *>(reinterpret_cast<unsigned char *>(outbuf) + 2), TFK_ERR_BAD_ARG);
    for (const Bad & b : bad) {
        tfk_attn_view v = good;
        b.edit(v);
        check(b.what, &v, outbuf, b.want);
    }
    {
        // The mask's dtype and stride are ignored without a mask; the good view itself is fine.
        tfk_attn_view v = good;
        v.mask = nullptr;
        set_dtype(&v.mask_type, 9);
        v.mask_row_stride = -5;
        EXPECT(tfk::window_scores_cpu(&v, outbuf, 0, 1) == TFK_OK && tfk::window_scores_ref(&v, outbuf, 0) == TFK_OK,
               "no mask: mask_type/mask_row_stride must be ignored");
        EXPECT(tfk::window_scores_cpu(&good, outbuf, 0, 1) == TFK_OK, "good view rejected");
        const int r = tfk::window_scores_cuda(&good, outbuf, 0, nullptr);
        if (!g_cuda) EXPECT(r == TFK_ERR_NO_CUDA, "window_scores_cuda without GPU: want %d got %d", TFK_ERR_NO_CUDA, r);
    }

    // window_aggregate: pointers, shape, stride, w/mode.
    float s[32] = {};
    float o[8];
    struct BadAgg {
        const char * what;
        const float * s;
        int64_t H, n, stride;
        int w, mode;
        float * out;
        int want;
    };
    const BadAgg bad_agg[] = {
        {"agg null scores", nullptr, 2, 8, 8, 2, TFK_WINDOW_AVG, o, TFK_ERR_NULL},
        {"agg null out", s, 2, 8, 8, 2, TFK_WINDOW_AVG, nullptr, TFK_ERR_NULL},
        {"agg n_head=0", s, 0, 8, 8, 2, TFK_WINDOW_AVG, o, TFK_ERR_BAD_SHAPE},
        {"agg n_tokens<0", s, 2, -1, 8, 2, TFK_WINDOW_AVG, o, TFK_ERR_BAD_SHAPE},
        {"agg stride<n_tokens", s, 2, 8, 7, 2, TFK_WINDOW_AVG, o, TFK_ERR_BAD_STRIDE},
        {"agg extent overflows", s, int64_t(1) << 40, 8, int64_t(1) << 30, 2, TFK_WINDOW_AVG, o, TFK_ERR_BAD_SHAPE},
        {"agg w=0", s, 2, 8, 8, 0, TFK_WINDOW_AVG, o, TFK_ERR_BAD_ARG},
        {"agg w<0", s, 2, 8, 8, -4, TFK_WINDOW_MAX, o, TFK_ERR_BAD_ARG},
        {"agg mode=2", s, 2, 8, 8, 2, 2, o, TFK_ERR_BAD_ARG},
        {"agg mode=-1", s, 2, 8, 8, 2, -1, o, TFK_ERR_BAD_ARG},
    };
    for (const BadAgg & b : bad_agg) {
        for (float & x : o) x = -7.0f;
        const int r[] = {tfk::window_aggregate_ref(b.s, b.H, b.n, b.stride, b.w, b.mode, b.out),
                         tfk::window_aggregate_cpu(b.s, b.H, b.n, b.stride, b.w, b.mode, b.out),
                         tfk_window_aggregate(b.s, b.H, b.n, b.stride, b.w, b.mode, b.out),
                         tfk_window_aggregate_ref(b.s, b.H, b.n, b.stride, b.w, b.mode, b.out),
                         tfk::window_aggregate_cuda(b.s, b.H, b.n, b.stride, b.w, b.mode, b.out, nullptr),
                         tfk_window_aggregate_cuda(b.s, b.H, b.n, b.stride, b.w, b.mode, b.out, nullptr)};
        bool ok = true;
        for (int x : r) ok = ok && x == b.want;
        bool untouched = true;
        for (float x : o) untouched = untouched && x == -7.0f;
        EXPECT(ok && untouched, "%s: want %d, got %d %d %d %d %d %d (untouched %d)", b.what, b.want, r[0], r[1], r[2],
               r[3], r[4], r[5], untouched);
        std::printf("  %-4s %-22s -> %d\n", ok && untouched ? "ok" : "FAIL", b.what, b.want);
    }
    if (!g_cuda) {
        const int r = tfk::window_aggregate_cuda(s, 2, 8, 8, 2, TFK_WINDOW_AVG, o, nullptr);
        EXPECT(r == TFK_ERR_NO_CUDA, "window_aggregate_cuda without GPU: want %d got %d", TFK_ERR_NO_CUDA, r);
    }

    // pool1d: pointers, shape, kernel/mode.
    struct BadPool {
        const char * what;
        const float * in;
        int64_t n;
        int kernel, mode;
        float * out;
        int want;
    };
    const BadPool bad_pool[] = {
        {"pool null in", nullptr, 8, 3, TFK_POOL_AVG, o, TFK_ERR_NULL},
        {"pool null out", s, 8, 3, TFK_POOL_AVG, nullptr, TFK_ERR_NULL},
        {"pool n<0", s, -1, 3, TFK_POOL_AVG, o, TFK_ERR_BAD_SHAPE},
        {"pool kernel=0", s, 8, 0, TFK_POOL_AVG, o, TFK_ERR_BAD_ARG},
        {"pool kernel even", s, 8, 4, TFK_POOL_MAX, o, TFK_ERR_BAD_ARG},
        {"pool kernel<0", s, 8, -3, TFK_POOL_MAX, o, TFK_ERR_BAD_ARG},
        {"pool mode=2", s, 8, 3, 2, o, TFK_ERR_BAD_ARG},
    };
    for (const BadPool & b : bad_pool) {
        for (float & x : o) x = -7.0f;
        const int r[] = {tfk::pool1d_ref(b.in, b.n, b.kernel, b.mode, b.out),
                         tfk::pool1d_cpu(b.in, b.n, b.kernel, b.mode, b.out),
                         tfk_pool1d(b.in, b.n, b.kernel, b.mode, b.out),
                         tfk_pool1d_ref(b.in, b.n, b.kernel, b.mode, b.out),
                         tfk::pool1d_cuda(b.in, b.n, b.kernel, b.mode, b.out, nullptr),
                         tfk_pool1d_cuda(b.in, b.n, b.kernel, b.mode, b.out, nullptr)};
        bool ok = true;
        for (int x : r) ok = ok && x == b.want;
        bool untouched = true;
        for (float x : o) untouched = untouched && x == -7.0f;
        EXPECT(ok && untouched, "%s: want %d, got %d %d %d %d %d %d (untouched %d)", b.what, b.want, r[0], r[1], r[2],
               r[3], r[4], r[5], untouched);
        std::printf("  %-4s %-22s -> %d\n", ok && untouched ? "ok" : "FAIL", b.what, b.want);
    }
    EXPECT(tfk::pool1d_cpu(s, 0, 3, TFK_POOL_AVG, o) == TFK_OK && tfk::pool1d_ref(s, 0, 5, TFK_POOL_MAX, o) == TFK_OK,
           "pool1d n=0 is a valid no-op");
    if (!g_cuda) {
        const int r = tfk::pool1d_cuda(s, 8, 3, TFK_POOL_AVG, o, nullptr);
        EXPECT(r == TFK_ERR_NO_CUDA, "pool1d_cuda without GPU: want %d got %d", TFK_ERR_NO_CUDA, r);
    }
    EXPECT(std::string(tfk_status_str(TFK_ERR_BAD_ARG)) != "unknown status", "status string for TFK_ERR_BAD_ARG");
}

} // namespace

int main() {
    g_cuda = tfk_cuda_available() != 0;
    std::printf("tfkernels KV-cache scoring test (CUDA device: %s, CPU kernels ISA: %s)\n", g_cuda ? "yes" : "no",
                tfk_cpu_isa());

    test_scores_by_hand();
    test_aggregate_by_hand();
    test_pool_by_hand();
    test_errors();

    std::mt19937 rng(20250214u);
    const tfk_dtype F32 = TFK_F32, F16 = TFK_F16;
    using M = MaskKind;
    const Case cases[] = {
        // d,  H, Hkv, R,    N,   q,   k,   mask,           mt, qhm,   khm,   pad, acc,  scale, kspec
        {8, 8, 4, 32, 256, F32, F16, M::Causal, F16, false, false, 0, false, 1.0f, false},     // stories260K-like
        {8, 8, 4, 32, 512, F32, F32, M::Causal, F32, false, false, 0, true, 1.0f, false},
        {64, 8, 8, 16, 1000, F32, F32, M::Causal, F32, false, false, 3, true, 1.0f, false},    // GQA 1, padded
        {64, 8, 4, 16, 777, F16, F16, M::CausalAlibi, F16, true, false, 1, false, 1.0f, false},  // GQA 2
        {64, 8, 2, 16, 2048, F32, F16, M::Causal, F16, false, true, 0, false, 1.0f, false},    // GQA 4, K head-major
        {128, 4, 2, 7, 333, F16, F32, M::None, F32, false, false, 0, false, 1.0f, false},
        {3, 2, 1, 5, 17, F32, F32, M::Causal, F32, false, false, 2, false, 1.0f, false},       // d not a multiple of 8
        {1, 1, 1, 1, 1, F32, F32, M::None, F32, false, false, 0, false, 1.0f, false},
        {1, 2, 2, 3, 40, F32, F16, M::CausalAlibi, F32, false, false, 5, true, 1.0f, false},
        {96, 16, 4, 32, 4099, F32, F16, M::Causal, F16, false, false, 8, true, 1.0f, false},
        {40, 6, 3, 33, 515, F32, F32, M::CausalAlibi, F32, true, true, 4, false, 1.0f, false},  // 33 rows: 2 row chunks
        {32, 4, 4, 8, 500, F32, F32, M::None, F32, false, false, 0, false, 4.0f, false},       // peaked softmax
        {16, 2, 1, 4, 64, F32, F16, M::Causal, F32, false, false, 0, false, 1.0f, true},       // f16 subnormals, large k
        {24, 4, 1, 12, 130, F16, F16, M::Causal, F16, true, true, 7, true, 1.0f, true},
        {64, 32, 8, 32, 2048, F32, F16, M::Causal, F16, false, false, 0, false, 1.0f, false},  // the benchmark shape
        {128, 8, 2, 20, 1531, F32, F32, M::CausalAlibi, F16, false, false, 0, false, 1.0f, false},
    };
    std::printf("window_scores: cpu (threads 1,2,3,auto) + tfk_window_scores%s vs ref, |err| <= %.1e*max(1,sigma)*|ref| + %.1e\n",
                g_cuda ? " + cuda" : "", kRelTol, kAbsTol);
    for (const Case & c : cases) run_case(c, rng);
    std::printf("  largest relative error / max(1, sigma) seen: %.3e (tolerance %.1e)\n", g_worst_rel, kRelTol);
    if (!g_cuda) std::printf("CUDA: skipped (no GPU)\n");

    test_aggregate_pool_random(rng);

    std::printf("%d checks, %d failures\n", g_checks, g_failures);
    std::printf("%s\n", g_failures == 0 ? "PASS" : "FAIL");
    return g_failures == 0 ? 0 : 1;
}

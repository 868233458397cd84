// Tests of the sparse-attention scoring kernels: tfk::tidal_scores_{ref,cpu,cuda},
// tfk::tokenselect_scores_{ref,cpu,cuda}, tfk::query_cosine and tfk::query_copy. Exit code != 0 on
// any failure.
//
//  - the references against an independent oracle written here (double logits from the test's own
//    F16-rounded copies of the inputs): TidalDecode = the per-key-head max of the logits (with
//    n_head == n_head_kv: the plain per-head logits), -inf exactly where masked;
//  - TokenSelect invariants: each row sums to the number of heads with an unmasked cell (n_head, or 0
//    for a fully masked row), masked cells exactly 0, a hand-computed case;
//  - _cpu (threads 1, 2, 3, 5, auto), the flat C entries and, with a GPU, _cuda against _ref on seeded
//    random inputs (q, k ~ N(0,1); F16/F32 q, k and mask; GQA ratios 1, 2, 4, 6; causal masks with
//    -inf holes and fully masked rows, ALiBi-like finite masks; head-major and padded layouts whose
//    padding is NaN; n_rows 1..9; n_kv 1..5000), within the tolerances at kTidalRelTol / kTsRelTol;
//  - query_copy / query_cosine against direct double computations, and every error code with the
//    outputs left untouched.
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

// TidalDecode: every version forms the same double dot products (exact float products, summed in
// dimension order) and logits, rounding once, so the outputs agree bit for bit in practice; the
// documented contract is 1e-6 relative per output, plus 1e-12 of the case's largest |logit| or |mask|
// for a logit that the mask cancels to nearly 0 (only reachable with different double rounding).
constexpr double kTidalRelTol = 1e-6;
// TokenSelect: the references' double logits and exps are reproduced in double (CPU: std::exp; CUDA:
// exp, per-tile (max, sum) merged in double); the float roundings left are the CPU's per-job partial
// sums and the final output (2 x 6e-8 relative), so 1e-6 relative leaves a wide margin and does not
// depend on the logits' spread (tfk_window_scores' float dot products need 1.5e-6 * max(1, sigma)).
// kTsAbsTol (~FLT_MIN) only covers outputs that underflow float.
constexpr double kTsRelTol = 1e-6;
constexpr double kTsAbsTol = 1.2e-38;




float round_to(tfk_dtype t, float x) { return t == TFK_F32 ? x : h2f(f2h(x)); }

int64_t esize(tfk_dtype t) { return t == TFK_F32 ? 4 : 2; }

// A byte buffer of elements of one dtype, initialised to NaN (the padding value).
struct Buf {
    std::vector<float> storage;
    tfk_dtype type = TFK_F32;
    void init(int64_t bytes, tfk_dtype t) {
        type = t;
        storage.assign(static_cast<size_t>((bytes + 3) / 4) + 1, std::numeric_limits<float>::quiet_NaN());
        if (t == TFK_F16) {
            unsigned char * p = data();
            const uint16_t nan = 0x7e00u;
            for (size_t o = 0; o + 2 <= storage.size() * 4; o += 2) std::memcpy(p + o, &nan, 2);
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
    bool head_major;
    int64_t pad;      // padding elements after every vector/row (0: dense), NaN-filled
    float scale;      // 0: 1/sqrt(d)
};

struct Inputs {
    Buf q, k, mask;
    tfk_attn_view v{};
    // The values the kernels see (F16-rounded), for the test's own oracle.
    std::vector<float> qv, kv, mv;  // [r][h][i], [j][g][i], [r][j]
    std::vector<bool> row_dead;     // every cell masked
    double mag = 0.0;               // largest |finite logit| or |mask|
};

Inputs make_inputs(const Case & c, std::mt19937 & rng) {
    Inputs in;
    std::normal_distribution<float> normal(0.0f, 1.0f);
    tfk_attn_view & v = in.v;
    v.head_dim = c.d;
    v.n_head = c.H;
    v.n_head_kv = c.Hkv;
    v.n_rows = c.R;
    v.n_kv = c.N;
    v.scale = c.scale != 0.0f ? c.scale : 1.0f / std::sqrt(static_cast<float>(c.d));
    const int64_t qe = esize(c.qt), ke = esize(c.kt);
    const int64_t rows = std::max<int64_t>(c.R, 1);
    if (c.head_major) {
        v.q_row_stride = (c.d + c.pad) * qe;
        v.q_head_stride = rows * v.q_row_stride + c.pad * qe;
        v.k_cell_stride = (c.d + c.pad) * ke;
        v.k_head_stride = c.N * v.k_cell_stride + c.pad * ke;
    } else {
        v.q_head_stride = (c.d + c.pad) * qe;
        v.q_row_stride = c.H * v.q_head_stride + c.pad * qe;
        v.k_head_stride = (c.d + c.pad) * ke;
        v.k_cell_stride = c.Hkv * v.k_head_stride + c.pad * ke;
    }
    in.q.init((rows - 1) * v.q_row_stride + (c.H - 1) * v.q_head_stride + c.d * qe, c.qt);
    in.qv.resize(static_cast<size_t>(rows * c.H * c.d));
    for (int64_t r = 0; r < c.R; ++r)
        for (int64_t h = 0; h < c.H; ++h)
            for (int64_t i = 0; i < c.d; ++i) {
                const float x = round_to(c.qt, normal(rng));
                in.qv[static_cast<size_t>((r * c.H + h) * c.d + i)] = x;
                in.q.put(r * v.q_row_stride + h * v.q_head_stride + i * qe, x);
            }
    in.k.init((c.N - 1) * v.k_cell_stride + (c.Hkv - 1) * v.k_head_stride + c.d * ke, c.kt);
    in.kv.resize(static_cast<size_t>(c.N * c.Hkv * c.d));
    for (int64_t j = 0; j < c.N; ++j)
        for (int64_t g = 0; g < c.Hkv; ++g)
            for (int64_t i = 0; i < c.d; ++i) {
                const float x = round_to(c.kt, normal(rng));
                in.kv[static_cast<size_t>((j * c.Hkv + g) * c.d + i)] = x;
                in.k.put(j * v.k_cell_stride + g * v.k_head_stride + i * ke, x);
            }
    v.q = in.q.data();
    v.q_type = c.qt;
    v.k = in.k.data();
    v.k_type = c.kt;
    // The rows are the last R of N positions; causal, cells j % 11 == 5 masked for every row, row R/2
    // fully masked when R >= 3; CausalAlibi adds -0.05 * distance to the visible cells.
    in.row_dead.assign(static_cast<size_t>(c.R), false);
    in.mv.assign(static_cast<size_t>(rows * c.N), 0.0f);
    if (c.mask != MaskKind::None) {
        const int64_t me = esize(c.mt);
        v.mask_type = c.mt;
        v.mask_row_stride = (c.N + c.pad) * me;
        in.mask.init(rows * v.mask_row_stride, c.mt);
        for (int64_t r = 0; r < c.R; ++r) {
            const int64_t pos = c.N - c.R + r;
            const bool dead = c.R >= 3 && r == c.R / 2;
            bool any = false;
            for (int64_t j = 0; j < c.N; ++j) {
                float m = 0.0f;
                if (dead || j > pos || j % 11 == 5) m = -kInf;
                else if (c.mask == MaskKind::CausalAlibi) m = round_to(c.mt, -0.05f * static_cast<float>(pos - j));
                any = any || m != -kInf;
                in.mv[static_cast<size_t>(r * c.N + j)] = m;
                in.mask.put(r * v.mask_row_stride + j * me, m);
                if (m != -kInf) in.mag = std::max(in.mag, static_cast<double>(std::fabs(m)));
            }
            in.row_dead[static_cast<size_t>(r)] = !any;
        }
        v.mask = in.mask.data();
    } else {
        v.mask = nullptr;
        std::memset(&v.mask_type, 0xff, sizeof v.mask_type);  // ignored without a mask
        v.mask_row_stride = 0;
    }
    return in;
}

// The test's own logit (double, dimension order).
double oracle_logit(const Case & c, const Inputs & in, int64_t r, int64_t h, int64_t j) {
    const int64_t g = h / (c.H / c.Hkv);
    const float * q = in.qv.data() + (r * c.H + h) * c.d;
    const float * k = in.kv.data() + (j * c.Hkv + g) * c.d;
    double dot = 0.0;
    for (int64_t i = 0; i < c.d; ++i) dot += static_cast<double>(q[i]) * static_cast<double>(k[i]);
    double x = static_cast<double>(in.v.scale) * dot;
    if (c.mask != MaskKind::None) x += static_cast<double>(in.mv[static_cast<size_t>(r * c.N + j)]);
    return x;
}

const char * tname(tfk_dtype t) { return t == TFK_F32 ? "f32" : "f16"; }

std::string describe(const Case & c) {
    char s[256];
    std::snprintf(s, sizeof s, "d=%" PRId64 " H=%" PRId64 " Hkv=%" PRId64 " R=%" PRId64 " N=%" PRId64
                  " q=%s k=%s mask=%s%s%s%s pad=%" PRId64 " scale=%s",
                  c.d, c.H, c.Hkv, c.R, c.N, tname(c.qt), tname(c.kt),
                  c.mask == MaskKind::None ? "none" : c.mask == MaskKind::Causal ? "causal" : "causal+alibi",
                  c.mask == MaskKind::None ? "" : "/", c.mask == MaskKind::None ? "" : tname(c.mt),
                  c.head_major ? " head-major" : "", c.pad, c.scale != 0.0f ? "1" : "1/sqrt(d)");
    return s;
}

// Tidal comparison: -inf exactly where ref is -inf, else within tolerance. Returns the worst relative
// error (inf on a failure, reported once).
double compare_tidal(const char * what, const Case & c, double mag, const std::vector<float> & ref,
                     const std::vector<float> & got) {
    double worst = 0.0;
    for (size_t i = 0; i < ref.size(); ++i) {
        const double r = ref[i], x = got[i];
        bool ok;
        if (r == -kInf) ok = x == -kInf;
        else ok = std::fabs(x - r) <= kTidalRelTol * std::fabs(r) + 1e-12 * mag;
        if (!ok) {
            std::printf("  FAIL %s %s: out[%zu]: ref %.9g got %.9g\n", what, describe(c).c_str(), i, r, x);
            return std::numeric_limits<double>::infinity();
        }
        if (r != 0.0 && std::isfinite(r)) worst = std::max(worst, std::fabs(x - r) / std::fabs(r));
    }
    return worst;
}

double compare_ts(const char * what, const Case & c, const std::vector<float> & ref, const std::vector<float> & got) {
    double worst = 0.0;
    for (size_t i = 0; i < ref.size(); ++i) {
        const double r = ref[i], x = got[i], err = std::fabs(x - r);
        if (!(err <= kTsRelTol * std::fabs(r) + kTsAbsTol)) {
            std::printf("  FAIL %s %s: out[%zu] (row %zu, cell %zu): ref %.9g got %.9g (rel err %.3g)\n", what,
                        describe(c).c_str(), i, i / static_cast<size_t>(c.N), i % static_cast<size_t>(c.N), r, x,
                        err / std::max(std::fabs(r), 1e-300));
            return std::numeric_limits<double>::infinity();
        }
        if (std::fabs(r) >= 1e-30) worst = std::max(worst, err / std::fabs(r));  // not near float underflow
    }
    return worst;
}

// Runs a _cuda entry on device copies of the inputs; TFK_OK and got filled, or the error.
int run_cuda(Inputs & in, size_t n_out, bool tidal, std::vector<float> & got) {
    void *d_q = nullptr, *d_k = nullptr, *d_m = nullptr, *d_out = nullptr;
    int e = tfk_cuda_malloc(&d_q, in.q.bytes());
    if (e == TFK_OK) e = tfk_cuda_malloc(&d_k, in.k.bytes());
    if (e == TFK_OK && in.v.mask != nullptr) e = tfk_cuda_malloc(&d_m, in.mask.bytes());
    if (e == TFK_OK) e = tfk_cuda_malloc(&d_out, std::max<size_t>(1, n_out) * sizeof(float));
    if (e == TFK_OK) e = tfk_cuda_memcpy_h2d(d_q, in.q.data(), in.q.bytes());
    if (e == TFK_OK) e = tfk_cuda_memcpy_h2d(d_k, in.k.data(), in.k.bytes());
    if (e == TFK_OK && d_m != nullptr) e = tfk_cuda_memcpy_h2d(d_m, in.mask.data(), in.mask.bytes());
    tfk_attn_view dv = in.v;
    dv.q = d_q;
    dv.k = d_k;
    dv.mask = in.v.mask != nullptr ? d_m : nullptr;
    if (e == TFK_OK)
        e = tidal ? tfk_tidal_scores_cuda(&dv, static_cast<float *>(d_out), nullptr)
                  : tfk_tokenselect_scores_cuda(&dv, static_cast<float *>(d_out), nullptr);
    if (e == TFK_OK) e = tfk_cuda_synchronize(nullptr);
    if (e == TFK_OK && n_out > 0) e = tfk_cuda_memcpy_d2h(got.data(), d_out, n_out * sizeof(float));
    tfk_cuda_free(d_q);
    tfk_cuda_free(d_k);
    tfk_cuda_free(d_m);
    tfk_cuda_free(d_out);
    return e;
}

double g_worst_tidal = 0.0, g_worst_ts = 0.0;

void run_case(const Case & c, std::mt19937 & rng) {
    Inputs in = make_inputs(c, rng);
    const int64_t group = c.H / c.Hkv;
    bool all_ok = true;

    // ---- TidalDecode ----
    const size_t n_tidal = static_cast<size_t>(c.R * c.Hkv * c.N);
    std::vector<float> tref(n_tidal, 7.0f);
    int rc = tfk::tidal_scores_ref(&in.v, tref.data());
    EXPECT(rc == TFK_OK, "tidal_scores_ref rc=%d", rc);
    {
        // Oracle: the per-key-head max of the logits (n_head == n_head_kv: the logits themselves).
        std::vector<float> want(n_tidal);
        for (int64_t r = 0; r < c.R; ++r)
            for (int64_t g = 0; g < c.Hkv; ++g)
                for (int64_t j = 0; j < c.N; ++j) {
                    double best = -std::numeric_limits<double>::infinity();
                    for (int64_t h = g * group; h < (g + 1) * group; ++h) best = std::max(best, oracle_logit(c, in, r, h, j));
                    want[static_cast<size_t>((r * c.Hkv + g) * c.N + j)] = static_cast<float>(best);
                    if (std::isfinite(best)) in.mag = std::max(in.mag, std::fabs(best));
                }
        const double w = compare_tidal(c.H == c.Hkv ? "tidal_ref vs plain logits" : "tidal_ref vs max-of-group oracle",
                                       c, in.mag, want, tref);
        EXPECT(std::isfinite(w), "tidal_scores_ref differs from the oracle");
        all_ok = all_ok && std::isfinite(w);
        // Masked cells -inf exactly, others finite.
        bool inf_ok = true;
        for (int64_t r = 0; r < c.R; ++r)
            for (int64_t g = 0; g < c.Hkv; ++g)
                for (int64_t j = 0; j < c.N; ++j) {
                    const bool masked = c.mask != MaskKind::None && in.mv[static_cast<size_t>(r * c.N + j)] == -kInf;
                    const float x = tref[static_cast<size_t>((r * c.Hkv + g) * c.N + j)];
                    inf_ok = inf_ok && (masked ? x == -kInf : std::isfinite(x));
                }
        EXPECT(inf_ok, "%s: tidal_ref: masked cells must be -inf exactly, the others finite", describe(c).c_str());
    }
    double worst_t = 0.0;
    for (int t : {1, 2, 3, 5, 0}) {
        std::vector<float> got(n_tidal, 7.0f);
        rc = tfk::tidal_scores_cpu(&in.v, got.data(), t);
        EXPECT(rc == TFK_OK, "tidal_scores_cpu rc=%d", rc);
        const std::string what = "tidal_scores_cpu(threads=" + std::to_string(t) + ")";
        const double w = compare_tidal(what.c_str(), c, in.mag, tref, got);
        EXPECT(std::isfinite(w), "%s beyond tolerance", what.c_str());
        all_ok = all_ok && std::isfinite(w);
        worst_t = std::max(worst_t, w);
    }
    {
        std::vector<float> got(n_tidal, 7.0f), got_ref(n_tidal, 7.0f);
        EXPECT(tfk_tidal_scores(&in.v, got.data(), 2) == TFK_OK, "tfk_tidal_scores rc");
        EXPECT(tfk_tidal_scores_ref(&in.v, got_ref.data()) == TFK_OK, "tfk_tidal_scores_ref rc");
        EXPECT(std::isfinite(compare_tidal("tfk_tidal_scores", c, in.mag, tref, got)), "tfk_tidal_scores beyond tolerance");
        EXPECT(std::memcmp(got_ref.data(), tref.data(), n_tidal * sizeof(float)) == 0,
               "tfk_tidal_scores_ref differs from tfk::tidal_scores_ref");
    }
    double worst_tc = -1.0;
    if (g_cuda) {
        std::vector<float> got(n_tidal, 7.0f);
        const int e = run_cuda(in, n_tidal, true, got);
        EXPECT(e == TFK_OK, "tidal CUDA path rc=%d (%s) last CUDA error: %s", e, tfk_status_str(e), tfk_cuda_last_error());
        if (e == TFK_OK) {
            worst_tc = compare_tidal("tidal_scores_cuda", c, in.mag, tref, got);
            EXPECT(std::isfinite(worst_tc), "tidal_scores_cuda beyond tolerance");
            all_ok = all_ok && std::isfinite(worst_tc);
        }
    }

    // ---- TokenSelect ----
    const size_t n_ts = static_cast<size_t>(c.R * c.N);
    std::vector<float> sref(n_ts, 7.0f);
    rc = tfk::tokenselect_scores_ref(&in.v, sref.data());
    EXPECT(rc == TFK_OK, "tokenselect_scores_ref rc=%d", rc);
    auto check_invariants = [&](const char * what, const std::vector<float> & o) {
        bool sums_ok = true, zeros_ok = true;
        for (int64_t r = 0; r < c.R; ++r) {
            const double want = in.row_dead[static_cast<size_t>(r)] ? 0.0 : static_cast<double>(c.H);
            double sum = 0.0;
            for (int64_t j = 0; j < c.N; ++j) {
                const float x = o[static_cast<size_t>(r * c.N + j)];
                sum += x;
                const bool masked = c.mask != MaskKind::None && in.mv[static_cast<size_t>(r * c.N + j)] == -kInf;
                if (masked) zeros_ok = zeros_ok && bits(x) == 0u;
                else zeros_ok = zeros_ok && x >= 0.0f;
            }
            if (!(std::fabs(sum - want) <= 1e-5 * std::max(1.0, want))) {
                sums_ok = false;
                std::printf("  %s %s: row %" PRId64 " sums to %.9g, want %.0f\n", what, describe(c).c_str(), r, sum, want);
            }
        }
        EXPECT(sums_ok, "%s: row sums must be the number of live heads", what);
        EXPECT(zeros_ok, "%s: masked cells must be exactly +0 (others >= 0)", what);
    };
    check_invariants("tokenselect_ref", sref);
    double worst_s = 0.0;
    for (int t : {1, 2, 3, 5, 0}) {
        std::vector<float> got(n_ts, 7.0f);
        rc = tfk::tokenselect_scores_cpu(&in.v, got.data(), t);
        EXPECT(rc == TFK_OK, "tokenselect_scores_cpu rc=%d", rc);
        const std::string what = "tokenselect_scores_cpu(threads=" + std::to_string(t) + ")";
        const double w = compare_ts(what.c_str(), c, sref, got);
        EXPECT(std::isfinite(w), "%s beyond tolerance", what.c_str());
        all_ok = all_ok && std::isfinite(w);
        worst_s = std::max(worst_s, w);
        if (t == 2) check_invariants(what.c_str(), got);
    }
    {
        std::vector<float> got(n_ts, 7.0f), got_ref(n_ts, 7.0f);
        EXPECT(tfk_tokenselect_scores(&in.v, got.data(), 3) == TFK_OK, "tfk_tokenselect_scores rc");
        EXPECT(tfk_tokenselect_scores_ref(&in.v, got_ref.data()) == TFK_OK, "tfk_tokenselect_scores_ref rc");
        EXPECT(std::isfinite(compare_ts("tfk_tokenselect_scores", c, sref, got)), "tfk_tokenselect_scores beyond tolerance");
        EXPECT(std::memcmp(got_ref.data(), sref.data(), n_ts * sizeof(float)) == 0,
               "tfk_tokenselect_scores_ref differs from tfk::tokenselect_scores_ref");
    }
    double worst_sc = -1.0;
    if (g_cuda) {
        std::vector<float> got(n_ts, 7.0f);
        const int e = run_cuda(in, n_ts, false, got);
        EXPECT(e == TFK_OK, "tokenselect CUDA path rc=%d (%s) last CUDA error: %s", e, tfk_status_str(e),
               tfk_cuda_last_error());
        if (e == TFK_OK) {
            worst_sc = compare_ts("tokenselect_scores_cuda", c, sref, got);
            EXPECT(std::isfinite(worst_sc), "tokenselect_scores_cuda beyond tolerance");
            all_ok = all_ok && std::isfinite(worst_sc);
            check_invariants("tokenselect_scores_cuda", got);
        }
    }
    for (double w : {worst_t, worst_tc})
        if (std::isfinite(w)) g_worst_tidal = std::max(g_worst_tidal, w);
    for (double w : {worst_s, worst_sc})
        if (std::isfinite(w)) g_worst_ts = std::max(g_worst_ts, w);
    char cuda_part[80] = "";
    if (g_cuda) std::snprintf(cuda_part, sizeof cuda_part, "; cuda tidal %.2e, ts %.2e", worst_tc, worst_sc);
    std::printf("  %-4s %s: max rel err cpu tidal %.2e, ts %.2e%s\n", all_ok ? "ok" : "FAIL", describe(c).c_str(),
                worst_t, worst_s, cuda_part);
}

tfk_attn_view view_of(const float * q, const float * k, const float * mask, int64_t d, int64_t H, int64_t Hkv,
                      int64_t R, int64_t N) {
    tfk_attn_view v{};
    v.head_dim = d;
    v.n_head = H;
    v.n_head_kv = Hkv;
    v.n_rows = R;
    v.n_kv = N;
    v.q = q;
    v.q_type = TFK_F32;
    v.q_row_stride = H * d * 4;
    v.q_head_stride = d * 4;
    v.k = k;
    v.k_type = TFK_F32;
    v.k_cell_stride = Hkv * d * 4;
    v.k_head_stride = d * 4;
    v.mask = mask;
    v.mask_type = TFK_F32;
    v.mask_row_stride = N * 4;
    v.scale = 1.0f;
    return v;
}

// 2 query heads over 1 key head, d = 2, 1 row, 3 cells; scale = ln 2 so exp(logit) = 2^dot.
// k0 = (1,0), k1 = (0,1), k2 = (1,1); q head 0 = (1,0), head 1 = (0,2).
//   logits/ln2: head 0 (1, 0, 1), head 1 (0, 2, 2). Tidal (max, times ln 2): (1, 2, 2) ln 2.
//   TokenSelect: head 0: (2,1,2)/5; head 1: (1,4,4)/9 -> (0.4 + 1/9, 0.2 + 4/9, 0.4 + 4/9).
//   With cell 2 masked: head 0 (2,1)/3, head 1 (1,4)/5 -> (2/3 + 1/5, 1/3 + 4/5, 0); tidal cell 2 -inf.
void test_by_hand() {
    std::printf("tidal / tokenselect on a hand-computed case\n");
    const float q[] = {1, 0, 0, 2};
    const float k[] = {1, 0, 0, 1, 1, 1};
    const float mask[] = {0, 0, -kInf};
    const double ln2 = 0.693147180559945;
    tfk_attn_view v = view_of(q, k, nullptr, 2, 2, 1, 1, 3);
    v.scale = static_cast<float>(ln2);
    const double ls = static_cast<double>(v.scale);
    for (int masked = 0; masked < 2; ++masked) {
        v.mask = masked ? mask : nullptr;
        const double tw[] = {ls, 2 * ls, masked ? -std::numeric_limits<double>::infinity() : 2 * ls};
        const double sw[] = {masked ? 2.0 / 3 + 0.2 : 0.4 + 1.0 / 9, masked ? 1.0 / 3 + 0.8 : 0.2 + 4.0 / 9,
                             masked ? 0.0 : 0.4 + 4.0 / 9};
        float t_out[3], s_out[3];
        for (int which = 0; which < 3; ++which) {
            int r1, r2;
            if (which == 0) {
                r1 = tfk::tidal_scores_ref(&v, t_out);
                r2 = tfk::tokenselect_scores_ref(&v, s_out);
            } else {
                r1 = tfk::tidal_scores_cpu(&v, t_out, which);
                r2 = tfk::tokenselect_scores_cpu(&v, s_out, which);
            }
            EXPECT(r1 == TFK_OK && r2 == TFK_OK, "hand case rc %d %d", r1, r2);
            for (int j = 0; j < 3; ++j) {
                EXPECT(t_out[j] == static_cast<float>(tw[j]), "hand tidal (version %d, mask %d): out[%d] = %.9g want %.9g",
                       which, masked, j, t_out[j], tw[j]);
                // ln 2 rounded to float changes 2^dot by < 1e-7 relative.
                EXPECT(std::fabs(s_out[j] - sw[j]) <= 5e-7, "hand tokenselect (version %d, mask %d): out[%d] = %.9g want %.9g",
                       which, masked, j, s_out[j], sw[j]);
            }
        }
    }
    // n_rows = 0: nothing written.
    v.n_rows = 0;
    float z[3] = {7, 7, 7};
    EXPECT(tfk::tidal_scores_ref(&v, z) == TFK_OK && tfk::tidal_scores_cpu(&v, z, 2) == TFK_OK &&
               tfk::tokenselect_scores_ref(&v, z) == TFK_OK && tfk::tokenselect_scores_cpu(&v, z, 2) == TFK_OK &&
               z[0] == 7 && z[1] == 7 && z[2] == 7,
           "n_rows = 0 must be a no-op");
}

void test_query_cache(std::mt19937 & rng) {
    std::printf("query_copy / query_cosine\n");
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (tfk_dtype qt : {TFK_F32, TFK_F16}) {
        Case c{24, 6, 2, 3, 5, qt, TFK_F32, MaskKind::None, TFK_F32, false, 2, 0.0f};
        for (bool hm : {false, true}) {
            c.head_major = hm;
            Inputs in = make_inputs(c, rng);
            const size_t n = static_cast<size_t>(c.H * c.d);
            for (int64_t r = 0; r < c.R; ++r) {
                std::vector<float> cp(n + 1, -7.0f);
                EXPECT(tfk_query_copy(&in.v, r, cp.data()) == TFK_OK, "query_copy rc");
                bool same = cp[n] == -7.0f;
                for (size_t i = 0; i < n; ++i) same = same && bits(cp[i]) == bits(in.qv[static_cast<size_t>(r) * n + i]);
                EXPECT(same, "query_copy row %" PRId64 " (%s%s) is not the query", r, tname(qt), hm ? ", head-major" : "");
                double cs = 0.0;
                EXPECT(tfk::query_cosine(&in.v, r, cp.data(), &cs) == TFK_OK && std::fabs(cs - 1.0) <= 1e-12,
                       "cosine with its own copy = %.17g", cs);
                std::vector<float> neg(cp.begin(), cp.end() - 1), other(n);
                for (float & x : neg) x = -2.5f * x;
                EXPECT(tfk_query_cosine(&in.v, r, neg.data(), &cs) == TFK_OK && std::fabs(cs + 1.0) <= 1e-12,
                       "cosine with -2.5 x itself = %.17g", cs);
                double dot = 0.0, na = 0.0, nb = 0.0;
                for (size_t i = 0; i < n; ++i) {
                    other[i] = normal(rng);
                    const double a = in.qv[static_cast<size_t>(r) * n + i], b = other[i];
                    dot += a * b;
                    na += a * a;
                    nb += b * b;
                }
                const double want = dot / std::sqrt(na * nb);
                EXPECT(tfk::query_cosine(&in.v, r, other.data(), &cs) == TFK_OK && std::fabs(cs - want) <= 1e-12,
                       "cosine with a random vector = %.17g want %.17g", cs, want);
                std::vector<float> zero(n, 0.0f);
                EXPECT(tfk::query_cosine(&in.v, r, zero.data(), &cs) == TFK_OK && cs == 0.0, "cosine with 0 = %g", cs);
            }
        }
    }
}

void set_dtype(tfk_dtype * field, int32_t value) { std::memcpy(field, &value, sizeof value); }

void test_errors() {
    std::printf("error codes\n");
    static float qbuf[64], kbuf[64], mbuf[16];
    for (int i = 0; i < 64; ++i) qbuf[i] = kbuf[i] = 0.25f * static_cast<float>(i % 7) - 0.5f;
    for (int i = 0; i < 16; ++i) mbuf[i] = 0.0f;
    // d = 4, 2 heads over 1 key head, 2 rows, 3 cells, F32 with an F32 mask.
    tfk_attn_view good = view_of(qbuf, kbuf, mbuf, 4, 2, 1, 2, 3);
    good.mask_row_stride = 12;
    good.scale = 0.5f;
    float outbuf[16];

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
        {"n_rows<0", [](tfk_attn_view & v) { v.n_rows = -1; }, TFK_ERR_BAD_SHAPE},
        {"n_kv=0", [](tfk_attn_view & v) { v.n_kv = 0; }, TFK_ERR_BAD_SHAPE},
        {"n_head*n_kv overflows", [](tfk_attn_view & v) { v.n_head = int64_t(1) << 40; v.n_kv = int64_t(1) << 30; }, TFK_ERR_BAD_SHAPE},
        {"n_head%n_head_kv", [](tfk_attn_view & v) { v.n_head_kv = 3; v.n_head = 4; }, TFK_ERR_BAD_ARG},
        {"q dtype 7", [](tfk_attn_view & v) { set_dtype(&v.q_type, 7); }, TFK_ERR_BAD_ARG},
        {"k dtype -1", [](tfk_attn_view & v) { set_dtype(&v.k_type, -1); }, TFK_ERR_BAD_ARG},
        {"mask dtype 2", [](tfk_attn_view & v) { set_dtype(&v.mask_type, 2); }, TFK_ERR_BAD_ARG},
        {"scale NaN", [](tfk_attn_view & v) { v.scale = std::numeric_limits<float>::quiet_NaN(); }, TFK_ERR_BAD_ARG},
        {"scale inf", [](tfk_attn_view & v) { v.scale = kInf; }, TFK_ERR_BAD_ARG},
        {"q misaligned", [](tfk_attn_view & v) { v.q = reinterpret_cast<const unsigned char *>(qbuf) + 2; }, TFK_ERR_BAD_ARG},
        {"k misaligned f16", [](tfk_attn_view & v) { v.k_type = TFK_F16; v.k = reinterpret_cast<const unsigned char *>(kbuf) + 1; }, TFK_ERR_BAD_ARG},
        {"mask misaligned", [](tfk_attn_view & v) { v.mask = reinterpret_cast<const unsigned char *>(mbuf) + 2; }, TFK_ERR_BAD_ARG},
        {"q_row_stride<d", [](tfk_attn_view & v) { v.q_row_stride = 12; }, TFK_ERR_BAD_STRIDE},
        {"q_head_stride=0", [](tfk_attn_view & v) { v.q_head_stride = 0; }, TFK_ERR_BAD_STRIDE},
        {"k_cell_stride<d", [](tfk_attn_view & v) { v.k_cell_stride = 15; }, TFK_ERR_BAD_STRIDE},
        {"k_head_stride<0", [](tfk_attn_view & v) { v.k_head_stride = -16; }, TFK_ERR_BAD_STRIDE},
        {"mask_row_stride<n_kv", [](tfk_attn_view & v) { v.mask_row_stride = 8; }, TFK_ERR_BAD_STRIDE},
        {"q stride not x4", [](tfk_attn_view & v) { v.q_row_stride = 34; }, TFK_ERR_BAD_STRIDE},
        {"k stride f16 odd", [](tfk_attn_view & v) { v.k_type = TFK_F16; v.k_cell_stride = 9; }, TFK_ERR_BAD_STRIDE},
        {"k extent overflows", [](tfk_attn_view & v) { v.k_cell_stride = int64_t(1) << 62; }, TFK_ERR_BAD_SHAPE},
        {"mask extent overflows", [](tfk_attn_view & v) { v.n_rows = 3; v.mask_row_stride = int64_t(1) << 62; }, TFK_ERR_BAD_SHAPE},
        // q and mask extents fit, n_rows * n_kv * 4 bytes of out do not.
        {"out extent overflows", [](tfk_attn_view & v) {
             v.head_dim = 1; v.n_head = 1; v.n_rows = int64_t(1) << 60; v.q_row_stride = 4; v.q_head_stride = 4;
             v.k_cell_stride = 4; v.k_head_stride = 4; v.mask = nullptr; }, TFK_ERR_BAD_SHAPE},
    };
    auto check = [&](const char * what, const tfk_attn_view * v, float * out, int want) {
        int r[12];
        for (float & x : outbuf) x = -7.0f;
        r[0] = tfk::tidal_scores_ref(v, out);
        r[1] = tfk::tidal_scores_cpu(v, out, 2);
        r[2] = tfk_tidal_scores(v, out, 1);
        r[3] = tfk_tidal_scores_ref(v, out);
        r[4] = tfk::tidal_scores_cuda(v, out, nullptr);  // validation precedes any CUDA call
        r[5] = tfk_tidal_scores_cuda(v, out, nullptr);
        r[6] = tfk::tokenselect_scores_ref(v, out);
        r[7] = tfk::tokenselect_scores_cpu(v, out, 2);
        r[8] = tfk_tokenselect_scores(v, out, 1);
        r[9] = tfk_tokenselect_scores_ref(v, out);
        r[10] = tfk::tokenselect_scores_cuda(v, out, nullptr);
        r[11] = tfk_tokenselect_scores_cuda(v, out, nullptr);
        bool ok = true;
        for (int x : r) ok = ok && x == want;
        bool untouched = true;
        for (float x : outbuf) untouched = untouched && x == -7.0f;
        EXPECT(ok, "%s: want %d, got tidal %d %d %d %d %d %d, tokenselect %d %d %d %d %d %d", what, want, r[0], r[1],
               r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11]);
        EXPECT(untouched, "%s: output written on error", what);
        std::printf("  %-4s %-24s -> %d (%s)\n", ok && untouched ? "ok" : "FAIL", what, want, tfk_status_str(want));
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
        tfk_attn_view v = good;
        v.mask = nullptr;
        set_dtype(&v.mask_type, 9);
        v.mask_row_stride = -5;
        EXPECT(tfk::tidal_scores_cpu(&v, outbuf, 1) == TFK_OK && tfk::tokenselect_scores_ref(&v, outbuf) == TFK_OK,
               "no mask: mask_type/mask_row_stride must be ignored");
        if (!g_cuda) {
            const int r1 = tfk::tidal_scores_cuda(&good, outbuf, nullptr), r2 = tfk_tokenselect_scores_cuda(&good, outbuf, nullptr);
            EXPECT(r1 == TFK_ERR_NO_CUDA && r2 == TFK_ERR_NO_CUDA, "_cuda without a GPU: want %d, got %d %d",
                   TFK_ERR_NO_CUDA, r1, r2);
        }
    }
    // query_copy / query_cosine: pointers, the view's checks, then the row.
    float cached[8];
    double cs = -7.0;
    struct BadQ {
        const char * what;
        const tfk_attn_view * v;
        int64_t row;
        float * buf;
        double * cos;
        int want;
    };
    tfk_attn_view bad_dtype = good;
    set_dtype(&bad_dtype.q_type, 5);
    tfk_attn_view bad_stride = good;
    bad_stride.q_head_stride = 4;
    const BadQ bad_q[] = {
        {"null view", nullptr, 0, cached, &cs, TFK_ERR_NULL},
        {"null buffer", &good, 0, nullptr, &cs, TFK_ERR_NULL},
        {"null out_cos", &good, 0, cached, nullptr, TFK_ERR_NULL},
        {"bad q dtype", &bad_dtype, 0, cached, &cs, TFK_ERR_BAD_ARG},
        {"bad q stride", &bad_stride, 0, cached, &cs, TFK_ERR_BAD_STRIDE},
        {"row < 0", &good, -1, cached, &cs, TFK_ERR_BAD_SHAPE},
        {"row >= n_rows", &good, 2, cached, &cs, TFK_ERR_BAD_SHAPE},
    };
    for (const BadQ & b : bad_q) {
        for (float & x : cached) x = -7.0f;
        cs = -7.0;
        const int rc = tfk_query_cosine(b.v, b.row, b.buf, b.cos);
        bool untouched = cs == -7.0;
        int rc2 = b.want;
        if (b.cos != nullptr) {  // query_copy has no out_cos
            rc2 = tfk::query_copy(b.v, b.row, b.buf);
            for (float x : cached) untouched = untouched && x == -7.0f;
        }
        EXPECT(rc == b.want && rc2 == b.want && untouched, "query %s: want %d, got cosine %d copy %d (untouched %d)",
               b.what, b.want, rc, rc2, untouched);
        std::printf("  %-4s query %-18s -> %d\n", rc == b.want && rc2 == b.want && untouched ? "ok" : "FAIL", b.what, b.want);
    }
}

} // namespace

int main() {
    g_cuda = tfk_cuda_available() != 0;
    std::printf("tfkernels sparse-attention scoring test (CUDA device: %s)\n", g_cuda ? "yes" : "no");

    test_by_hand();
    test_errors();
    std::mt19937 rng(20250610u);
    test_query_cache(rng);

    const tfk_dtype F32 = TFK_F32, F16 = TFK_F16;
    using M = MaskKind;
    const Case cases[] = {
        // d,  H, Hkv, R,    N,   q,   k,   mask,           mt, head-major, pad, scale (0: 1/sqrt(d))
        {64, 8, 2, 1, 5000, F16, F16, M::Causal, F16, false, 0, 0.0f},       // decode, GQA 4, large odd-ish N
        {128, 32, 8, 1, 5001, F32, F16, M::None, F32, false, 0, 1.0f},       // TokenSelect-like: scale 1, no mask
        {128, 4, 4, 3, 777, F32, F32, M::Causal, F32, false, 0, 0.0f},       // no GQA, a fully masked row
        {96, 8, 8, 2, 4099, F32, F16, M::CausalAlibi, F32, true, 3, 0.0f},   // no GQA, ALiBi, head-major, padded
        {40, 12, 2, 7, 333, F16, F32, M::Causal, F16, false, 5, 1.0f},       // GQA 6, scale 1, padded
        {64, 4, 2, 9, 1531, F32, F32, M::CausalAlibi, F16, false, 1, 1.0f},  // rows > threads
        {32, 6, 1, 5, 1, F32, F32, M::Causal, F32, false, 0, 0.0f},          // n_kv = 1: several fully masked rows
        {3, 2, 1, 4, 17, F32, F16, M::Causal, F32, true, 2, 0.0f},           // tiny d
        {1, 2, 2, 2, 3, F32, F32, M::None, F32, false, 0, 1.0f},
        {16, 4, 1, 1, 40, F16, F16, M::CausalAlibi, F16, false, 0, 1.0f},
    };
    std::printf("tidal / tokenselect: cpu (threads 1,2,3,5,auto) + flat entries%s vs ref; tidal |err| <= %.0e*|ref|, "
                "-inf exact; tokenselect |err| <= %.0e*|ref| + %.1e\n",
                g_cuda ? " + cuda" : "", kTidalRelTol, kTsRelTol, kTsAbsTol);
    for (const Case & c : cases) run_case(c, rng);
    std::printf("  largest relative error seen: tidal %.3e (tolerance %.0e), tokenselect %.3e (tolerance %.0e)\n",
                g_worst_tidal, kTidalRelTol, g_worst_ts, kTsRelTol);
    if (!g_cuda)
        std::printf("CUDA: skipped (no GPU: tfk_cuda_available() == 0 - built without CUDA or no usable device); "
                    "the _cuda entries were checked to validate, then return TFK_ERR_NO_CUDA\n");

    std::printf("%d checks, %d failures\n", g_checks, g_failures);
    std::printf("%s\n", g_failures == 0 ? "PASS" : "FAIL");
    return g_failures == 0 ? 0 : 1;
}

// Tests of the llama.cpp-exact row sampler: tfk::sample_* / tfk::sampling_probs_* against
//  1. a brute-force double-precision re-implementation of the chain: probabilities within 1e-6;
//  2. ref == cpu exactly, including NaN/-inf/tie rows, wide top_k and the adaptive top_p path;
//  3. error codes of the flat C entries (outputs untouched on error), the CUDA twin's included;
//  4. with a GPU: tfk_sample_cuda_f32 / tfk::sample_cuda on device copies of random rows == the
//     reference, token for token, over a parameter grid and many uniforms; without one, the CUDA
//     twin's validation order and TFK_ERR_NO_CUDA (the comparison is skipped with a message);
//  5. the device helpers tfk_cuda_set_device / tfk_cuda_pointer_device.
// (Bit-identity with llama.cpp's own samplers is checked against libllama itself by
// tests/llama_crosscheck.cpp, which the tokenflow build always enables.)
#include "tfkernels.h"
#include "check.h"
#include "sampling_util.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

namespace {

using tfk_test::bits;
using tfk_test::brute_force_probs;
using tfk_test::kInf;
using tfk_test::kQNaN;
using tfk_test::param_grid;
using tfk_test::params_str;

bool g_cuda = false;

// Distinct (tie-free) logits: N(0, sigma), perturbed until unique.
std::vector<float> distinct_row(int64_t V, float sigma, std::mt19937 & rng) {
    std::normal_distribution<float> normal(0.0f, sigma);
    std::vector<float> row(static_cast<size_t>(V));
    std::unordered_set<uint32_t> seen;
    for (float & x : row) {
        x = normal(rng);
        while (x == 0.0f || !seen.insert(bits(x)).second) x = std::nextafter(x, kInf);
    }
    return row;
}

void test_sampler_vs_brute_force() {
    std::printf("row probabilities vs a brute-force double-precision chain (|diff| <= 1e-6)\n");
    std::mt19937 rng(11u);
    int compared = 0, skipped = 0;
    double worst = 0.0;
    for (int64_t V : {5, 64, 3000, 32000}) {
        for (float sigma : {0.5f, 3.0f}) {
            const std::vector<float> row = distinct_row(V, sigma, rng);
            for (const tfk_sampling_params & sp : param_grid()) {
                double margin = 1.0;
                const std::vector<double> bf = brute_force_probs(row.data(), V, sp, &margin);
                if (margin < 1e-4) {  // a top_p/min_p cut within float rounding of the threshold
                    ++skipped;
                    continue;
                }
                std::vector<int32_t> ids(static_cast<size_t>(V));
                std::vector<float> pr(ids.size());
                int32_t n = 0;
                const int rc = tfk::sampling_probs_cpu(row.data(), V, &sp, ids.data(), pr.data(), &n);
                std::vector<double> got(static_cast<size_t>(V), 0.0);
                for (int32_t i = 0; i < n; ++i) got[ids[i]] = pr[i];
                double diff = 0.0;
                for (int64_t i = 0; i < V; ++i) diff = std::max(diff, std::fabs(got[i] - bf[i]));
                worst = std::max(worst, diff);
                EXPECT(rc == TFK_OK && diff <= 1e-6, "V=%" PRId64 " %s: max |p - brute force| = %.3g", V,
                       params_str(sp).c_str(), diff);
                ++compared;
            }
        }
    }
    std::printf("  %d rows compared (worst |diff| %.3g), %d skipped as borderline cuts\n", compared, worst, skipped);
}

// ref == cpu on rows with NaN / -inf / ties / +-0 (no llama.cpp oracle there: its comparators are
// undefined with NaN, its tie order unspecified).
void test_sampler_ref_vs_cpu_special() {
    std::printf("row sampler ref == cpu on NaN / -inf / tie rows\n");
    std::mt19937 rng(5u);
    std::uniform_real_distribution<double> unif(0.0, 1.0);
    std::uniform_int_distribution<int> pick(0, 99);
    const float ties[] = {-1.0f, 0.0f, -0.0f, 0.5f, 1.0f, 1.0f, 2.0f};
    int n_rows = 0;
    for (int64_t V : {3, 50, 2000, 40000}) {
        for (int kind = 0; kind < 4; ++kind) {
            std::vector<float> row(static_cast<size_t>(V));
            std::normal_distribution<float> normal(0.0f, 2.0f);
            for (float & x : row) {
                const int p = pick(rng);
                switch (kind) {
                    case 0: x = ties[p % 7]; break;                                   // heavy ties
                    case 1: x = p < 20 ? kQNaN : normal(rng); break;                  // NaN sprinkled
                    case 2: x = p < 60 ? -kInf : (p < 70 ? kQNaN : normal(rng)); break;  // mostly -inf
                    default: x = std::round(normal(rng) * 4.0f) / 4.0f; break;        // quantized ties
                }
            }
            row[V / 2] = 1.0f;  // at least one finite value
            for (const tfk_sampling_params & sp : param_grid()) {
                std::vector<int32_t> ids(static_cast<size_t>(V), -7), ids2(ids.size(), -7);
                std::vector<float> pr(ids.size()), pr2(ids.size());
                int32_t n = -1, n2 = -1;
                int rc = tfk::sampling_probs_ref(row.data(), V, &sp, ids.data(), pr.data(), &n);
                int rc2 = tfk::sampling_probs_cpu(row.data(), V, &sp, ids2.data(), pr2.data(), &n2);
                bool ok = rc == TFK_OK && rc2 == TFK_OK && n == n2;
                for (int32_t i = 0; ok && i < n; ++i) ok = ids[i] == ids2[i] && bits(pr[i]) == bits(pr2[i]);
                for (int32_t i = 0; ok && i < n; ++i) ok = !std::isnan(row[ids[i]]) || pr[i] == 0.0f;
                EXPECT(ok, "V=%" PRId64 " kind %d %s: probs ref vs cpu (rc %d/%d, n %d/%d)", V, kind, params_str(sp).c_str(),
                       rc, rc2, n, n2);
                for (int rep = 0; rep < 20; ++rep) {
                    const double u = rep == 0 ? 0.0 : unif(rng);
                    int32_t a = -1, b = -2;
                    rc = tfk::sample_ref(row.data(), V, &sp, u, &a);
                    rc2 = tfk::sample_cpu(row.data(), V, &sp, u, &b);
                    EXPECT(rc == TFK_OK && rc2 == TFK_OK && a == b, "V=%" PRId64 " kind %d %s u=%.17g: ref %d cpu %d", V,
                           kind, params_str(sp).c_str(), u, a, b);
                    if (rc == TFK_OK && u > 0.0) EXPECT(!std::isnan(row[a]), "NaN token sampled");
                }
                ++n_rows;
            }
        }
    }
    // Rows without a finite maximum: TFK_ERR_BAD_LOGITS from both (greedy still works).
    const std::vector<std::vector<float>> bad = {{kQNaN, kQNaN}, {-kInf, -kInf, kQNaN}, {1.0f, kInf, 0.0f}};
    for (const auto & row : bad) {
        for (const tfk_sampling_params & sp : param_grid()) {
            int32_t a = -1, b = -1;
            const int rc = tfk::sample_ref(row.data(), static_cast<int64_t>(row.size()), &sp, 0.5, &a);
            const int rc2 = tfk::sample_cpu(row.data(), static_cast<int64_t>(row.size()), &sp, 0.5, &b);
            EXPECT(rc == TFK_ERR_BAD_LOGITS && rc2 == TFK_ERR_BAD_LOGITS && a == -1 && b == -1,
                   "non-finite max %s: rc ref %d cpu %d", params_str(sp).c_str(), rc, rc2);
        }
        const tfk_sampling_params g{0.0f, 0, 1.0f, 0.0f};
        int32_t a = -1, b = -1;
        EXPECT(tfk::sample_ref(row.data(), static_cast<int64_t>(row.size()), &g, 0.5, &a) == TFK_OK &&
                   tfk::sample_cpu(row.data(), static_cast<int64_t>(row.size()), &g, 0.5, &b) == TFK_OK && a == b,
               "greedy on a non-finite row");
    }
    std::printf("  %d rows x params compared\n", n_rows);
}

// Error codes of the row-sampler entry points (outputs untouched on error).
void test_row_errors() {
    std::printf("row sampler error codes\n");
    const tfk_sampling_params good{0.8f, 4, 0.9f, 0.05f};
    const tfk_sampling_params t_nan{kQNaN, 4, 0.9f, 0.05f};
    const float row[] = {1.0f, 2.0f, 3.0f};
    int32_t t = -7, ids[3], n = -7;
    float pr[3];
    struct RowBad {
        const char * what;
        const float * row;
        int64_t v;
        const tfk_sampling_params * sp;
        double u;
        int want;
    };
    const RowBad rb[] = {
        {"row: null row", nullptr, 3, &good, 0.5, TFK_ERR_NULL},
        {"row: null params", row, 3, nullptr, 0.5, TFK_ERR_NULL},
        {"row: n_vocab=0", row, 0, &good, 0.5, TFK_ERR_BAD_SHAPE},
        {"row: temperature NaN", row, 3, &t_nan, 0.5, TFK_ERR_BAD_SAMPLING},
        {"row: uniform 1", row, 3, &good, 1.0, TFK_ERR_BAD_SAMPLING},
        {"row: uniform NaN", row, 3, &good, std::nan(""), TFK_ERR_BAD_SAMPLING},
    };
    for (const RowBad & b : rb) {
        const int r1 = tfk_sample_f32(b.row, b.v, b.sp, b.u, &t);
        const int r2 = tfk_sample_ref_f32(b.row, b.v, b.sp, b.u, &t);
        EXPECT(r1 == b.want && r2 == b.want && t == -7, "%s: want %d got %d %d", b.what, b.want, r1, r2);
        // The CUDA twin validates the same way before any CUDA call: host pointers are fine, GPU or not.
        const int r5 = tfk_sample_cuda_f32(b.row, b.v, b.sp, b.u, &t, nullptr);
        const int r6 = tfk::sample_cuda(b.row, b.v, b.sp, b.u, &t, nullptr);
        EXPECT(r5 == b.want && r6 == b.want && t == -7, "%s (cuda): want %d got %d %d", b.what, b.want, r5, r6);
        if (std::string(b.what).find("uniform") == std::string::npos) {
            const int r3 = tfk_sampling_probs_f32(b.row, b.v, b.sp, ids, pr, &n);
            const int r4 = tfk_sampling_probs_ref_f32(b.row, b.v, b.sp, ids, pr, &n);
            EXPECT(r3 == b.want && r4 == b.want && n == -7, "%s (probs): want %d got %d %d", b.what, b.want, r3, r4);
        }
        std::printf("  ok?  %-20s -> %d\n", b.what, b.want);
    }
    EXPECT(tfk_sample_f32(row, 3, &good, 0.5, nullptr) == TFK_ERR_NULL, "row: null out");
    EXPECT(tfk_sample_cuda_f32(row, 3, &good, 0.5, nullptr, nullptr) == TFK_ERR_NULL, "row (cuda): null out");
    EXPECT(tfk_sampling_probs_f32(row, 3, &good, ids, nullptr, &n) == TFK_ERR_NULL, "probs: null out");
}

// The CUDA twin's validation order against tfk_sample_f32's on arguments that break several rules
// at once (the first rule in the documented order wins); without a GPU, valid arguments then give
// TFK_ERR_NO_CUDA (also for rows a GPU would reject with TFK_ERR_BAD_LOGITS: the row is only read
// on the device).
void test_cuda_errors() {
    std::printf("CUDA row sampler: validation order%s\n", g_cuda ? "" : " and TFK_ERR_NO_CUDA (no GPU)");
    const tfk_sampling_params good{0.8f, 4, 0.9f, 0.05f}, greedy{0.0f, 0, 1.0f, 0.0f};
    const tfk_sampling_params p_nan{0.8f, 4, kQNaN, 0.05f}, m_nan{0.8f, 4, 0.9f, kQNaN}, t_inf{kInf, 0, 1.0f, 0.0f};
    const float row[] = {1.0f, 2.0f, 3.0f};
    struct Multi {
        const char * what;
        const float * row;
        int64_t v;
        const tfk_sampling_params * sp;
        double u;
        bool null_out;
    };
    const Multi cases[] = {
        {"null row + n_vocab 0 + bad uniform", nullptr, 0, &p_nan, 2.0, false},
        {"null out + n_vocab -1", row, -1, &good, 0.5, true},
        {"null params + n_vocab 0", row, 0, nullptr, 0.5, false},
        {"n_vocab 2^31 + top_p NaN", row, int64_t(1) << 31, &p_nan, 0.5, false},
        {"n_vocab 0 + uniform NaN", row, 0, &good, std::nan(""), false},
        {"min_p NaN + uniform -0.1", row, 3, &m_nan, -0.1, false},
        {"temperature inf", row, 3, &t_inf, 0.5, false},
        {"uniform 1 (greedy)", row, 3, &greedy, 1.0, false},
        {"uniform -0.5", row, 3, &good, -0.5, false},
    };
    for (const Multi & c : cases) {
        int32_t t = -7;
        int32_t * out = c.null_out ? nullptr : &t;
        const int want = tfk_sample_f32(c.row, c.v, c.sp, c.u, out);
        const int r1 = tfk_sample_cuda_f32(c.row, c.v, c.sp, c.u, out, nullptr);
        const int r2 = tfk::sample_cuda(c.row, c.v, c.sp, c.u, out, nullptr);
        EXPECT(want < 0 && r1 == want && r2 == want && t == -7, "%s: tfk_sample_f32 %d, cuda %d %d", c.what, want, r1, r2);
        std::printf("  %-4s %-36s -> %d (%s)\n", r1 == want && r2 == want ? "ok" : "FAIL", c.what, want,
                    tfk_status_str(want));
    }
    if (!g_cuda) {
        const float nan_row[] = {kQNaN, kQNaN};
        for (const tfk_sampling_params & sp : {good, greedy}) {
            for (const float * r : {row, nan_row}) {
                int32_t t = -7;
                const int64_t v = r == row ? 3 : 2;
                const int r1 = tfk_sample_cuda_f32(r, v, &sp, 0.25, &t, nullptr);
                const int r2 = tfk::sample_cuda(r, v, &sp, 0.25, &t, nullptr);
                EXPECT(r1 == TFK_ERR_NO_CUDA && r2 == TFK_ERR_NO_CUDA && t == -7,
                       "sample_cuda without GPU (%s, %s row): want %d got %d %d", params_str(sp).c_str(),
                       r == row ? "finite" : "NaN", TFK_ERR_NO_CUDA, r1, r2);
            }
        }
    }
}

// Random rows for the CUDA comparison: non-zero N(0, sigma) logits with some exact ties (kind 1:
// a few values copied to other positions, the maximum included), NaN / -inf sprinkled (kind 2), or
// flat (kind 3: min_p keeps many tokens).
std::vector<float> cuda_row(int64_t V, int kind, std::mt19937 & rng) {
    std::normal_distribution<float> normal(0.0f, kind == 3 ? 0.01f : 2.0f);
    std::uniform_int_distribution<int> pct(0, 99);
    std::uniform_int_distribution<int64_t> pos(0, V - 1);
    std::vector<float> row(static_cast<size_t>(V));
    for (float & x : row) {
        do x = normal(rng); while (x == 0.0f);
        if (kind == 2) {
            const int p = pct(rng);
            if (p < 10) x = kQNaN;
            else if (p < 20) x = -kInf;
        }
    }
    if (kind == 1 && V > 1) {
        int64_t arg = 0;
        for (int64_t i = 1; i < V; ++i)
            if (row[i] > row[arg]) arg = i;
        row[pos(rng)] = row[arg];  // a tie at the maximum (unless it lands on arg itself)
        for (int64_t i = 0; i < std::max<int64_t>(1, V / 8); ++i) row[pos(rng)] = row[pos(rng)];
    }
    if (kind == 2) row[pos(rng)] = 1.5f;  // a finite maximum exists
    return row;
}

// A device buffer from the public helpers, freed on scope exit.
struct DevBuf {
    void * p = nullptr;
    ~DevBuf() { tfk_cuda_free(p); }
};

// With a GPU: the CUDA twin on device copies == tfk_sample_ref_f32, token for token.
void test_cuda_vs_ref() {
    if (!g_cuda) {
        std::printf("CUDA row sampler vs reference: skipped (no GPU present); validation and TFK_ERR_NO_CUDA "
                    "checked above\n");
        return;
    }
    std::printf("CUDA row sampler (device rows) == reference, top_k 0/1/8/40/100 x top_p 1/0.9/0.5 x min_p 0/0.05 "
                "x temperature -1/0/0.5/1/1.5\n");
    std::vector<tfk_sampling_params> grid;
    for (float T : {-1.0f, 0.0f, 0.5f, 1.0f, 1.5f})
        for (int32_t top_k : {0, 1, 8, 40, 100})
            for (float top_p : {1.0f, 0.9f, 0.5f})
                for (float min_p : {0.0f, 0.05f}) grid.push_back({T, top_k, top_p, min_p});
    std::mt19937 rng(2024u);
    std::uniform_real_distribution<double> unif(0.0, 1.0);
    const int64_t vocabs[] = {1, 5, 40, 64, 65, 300, 4096, 50000};
    const int64_t v_max = 50000;
    DevBuf d_row, d_tok;
    int e = tfk_cuda_malloc(&d_row.p, static_cast<size_t>(v_max) * sizeof(float));
    if (e == TFK_OK) e = tfk_cuda_malloc(&d_tok.p, sizeof(int32_t));
    EXPECT(e == TFK_OK, "device buffers: rc %d (%s)", e, tfk_cuda_last_error());
    if (e != TFK_OK) return;
    const float * drow = static_cast<const float *>(d_row.p);
    int32_t * dtok = static_cast<int32_t *>(d_tok.p);
    long draws = 0, mismatches = 0;
    for (int64_t V : vocabs) {
        for (int kind = 0; kind < 4; ++kind) {
            const std::vector<float> row = cuda_row(V, kind, rng);
            e = tfk_cuda_memcpy_h2d(d_row.p, row.data(), row.size() * sizeof(float));
            EXPECT(e == TFK_OK, "upload: rc %d (%s)", e, tfk_cuda_last_error());
            if (e != TFK_OK) return;
            for (const tfk_sampling_params & sp : grid) {
                const int n_u = sp.temperature <= 0.0f ? 2 : 12;
                for (int rep = 0; rep < n_u; ++rep) {
                    const double u = rep == 0 ? 0.0 : (rep == 1 ? std::nextafter(1.0, 0.0) : unif(rng));
                    int32_t want = -1;
                    const int rc_want = tfk_sample_ref_f32(row.data(), V, &sp, u, &want);
                    const int32_t init = -7;
                    e = tfk_cuda_memcpy_h2d(dtok, &init, sizeof init);
                    const bool flat = (draws & 1) != 0;
                    const int rc = e != TFK_OK ? e
                                 : flat   ? tfk_sample_cuda_f32(drow, V, &sp, u, dtok, nullptr)
                                          : tfk::sample_cuda(drow, V, &sp, u, dtok, nullptr);
                    int32_t got = -9;  // synchronous entry: the token is final on return
                    const int back = tfk_cuda_memcpy_d2h(&got, dtok, sizeof got);
                    const bool ok = rc == rc_want && back == TFK_OK && (rc == TFK_OK ? got == want : got == -7);
                    if (!ok) ++mismatches;
                    EXPECT(ok, "V=%" PRId64 " kind %d %s u=%.17g (%s): cuda rc %d (%s; %s) token %d, ref rc %d token %d",
                           V, kind, params_str(sp).c_str(), u, flat ? "flat" : "tfk::", rc, tfk_status_str(rc),
                           tfk_cuda_last_error(), got, rc_want, want);
                    ++draws;
                    if (mismatches > 20) return;  // enough output
                }
            }
        }
    }
    // Rows without a finite maximum: TFK_ERR_BAD_LOGITS, out_token untouched; greedy still picks.
    const std::vector<std::vector<float>> bad = {{kQNaN, kQNaN}, {-kInf, -kInf, kQNaN}, {1.0f, kInf, 0.0f}};
    for (const auto & row : bad) {
        const int64_t V = static_cast<int64_t>(row.size());
        e = tfk_cuda_memcpy_h2d(d_row.p, row.data(), row.size() * sizeof(float));
        for (const tfk_sampling_params & sp : {tfk_sampling_params{0.8f, 40, 0.95f, 0.05f},
                                               tfk_sampling_params{1.0f, 0, 1.0f, 0.0f},
                                               tfk_sampling_params{0.0f, 0, 1.0f, 0.0f}}) {
            int32_t want = -1;
            const int rc_want = tfk_sample_f32(row.data(), V, &sp, 0.5, &want);
            const int32_t init = -7;
            if (e == TFK_OK) e = tfk_cuda_memcpy_h2d(dtok, &init, sizeof init);
            const int rc = e != TFK_OK ? e : tfk_sample_cuda_f32(drow, V, &sp, 0.5, dtok, nullptr);
            int32_t got = -9;
            const int back = tfk_cuda_memcpy_d2h(&got, dtok, sizeof got);
            EXPECT(rc == rc_want && back == TFK_OK && (rc == TFK_OK ? got == want : got == -7),
                   "non-finite row %s: cuda rc %d token %d, cpu rc %d token %d", params_str(sp).c_str(), rc, got, rc_want,
                   want);
        }
    }
    std::printf("  %ld draws compared, %ld mismatches\n", draws, mismatches);
}

// tfk_cuda_set_device / tfk_cuda_pointer_device.
void test_device_helpers() {
    std::printf("CUDA device helpers%s\n", g_cuda ? "" : " (no GPU: TFK_ERR_NO_CUDA)");
    int dev = -7;
    const float host = 1.0f;
    if (!g_cuda) {
        const int r1 = tfk_cuda_set_device(0);
        const int r2 = tfk_cuda_pointer_device(&host, &dev);
        EXPECT(r1 == TFK_ERR_NO_CUDA && r2 == TFK_ERR_NO_CUDA && dev == -7,
               "without GPU: set_device %d, pointer_device %d (dev %d), want %d", r1, r2, dev, TFK_ERR_NO_CUDA);
        return;
    }
    EXPECT(tfk_cuda_set_device(0) == TFK_OK, "set_device(0): %s", tfk_cuda_last_error());
    EXPECT(tfk_cuda_set_device(-1) == TFK_ERR_CUDA, "set_device(-1)");
    EXPECT(tfk_cuda_set_device(1 << 20) == TFK_ERR_CUDA, "set_device(2^20)");
    EXPECT(tfk_cuda_set_device(0) == TFK_OK, "set_device(0) again");  // a failed set leaves no sticky error
    DevBuf d;
    const int e = tfk_cuda_malloc(&d.p, 256);
    EXPECT(e == TFK_OK, "tfk_cuda_malloc: %d", e);
    if (e != TFK_OK) return;
    EXPECT(tfk_cuda_pointer_device(d.p, &dev) == TFK_OK && dev == 0, "device pointer: device %d", dev);
    dev = -7;
    EXPECT(tfk_cuda_pointer_device(static_cast<const char *>(d.p) + 100, &dev) == TFK_OK && dev == 0,
           "interior device pointer: device %d", dev);
    dev = -7;
    const int rh = tfk_cuda_pointer_device(&host, &dev);
    EXPECT(rh == TFK_ERR_BAD_ARG && dev == -7, "host pointer: rc %d dev %d, want %d", rh, dev, TFK_ERR_BAD_ARG);
    std::vector<float> heap(1000);
    EXPECT(tfk_cuda_pointer_device(heap.data(), &dev) == TFK_ERR_BAD_ARG && dev == -7, "heap pointer");
    EXPECT(tfk_cuda_pointer_device(nullptr, &dev) == TFK_ERR_NULL, "null pointer");
    EXPECT(tfk_cuda_pointer_device(d.p, nullptr) == TFK_ERR_NULL, "null device");
    // Kernels still run after the failed calls above (no sticky error left behind).
    const float row[] = {0.5f, 3.0f, -1.0f};
    const tfk_sampling_params greedy{0.0f, 0, 1.0f, 0.0f};
    int rc = tfk_cuda_memcpy_h2d(d.p, row, sizeof row);
    int32_t * tok = reinterpret_cast<int32_t *>(static_cast<char *>(d.p) + 64);
    if (rc == TFK_OK) rc = tfk_sample_cuda_f32(static_cast<const float *>(d.p), 3, &greedy, 0.0, tok, nullptr);
    int32_t got = -1;
    if (rc == TFK_OK) rc = tfk_cuda_memcpy_d2h(&got, tok, sizeof got);
    EXPECT(rc == TFK_OK && got == 1, "greedy sample after the helper errors: rc %d token %d", rc, got);
}

} // namespace

int main() {
    g_cuda = tfk_cuda_available() != 0;
    std::printf("tfkernels row sampler test (CUDA device: %s)\n", g_cuda ? "yes" : "no");
    test_row_errors();
    test_cuda_errors();
    test_sampler_vs_brute_force();
    test_sampler_ref_vs_cpu_special();
    test_cuda_vs_ref();
    test_device_helpers();
    if (!g_cuda)
        std::printf("CUDA: skipped (no GPU): tfk_sample_cuda_f32 checked for argument errors only; the CUDA comparison "
                    "with the reference needs a GPU\n");
    std::printf("%d checks, %d failures\n", g_checks, g_failures);
    std::printf("%s\n", g_failures == 0 ? "PASS" : "FAIL");
    return g_failures == 0 ? 0 : 1;
}

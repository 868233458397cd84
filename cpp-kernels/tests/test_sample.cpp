// Tests of the llama.cpp-exact row sampler: tfk::sample_* / tfk::sampling_probs_* against
//  1. a brute-force double-precision re-implementation of the chain: probabilities within 1e-6;
//  2. ref == cpu exactly, including NaN/-inf/tie rows, wide top_k and the adaptive top_p path;
//  3. error codes of the flat C entries (outputs untouched on error).
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
        if (std::string(b.what).find("uniform") == std::string::npos) {
            const int r3 = tfk_sampling_probs_f32(b.row, b.v, b.sp, ids, pr, &n);
            const int r4 = tfk_sampling_probs_ref_f32(b.row, b.v, b.sp, ids, pr, &n);
            EXPECT(r3 == b.want && r4 == b.want && n == -7, "%s (probs): want %d got %d %d", b.what, b.want, r3, r4);
        }
        std::printf("  ok?  %-20s -> %d\n", b.what, b.want);
    }
    EXPECT(tfk_sample_f32(row, 3, &good, 0.5, nullptr) == TFK_ERR_NULL, "row: null out");
    EXPECT(tfk_sampling_probs_f32(row, 3, &good, ids, nullptr, &n) == TFK_ERR_NULL, "probs: null out");
}

} // namespace

int main() {
    std::printf("tfkernels row sampler test\n");
    test_row_errors();
    test_sampler_vs_brute_force();
    test_sampler_ref_vs_cpu_special();
    std::printf("%d checks, %d failures\n", g_checks, g_failures);
    std::printf("%s\n", g_failures == 0 ? "PASS" : "FAIL");
    return g_failures == 0 ? 0 : 1;
}

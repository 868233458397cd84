// Host-side test of the exactness argument of the CUDA sample-and-match verification and of the
// CUDA row sampler (runs without a GPU).
//
// tfk::tree_verify_sample_cuda does only the order-insensitive selection on the device (each row's
// top-n by tfk::topk_cuda, bit copies) and runs every floating-point step of the chain on the host:
// detail::sample_from_top on a row's best entries, or tfk::sample_cpu on a copied row when those
// entries do not determine the result (common/sample_top.h). This test links the library's CPU
// sources statically (the internal helpers are not exported) and checks, on the CPU:
//  1. sample_from_top(best n entries) == sample_cpu(row) for every n it accepts (n = 1, 2, 7, 64,
//     the policy's count, V), on plain / NaN / -inf / tie / flat rows, many parameter sets and
//     uniforms; and that the policy's count never needs the row when top_k <= 64 or V <= 64;
//  2. the walk (detail::tree_sample_walk) on a backend that emulates the CUDA one (all rows' top-K
//     by tfk::topk_ref, rows "copied back" on demand and counted) == tfk::tree_verify_sample_ref on
//     random trees over the grid top_k 0/1/8/40/100 x top_p 1/0.9/0.5 x min_p 0/0.05 x temperature
//     0.5/1/1.5, and the number of rows copied back is as documented (0 for top_k in 1..64 or
//     V <= 64; at most depth + 1 otherwise);
//  3. the row sampler's host half (what tfk::sample_cuda does: the policy's best entries, then
//     detail::sample_row_on on the emulated backend; top-1 for temperature <= 0) == tfk::sample_ref.
// The device half (topk_cuda == topk_ref, the copies) is covered by test_topk and, with a GPU,
// by the cuda == ref comparisons of test_tree_verify and test_sample.
#include "tfkernels.h"
#include "common/sample_top.h"
#include "check.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

namespace {

const float kInf  = std::numeric_limits<float>::infinity();
const float kQNaN = std::numeric_limits<float>::quiet_NaN();

std::string params_str(const tfk_sampling_params & sp) {
    char b[128];
    std::snprintf(b, sizeof b, "T=%g top_k=%d top_p=%g min_p=%g", sp.temperature, sp.top_k, sp.top_p, sp.min_p);
    return b;
}

// The row's n best entries in the tfk_topk_f32 order, by a full sort (independent of topk_*):
// numbers before NaN, larger first, -0 == +0, ties to the smaller id.
void best_entries(const float * row, int64_t V, int64_t n, std::vector<int32_t> & ids, std::vector<float> & vals) {
    std::vector<int32_t> idx(static_cast<size_t>(V));
    std::iota(idx.begin(), idx.end(), 0);
    std::stable_sort(idx.begin(), idx.end(), [row](int32_t a, int32_t b) {
        const bool na = std::isnan(row[a]), nb = std::isnan(row[b]);
        if (na != nb) return nb;
        if (na) return false;
        return row[a] > row[b];
    });
    ids.assign(idx.begin(), idx.begin() + n);
    vals.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) std::memcpy(&vals[i], &row[ids[i]], sizeof(float));  // bit copy
}

std::vector<float> make_row(int64_t V, int kind, std::mt19937 & rng) {
    std::normal_distribution<float> normal(0.0f, 2.0f);
    std::uniform_int_distribution<int> pct(0, 99);
    const float ties[] = {-1.0f, 0.0f, -0.0f, 0.5f, 1.0f, 1.0f, 2.0f};
    std::vector<float> row(static_cast<size_t>(V));
    for (float & x : row) {
        const int p = pct(rng);
        switch (kind) {
            case 0: x = normal(rng); break;                                                 // plain
            case 1: x = p < 10 ? kQNaN : (p < 20 ? -kInf : normal(rng)); break;             // NaN / -inf
            case 2: x = ties[p % 7]; break;                                                 // heavy ties
            case 3: x = 0.01f * normal(rng); break;                                         // flat: min_p keeps many
            default: x = p < 90 ? -kInf : std::round(normal(rng) * 4.0f) / 4.0f; break;    // mostly -inf, ties
        }
    }
    row[static_cast<size_t>(V / 2)] = kind == 3 ? 0.05f : 1.0f;  // a finite maximum exists
    return row;
}

std::vector<tfk_sampling_params> grid() {
    std::vector<tfk_sampling_params> g;
    for (float T : {0.5f, 1.0f, 1.5f})
        for (int32_t top_k : {0, 1, 8, 40, 64, 65, 100})
            for (float top_p : {1.0f, 0.9f, 0.5f})
                for (float min_p : {0.0f, 0.05f}) g.push_back({T, top_k, top_p, min_p});
    // edge parameters of the CPU sampler test
    g.push_back({1.0f, 0, 1.0f, 1.5f});     // min_p > 1: nothing reaches the bound
    g.push_back({1.0f, 0, 1.0f, 1.0f});     // min_p == 1: only the maximum (ties) survive
    g.push_back({0.9f, 0, 1.0f, 1e-30f});   // min_p tiny: keeps everything
    g.push_back({0.9f, 5, 0.0f, 0.0f});     // top_p <= 0: keeps one
    g.push_back({1.0f, 100000, 1.0f, 0.05f});
    return g;
}

void test_rows() {
    std::printf("sample_from_top(best n) == sample_cpu(row)\n");
    std::mt19937 rng(7u);
    std::uniform_real_distribution<double> unif(0.0, 1.0);
    long decided = 0, need_row = 0, compared = 0;
    for (int64_t V : {1, 3, 40, 64, 65, 300, 3000}) {
        for (int kind = 0; kind < 5; ++kind) {
            const std::vector<float> row = make_row(V, kind, rng);
            for (const tfk_sampling_params & sp : grid()) {
                const int64_t policy = tfk::detail::sample_top_count(V, sp, TFK_TOPK_MAX_K);
                const int64_t kk = sp.top_k > 0 ? std::min<int64_t>(sp.top_k, V) : 0;
                if ((kk >= 1 && kk <= 64) || V <= 64)
                    EXPECT(policy > 0, "V=%" PRId64 " %s: policy %" PRId64 " should use candidates", V,
                           params_str(sp).c_str(), policy);
                for (int64_t n : {int64_t(1), int64_t(2), int64_t(7), int64_t(64), policy, V}) {
                    if (n < 1 || n > V) continue;
                    std::vector<int32_t> ids;
                    std::vector<float> vals;
                    best_entries(row.data(), V, n, ids, vals);
                    for (int rep = 0; rep < 6; ++rep) {
                        const double u = rep == 0 ? 0.0 : unif(rng);
                        int32_t want = -1, got = -2;
                        const int rc_want = tfk::sample_cpu(row.data(), V, &sp, u, &want);
                        const int rc = tfk::detail::sample_from_top(ids.data(), vals.data(), n, V, sp, u, &got);
                        if (rc == tfk::detail::kNeedRow) {
                            ++need_row;
                            EXPECT(!(n == policy && ((kk >= 1 && kk <= 64) || V <= 64)),
                                   "V=%" PRId64 " kind %d %s n=%" PRId64 ": policy count needs the row", V, kind,
                                   params_str(sp).c_str(), n);
                            EXPECT(got == -2, "kNeedRow wrote the token");
                            continue;
                        }
                        ++decided;
                        EXPECT(rc == rc_want && (rc != TFK_OK || got == want),
                               "V=%" PRId64 " kind %d %s n=%" PRId64 " u=%.17g: sample_from_top rc %d tok %d, sample_cpu rc %d tok %d",
                               V, kind, params_str(sp).c_str(), n, u, rc, got, rc_want, want);
                        ++compared;
                    }
                }
            }
        }
    }
    // Rows without a finite maximum: TFK_ERR_BAD_LOGITS from the candidates alone.
    for (const std::vector<float> & row : {std::vector<float>{kQNaN, kQNaN}, std::vector<float>{-kInf, kQNaN, -kInf},
                                           std::vector<float>{1.0f, kInf, 0.0f}}) {
        const int64_t V = static_cast<int64_t>(row.size());
        std::vector<int32_t> ids;
        std::vector<float> vals;
        best_entries(row.data(), V, 1, ids, vals);
        for (const tfk_sampling_params & sp : grid()) {
            int32_t got = -2;
            const int rc = tfk::detail::sample_from_top(ids.data(), vals.data(), 1, V, sp, 0.5, &got);
            EXPECT(rc == TFK_ERR_BAD_LOGITS && got == -2, "non-finite max %s: rc %d", params_str(sp).c_str(), rc);
        }
    }
    std::printf("  %ld draws decided from the candidates and compared, %ld needed the row\n", compared, need_row);
    EXPECT(decided > 1000 && need_row > 100, "coverage: decided %ld, need_row %ld", decided, need_row);
}

// Emulates the CUDA backend: candidates of every row computed up front (topk_ref), rows on demand.
struct HostRows {
    const float * x;
    int64_t V, stride, K;
    const int32_t * ids;
    const float * vals;
    int tops = 0, rows = 0;
    std::vector<float> buf;
    int top(int32_t u, const int32_t ** i, const float ** v) {
        ++tops;
        *i = ids + static_cast<int64_t>(u) * K;
        *v = vals + static_cast<int64_t>(u) * K;
        return TFK_OK;
    }
    int row(int32_t u, const float ** r) {
        ++rows;
        buf.assign(x + u * stride, x + u * stride + V);
        *r = buf.data();
        return TFK_OK;
    }
};

void test_walk() {
    std::printf("host walk on the emulated CUDA backend == tree_verify_sample_ref\n");
    std::mt19937 rng(11u);
    std::uniform_real_distribution<float> unif(0.0f, 1.0f);
    std::uniform_int_distribution<int> pct(0, 99);
    int cases = 0, descended = 0;
    long rows_copied = 0, rows_visited = 0;
    for (int64_t V : {12, 64, 300, 5000}) {
        for (const tfk_sampling_params & sp : grid()) {
            const int32_t n = cases % 3 == 0 ? 1 : (cases % 3 == 1 ? 9 : 40);
            const int32_t k_cand = cases % 4 == 0 ? 0 : static_cast<int32_t>(std::min<int64_t>(cases % 4 == 1 ? 5 : 64, V));
            const int64_t stride = V + (cases % 2) * 3;
            const int kind = (cases / 5) % 4;
            std::vector<int32_t> tokens(n), parents(n);
            parents[0] = -1;
            for (int32_t i = 0; i < n; ++i) {
                if (i > 0) parents[i] = std::uniform_int_distribution<int32_t>(std::max(0, i - 3), i - 1)(rng);
                tokens[i] = static_cast<int32_t>(std::uniform_int_distribution<int64_t>(0, V - 1)(rng));
            }
            std::vector<float> x(static_cast<size_t>(n) * stride, kInf);  // padding must never be read
            for (int32_t u = 0; u < n; ++u) {
                const std::vector<float> r = make_row(V, kind, rng);
                std::copy(r.begin(), r.end(), x.begin() + u * stride);
                int32_t first = -1;
                for (int32_t c = u + 1; c < n && first < 0; ++c)
                    if (parents[c] == u) first = c;
                if (first >= 0 && pct(rng) < 80) {
                    float m = -kInf;
                    for (float v : r)
                        if (v > m) m = v;
                    x[u * stride + tokens[first]] = m + (kind == 3 ? 0.02f : 3.0f);
                }
            }
            std::vector<float> uni(n);
            for (float & u : uni) {
                u = unif(rng);
                if (u >= 1.0f) u = 0.0f;
            }
            std::vector<int32_t> ref_path(n, -7), ref_cand(static_cast<size_t>(n) * std::max(k_cand, 1), -7);
            int32_t ref_len = -7, ref_bonus = -7;
            int rc = tfk::tree_verify_sample_ref(x.data(), n, V, stride, tokens.data(), parents.data(), k_cand, &sp,
                                                 uni.data(), ref_path.data(), &ref_len, &ref_bonus,
                                                 k_cand ? ref_cand.data() : nullptr);
            EXPECT(rc == TFK_OK, "ref rc %d", rc);
            if (ref_len > 1) ++descended;

            // What tree_verify_sample_cuda does, with topk_ref standing in for topk_cuda.
            const int64_t n_top = tfk::detail::sample_top_count(V, sp, TFK_TOPK_MAX_K);
            const int64_t K = std::max<int64_t>(n_top, k_cand);
            std::vector<int32_t> ids(static_cast<size_t>(n) * std::max<int64_t>(K, 1));
            std::vector<float> vals(ids.size());
            if (K > 0) {
                rc = tfk::topk_ref(x.data(), n, V, stride, static_cast<int>(K), ids.data(), vals.data());
                EXPECT(rc == TFK_OK, "topk_ref rc %d", rc);
            }
            HostRows be{x.data(), V, stride, K, ids.data(), vals.data(), 0, 0, {}};
            std::vector<int32_t> path(n, -7);
            int32_t len = -7, bonus = -7;
            rc = tfk::detail::tree_sample_walk(n, V, tokens.data(), parents.data(), sp, uni.data(), n_top, be, path.data(),
                                               &len, &bonus);
            bool same = rc == TFK_OK && len == ref_len && bonus == ref_bonus &&
                        std::equal(path.begin(), path.begin() + std::max(len, 0), ref_path.begin());
            for (int32_t r = 0; same && r < n; ++r)
                for (int32_t j = 0; j < k_cand; ++j) same = same && ids[r * K + j] == ref_cand[r * k_cand + j];
            EXPECT(same, "walk V=%" PRId64 " n=%d k=%d kind %d %s: rc %d len %d bonus %d vs ref len %d bonus %d", V, n,
                   k_cand, kind, params_str(sp).c_str(), rc, len, bonus, ref_len, ref_bonus);
            const int64_t kk = sp.top_k > 0 ? std::min<int64_t>(sp.top_k, V) : 0;
            if ((kk >= 1 && kk <= 64) || V <= 64)
                EXPECT(be.rows == 0, "V=%" PRId64 " %s: %d rows copied back, want 0", V, params_str(sp).c_str(), be.rows);
            EXPECT(be.rows <= len && be.tops <= len, "more rows fetched (%d, %d) than visited (%d)", be.rows, be.tops, len);
            rows_copied += be.rows;
            rows_visited += len;
            ++cases;
        }
    }
    std::printf("  %d trees, %d accepted >= 1 draft token; %ld of %ld visited rows copied back whole\n", cases, descended,
                rows_copied, rows_visited);
    EXPECT(descended > 60, "too few accepted drafts (%d)", descended);
}

// What tfk::sample_cuda does on one row, with topk_ref standing in for topk_cuda: the policy's
// n_top best entries (none when n_top == 0), detail::sample_row_on on the emulated backend;
// temperature <= 0 is the top-1. Must equal tfk::sample_ref, copying the row back only when needed.
void test_row_sampler() {
    std::printf("row sampler on the emulated CUDA backend == sample_ref\n");
    std::mt19937 rng(23u);
    std::uniform_real_distribution<double> unif(0.0, 1.0);
    std::vector<tfk_sampling_params> params = grid();
    params.push_back({0.0f, 8, 0.9f, 0.05f});  // greedy
    params.push_back({-1.0f, 0, 1.0f, 0.0f});
    long draws = 0, rows_copied = 0;
    for (int64_t V : {1, 5, 40, 64, 65, 300, 3000}) {
        for (int kind = 0; kind < 5; ++kind) {
            const std::vector<float> row = make_row(V, kind, rng);
            for (const tfk_sampling_params & sp : params) {
                const bool greedy = sp.temperature <= 0.0f;
                const int64_t n_top = greedy ? 1 : tfk::detail::sample_top_count(V, sp, TFK_TOPK_MAX_K);
                std::vector<int32_t> ids(static_cast<size_t>(std::max<int64_t>(n_top, 1)));
                std::vector<float> vals(ids.size());
                if (n_top > 0) {
                    const int rc = tfk::topk_ref(row.data(), 1, V, V, static_cast<int>(n_top), ids.data(), vals.data());
                    EXPECT(rc == TFK_OK, "topk_ref rc %d", rc);
                }
                HostRows be{row.data(), V, V, n_top, ids.data(), vals.data(), 0, 0, {}};
                for (int rep = 0; rep < 6; ++rep) {
                    const double u = rep == 0 ? 0.0 : unif(rng);
                    int32_t want = -1, got = -2;
                    const int rc_want = tfk::sample_ref(row.data(), V, &sp, u, &want);
                    const int rc = greedy ? TFK_OK : tfk::detail::sample_row_on(be, 0, V, sp, u, n_top, &got);
                    if (greedy) got = ids[0];
                    EXPECT(rc == rc_want && (rc != TFK_OK || got == want),
                           "V=%" PRId64 " kind %d %s u=%.17g: emulated rc %d tok %d, sample_ref rc %d tok %d", V, kind,
                           params_str(sp).c_str(), u, rc, got, rc_want, want);
                    ++draws;
                }
                const int64_t kk = sp.top_k > 0 ? std::min<int64_t>(sp.top_k, V) : 0;
                if (greedy || (kk >= 1 && kk <= 64) || V <= 64)
                    EXPECT(be.rows == 0, "V=%" PRId64 " %s: %d row copies, want 0", V, params_str(sp).c_str(), be.rows);
                rows_copied += be.rows;
            }
        }
    }
    std::printf("  %ld draws compared, %ld of them sampled from a copied-back row\n", draws, rows_copied);
}

} // namespace

int main() {
    std::printf("tfkernels: host half of tree_verify_sample_cuda and sample_cuda (no GPU needed)\n");
    test_rows();
    test_walk();
    test_row_sampler();
    std::printf("%d checks, %d failures\n", g_checks, g_failures);
    std::printf("%s\n", g_failures == 0 ? "PASS" : "FAIL");
    return g_failures == 0 ? 0 : 1;
}

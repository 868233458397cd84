// Query-aware sparse attention through the facade: with a budget at least as large as the cache every policy gives
// dense attention's logits bit for bit (the masks then equal the layer's own mask); with a small budget the counters
// show fewer K/V rows read than dense, the logits stay finite, and the run is deterministic. Runs under ASan too.
#include "tokenflow.h"
#include "test_util.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

static int g_failures = 0;
#define CHECK(cond) do { if (!(cond)) { std::fprintf(stderr, "FAIL %s:%d: %s (%s)\n", __FILE__, __LINE__, #cond, tf_last_error()); ++g_failures; } } while (0)

static tf_session * open(tf_model * m, int32_t policy, int32_t budget, int32_t dense) {
    tf_session_params p = tf_session_default_params();
    p.n_ctx = 512;
    p.n_batch = 512;
    p.n_ubatch = 512;
    p.n_threads = 2;
    p.n_threads_batch = 2;
    p.sparse_policy = policy;
    p.sparse_budget = budget;
    p.sparse_dense = dense;
    p.sparse_page = 8;
    p.sparse_init = 4;
    p.sparse_local = 8;
    return tf_session_new(m, &p);
}

// Greedy decoding of n tokens after the prompt; returns every step's logits.
static std::vector<std::vector<float>> run(tf_session * s, const std::vector<int32_t> & prompt, int32_t V, int n) {
    std::vector<std::vector<float>> out;
    if (tf_session_decode(s, prompt.data(), (int32_t) prompt.size(), 0, 0, true) != TF_OK) return out;
    int32_t pos = (int32_t) prompt.size();
    for (int i = 0; i < n; ++i) {
        const float * l = tf_session_logits(s);
        if (l == nullptr) break;
        out.emplace_back(l, l + V);
        int32_t best = tft::argmax(l, V);
        if (tf_session_decode(s, &best, 1, pos++, 0, true) != TF_OK) break;
    }
    return out;
}

int main(int argc, char ** argv) {
    if (argc < 2) return 2;
    if (FILE * f = std::fopen(argv[1], "rb")) std::fclose(f); else { std::fprintf(stderr, "sparse_test: model %s not present\n", argv[1]); return 1; }
    tf_log_set(nullptr, 5, nullptr);
    tf_model * m = tft::load_model(argv[1]);
    CHECK(m != nullptr);
    if (!m) return 1;
    const int32_t V = tf_model_n_vocab(m);
    const std::vector<int32_t> prompt = tft::repeated_prompt(m, "Tom and Sue played with the red ball in the park. ", 600);
    CHECK(prompt.size() > 100 && prompt.size() < 400);

    tf_session * dense = open(m, TF_SPARSE_NONE, 256, 0);
    CHECK(dense != nullptr);
    const auto want = run(dense, prompt, V, 16);
    CHECK(want.size() == 16);
    tf_session_free(dense);

    const int32_t policies[3] = {TF_SPARSE_QUEST, TF_SPARSE_TIDAL, TF_SPARSE_TOKENSELECT};
    for (int32_t policy : policies) {
        // Full budget: identical logits.
        tf_session * s = open(m, policy, 100000, 0);
        CHECK(s != nullptr);
        if (!s) continue;
        const auto got = run(s, prompt, V, 16);
        CHECK(got.size() == want.size());
        int same = 0;
        for (size_t i = 0; i < got.size() && i < want.size(); ++i)
            same += std::memcmp(got[i].data(), want[i].data(), sizeof(float) * V) == 0;
        tf_sparse_stats st{};
        CHECK(tf_session_sparse_stats(s, &st, false) == TF_OK);
        std::printf("sparse_test: policy %d, full budget: %d of %zu steps bit-identical to dense; %lld of %lld rows, %lld layers hooked\n",
                    policy, same, got.size(), (long long) st.rows_read, (long long) st.rows_dense, (long long) st.sparse_layers);
        CHECK(same == (int) want.size());
        CHECK(st.sparse_layers > 0);
        CHECK(st.rows_read == st.rows_dense && st.rows_dense > 0);
        tf_session_free(s);

        // Small budget: fewer rows, finite logits, the same result twice.
        std::vector<std::vector<float>> first;
        for (int rep = 0; rep < 2; ++rep) {
            tf_session * t = open(m, policy, 16, 0);
            CHECK(t != nullptr);
            if (!t) break;
            const auto a = run(t, prompt, V, 16);
            CHECK(a.size() == 16);
            bool finite = true;
            for (const auto & row : a) for (float x : row) finite = finite && std::isfinite(x);
            CHECK(finite);
            tf_sparse_stats ts{};
            CHECK(tf_session_sparse_stats(t, &ts, true) == TF_OK);
            if (rep == 0) {
                std::printf("sparse_test: policy %d, budget 16: %lld of %lld rows (%.1f%%), selection %.2f ms\n", policy,
                            (long long) ts.rows_read, (long long) ts.rows_dense, 100.0 * (double) ts.rows_read / (double) ts.rows_dense,
                            (double) ts.select_ns / 1e6);
                CHECK(ts.rows_read < ts.rows_dense / 2);
                first = a;
            } else {
                CHECK(a.size() == first.size());
                for (size_t i = 0; i < a.size() && i < first.size(); ++i) CHECK(a[i] == first[i]);
            }
            tf_sparse_stats zero{};
            CHECK(tf_session_sparse_stats(t, &zero, false) == TF_OK);
            CHECK(zero.rows_read == 0 && zero.rows_dense == 0);
            tf_session_free(t);
        }
    }

    // Refused: sparse attention without flash attention, and bad parameters.
    tf_session_params p = tf_session_default_params();
    p.sparse_policy = TF_SPARSE_QUEST;
    p.flash_attn = TF_FLASH_ATTN_OFF;
    CHECK(tf_session_new(m, &p) == nullptr);
    p.flash_attn = TF_FLASH_ATTN_AUTO;
    p.sparse_budget = 0;
    CHECK(tf_session_new(m, &p) == nullptr);
    p.sparse_budget = 16;
    p.sparse_policy = 7;
    CHECK(tf_session_new(m, &p) == nullptr);
    CHECK(tf_session_sparse_stats(nullptr, nullptr, false) == TF_ERR_ARG);

    tf_model_free(m);
    if (g_failures) return 1;
    std::printf("sparse_test: all checks passed\n");
    return 0;
}

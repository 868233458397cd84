// KV compression plumbing on a real model: attention taps (flash attention off and on give the same scores,
// each window row's attention sums to one), the cell-position patch, eviction by position, decoding after
// eviction, and bad arguments as error codes.
#include "tokenflow.h"
#include "test_util.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

static int g_failures = 0;
#define CHECK(cond) do { if (!(cond)) { std::fprintf(stderr, "FAIL %s:%d: %s (%s)\n", __FILE__, __LINE__, #cond, tf_last_error()); ++g_failures; } } while (0)

namespace {

constexpr int32_t kWindow = 8;

struct layer_scores {
    std::vector<int32_t> pos;
    std::vector<float> a;  // n_head x m
    int32_t n_head = 0;
};

// Prefill all but the window, then the window with every layer armed; return each layer's scores.
std::vector<layer_scores> score_prompt(tf_model * m, int32_t flash_attn, const std::vector<int32_t> & toks) {
    const int32_t n = static_cast<int32_t>(toks.size());
    const int32_t n_layer = tf_model_n_layer(m);
    std::vector<layer_scores> out;
    tf_session * s = tft::new_session(m, 256, 64, 64, 1, flash_attn, 0, true);
    CHECK(s != nullptr);
    if (!s) return out;
    CHECK(tf_session_decode(s, toks.data(), n - kWindow, 0, 0, false) == TF_OK);
    std::vector<int32_t> layers(static_cast<size_t>(n_layer));
    for (int32_t l = 0; l < n_layer; ++l) layers[static_cast<size_t>(l)] = l;
    CHECK(tf_session_kv_arm(s, layers.data(), n_layer, 2) == TF_OK);
    CHECK(tf_session_decode(s, toks.data() + n - kWindow, kWindow, n - kWindow, 0, true) == TF_OK);
    CHECK(tf_session_kv_score_ms(s) > 0.0);
    for (int32_t l = 0; l < n_layer; ++l) {
        layer_scores ls;
        const int32_t cnt = tf_session_kv_scores(s, l, 0, -1, nullptr, nullptr, 0, &ls.n_head);
        CHECK(cnt == n);
        if (cnt != n) break;
        ls.pos.resize(static_cast<size_t>(cnt));
        ls.a.resize(static_cast<size_t>(ls.n_head) * cnt);
        CHECK(tf_session_kv_scores(s, l, 0, -1, ls.pos.data(), ls.a.data(), cnt, &ls.n_head) == cnt);
        out.push_back(std::move(ls));
    }
    tf_session_free(s);
    return out;
}

} // namespace

int main(int argc, char ** argv) {
    if (argc < 2) { std::fprintf(stderr, "usage: kv_test MODEL\n"); return 2; }
    if (FILE * f = std::fopen(argv[1], "rb")) { std::fclose(f); } else {
        std::fprintf(stderr, "kv_test: model %s not present (committed under tests/models)\n", argv[1]);
        return 1;
    }
    tf_log_set(nullptr, 5, nullptr);
    tf_model * m = tft::load_model(argv[1]);
    CHECK(m != nullptr);
    if (!m) return 1;
    const std::string text = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. "
                             "One day, she saw a big, red ball. She wanted to play with it.";
    std::vector<int32_t> toks(256);
    const int32_t n = tf_tokenize(m, text.data(), static_cast<int32_t>(text.size()), toks.data(), 256, true, false);
    CHECK(n > 3 * kWindow);
    toks.resize(static_cast<size_t>(n));

    const std::vector<layer_scores> off = score_prompt(m, 0, toks);
    const std::vector<layer_scores> on = score_prompt(m, 1, toks);
    CHECK(off.size() == static_cast<size_t>(tf_model_n_layer(m)) && on.size() == off.size());
    // Layer 0 sees identical Q and K with flash attention on and off; deeper layers see the output of the
    // (lower-precision) CPU flash-attention kernel in earlier layers, so only layer 0 must agree tightly.
    double max_rel = 0.0, max_rel_deep = 0.0;
    for (size_t l = 0; l < off.size() && l < on.size(); ++l) {
        const layer_scores & a = off[l];
        CHECK(a.n_head == tf_model_n_head(m));
        for (int32_t i = 0; i < n; ++i) CHECK(a.pos[static_cast<size_t>(i)] == i);
        double total = 0.0;
        for (float v : a.a) { CHECK(v >= 0.0f); total += v; }
        // Every window row's softmax sums to one, for every head.
        CHECK(std::fabs(total - static_cast<double>(a.n_head) * kWindow) < 1e-3);
        // Causality: window row r sees positions <= n - kWindow + r only, so the last position gets one row's mass
        // at most per head, and the first window position gets at most kWindow rows.
        for (int32_t h = 0; h < a.n_head; ++h) CHECK(a.a[static_cast<size_t>(h) * n + (n - 1)] <= 1.0f + 1e-6f);
        // Flash attention on: same Q, same F32 cache, F16 mask of 0/-inf: the same scores.
        for (size_t i = 0; i < a.a.size() && i < on[l].a.size(); ++i) {
            const double d = std::fabs(static_cast<double>(a.a[i]) - on[l].a[i]);
            const double rel = d / std::max(1e-3, std::fabs(static_cast<double>(a.a[i])));
            if (l == 0) max_rel = std::max(max_rel, rel); else max_rel_deep = std::max(max_rel_deep, rel);
        }
    }
    std::printf("kv_test: flash attention on vs off, max relative score difference: layer 0 %.3g, deeper layers %.3g\n",
                max_rel, max_rel_deep);
    CHECK(max_rel < 1e-5);
    CHECK(max_rel_deep < 5e-2);

    // Eviction by position: cells, positions and decoding afterwards.
    tf_session * s = tft::new_session(m, 256, 64, 64, 1, 0, 0, true);
    CHECK(s != nullptr);
    if (!s) return 1;
    CHECK(tf_session_decode(s, toks.data(), n, 0, 0, true) == TF_OK);
    CHECK(tf_session_kv_cells(s, 0, nullptr, 0) == n);
    CHECK(tf_memory_seq_rm(s, 0, 4, 20));
    std::vector<int32_t> pos(256);
    const int32_t kept = tf_session_kv_cells(s, 0, pos.data(), 256);
    CHECK(kept == n - 16);
    for (int32_t i = 0; i < kept; ++i) CHECK(pos[static_cast<size_t>(i)] < 4 || pos[static_cast<size_t>(i)] >= 20);
    CHECK(std::is_sorted(pos.begin(), pos.begin() + kept));
    // Decoding continues at the next position; scoring after eviction sees only the kept cells.
    const int32_t layer0 = 0;
    CHECK(tf_session_kv_arm(s, &layer0, 1, 1) == TF_OK);
    CHECK(tf_session_decode(s, toks.data(), 1, n, 0, true) == TF_OK);
    CHECK(tf_session_kv_cells(s, 0, nullptr, 0) == n - 15);
    int32_t nh = 0;
    const int32_t below = tf_session_kv_scores(s, 0, 0, n, nullptr, nullptr, 0, &nh);
    CHECK(below == n - 16);
    std::vector<int32_t> p2(static_cast<size_t>(below));
    std::vector<float> a2(static_cast<size_t>(nh) * below);
    CHECK(tf_session_kv_scores(s, 0, 0, n, p2.data(), a2.data(), below, &nh) == below);
    double total = 0.0;
    for (float v : a2) total += v;
    CHECK(total > 0.0 && total <= nh + 1e-3);  // one row; the new token's own cell (position n) is excluded
    CHECK(tf_session_kv_cell_bytes(s) == static_cast<int64_t>(tf_model_n_layer(m)) * 2 * 4 *
                                             (tf_model_n_embd(m) / tf_model_n_head(m)) * tf_model_n_head_kv(m));

    // Bad arguments.
    const int32_t bad_layer = tf_model_n_layer(m);
    CHECK(tf_session_kv_arm(s, &bad_layer, 1, 1) == TF_ERR_ARG);
    const int32_t twice[2] = {0, 0};
    CHECK(tf_session_kv_arm(s, twice, 2, 1) == TF_ERR_ARG);
    CHECK(tf_session_kv_scores(s, 3, 0, -1, nullptr, nullptr, 0, nullptr) == TF_ERR_ARG);
    CHECK(tf_session_kv_arm(s, &layer0, 1, 1) == TF_OK);  // re-armed, nothing decoded yet
    CHECK(tf_session_kv_scores(s, 0, 0, -1, nullptr, nullptr, 0, nullptr) == TF_ERR_NATIVE);
    tf_session_free(s);
    tf_session * plain = tft::new_session(m, 256, 64, 64, 1, 0, 0, false);
    CHECK(plain != nullptr && tf_session_kv_arm(plain, &layer0, 1, 1) == TF_ERR_ARG);
    tf_session_free(plain);
    tf_model_free(m);
    if (g_failures) { std::fprintf(stderr, "kv_test: %d failures\n", g_failures); return 1; }
    std::printf("kv_test: ok\n");
    return 0;
}

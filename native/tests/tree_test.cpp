// Token trees through the facade: a tree decoded in one batch gives the same logits as sequential decoding,
// greedy verification accepts the true continuation, and after committing the accepted path the cache
// holds exactly prefix + path (later logits still match a plain run).
#include "tokenflow.h"
#include "test_util.h"

#include <cmath>
#include <cstdio>
#include <vector>

static int g_failures = 0;
#define CHECK(cond) do { if (!(cond)) { std::fprintf(stderr, "FAIL %s:%d: %s (%s)\n", __FILE__, __LINE__, #cond, tf_last_error()); ++g_failures; } } while (0)

static std::vector<float> row(const float * p, int32_t i, int32_t v) { return std::vector<float>(p + (size_t) i * v, p + (size_t) (i + 1) * v); }

static float max_rel_diff(const std::vector<float> & a, const std::vector<float> & b) {
    float m = 0, scale = 1e-6f;
    for (float x : a) scale = std::max(scale, std::fabs(x));
    for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]) / scale);
    return m;
}

static int32_t argmax(const std::vector<float> & r) {
    int32_t b = 0;
    for (int32_t i = 1; i < (int32_t) r.size(); ++i) if (r[i] > r[b]) b = i;
    return b;
}

int main(int argc, char ** argv) {
    if (argc < 2) return 2;
    if (FILE * f = std::fopen(argv[1], "rb")) std::fclose(f); else { std::fprintf(stderr, "tree_test: model %s not present\n", argv[1]); return 1; }
    tf_log_set(nullptr, 5, nullptr);
    tf_model * m = tft::load_model(argv[1]);
    CHECK(m != nullptr);
    if (!m) return 1;
    const int32_t V = tf_model_n_vocab(m);
    const char * text = "Once upon a time";
    std::vector<int32_t> prompt(32);
    prompt.resize(tf_tokenize(m, text, 16, prompt.data(), 32, true, true));

    // Reference: plain sequential greedy decoding, F32 KV cache, keeping every step's logits.
    tf_session * ref = tft::new_session(m, 128, 64, 64, 1, 0, 0, false);
    CHECK(tf_session_decode(ref, prompt.data(), (int32_t) prompt.size() - 1, 0, 0, false) == TF_OK);
    std::vector<int32_t> seq = {prompt.back()};
    std::vector<std::vector<float>> ref_logits;
    int32_t pos = (int32_t) prompt.size() - 1;
    for (int i = 0; i < 6; ++i) {
        CHECK(tf_session_decode(ref, &seq.back(), 1, pos++, 0, true) == TF_OK);
        ref_logits.push_back(row(tf_session_logits(ref), 0, V));
        seq.push_back(argmax(ref_logits.back()));
    }

    // Tree: root = last prompt token; chain of the true continuation (nodes 1,2,3) plus wrong siblings.
    tf_session * s = tft::new_session(m, 128, 64, 64, 1, 0, 0, false);
    CHECK(tf_session_decode(s, prompt.data(), (int32_t) prompt.size() - 1, 0, 0, false) == TF_OK);
    const int32_t wrong = (seq[1] + 7) % V;
    std::vector<int32_t> toks = {seq[0], wrong, seq[1], seq[2], (seq[2] + 3) % V, seq[3]};
    std::vector<int32_t> par  = {-1,     0,     0,      2,      2,               3};
    const int32_t pos0 = (int32_t) prompt.size() - 1;
    CHECK(tf_session_decode_tree(s, toks.data(), par.data(), (int32_t) toks.size(), pos0) == TF_OK);
    const float * tl = tf_session_tree_logits(s);
    CHECK(tl != nullptr);
    // Node 0 ~ step 0, node 2 ~ step 1, node 3 ~ step 2, node 5 ~ step 3.
    const int32_t on_path[4] = {0, 2, 3, 5};
    for (int j = 0; j < 4; ++j) {
        const float d = max_rel_diff(row(tl, on_path[j], V), ref_logits[j]);
        if (d > 1e-4f) std::fprintf(stderr, "node %d differs by %g\n", on_path[j], d);
        CHECK(d <= 1e-4f);
    }
    std::vector<int32_t> path(6), cands(6 * 8);
    tf_verify_out vo{8, 1, path.data(), 0, -1, cands.data()};
    CHECK(tf_session_verify_greedy(s, &vo) == TF_OK);
    const int32_t len = vo.n_path, bonus = vo.bonus;
    CHECK(len == 4 && path[1] == 2 && path[2] == 3 && path[3] == 5);
    CHECK(bonus == seq[4]);
    CHECK(cands[0] == seq[1]);
    CHECK(tf_session_commit_path(s, path.data(), len) == TF_OK);
    CHECK(tf_memory_pos_max(s, 0) == pos0 + len - 1);
    // After the commit, decoding the bonus gives the reference's next logits.
    CHECK(tf_session_decode(s, &bonus, 1, pos0 + len, 0, true) == TF_OK);
    const float d = max_rel_diff(row(tf_session_logits(s), 0, V), ref_logits[4]);
    std::printf("tree_test: post-commit logits differ by %g (relative to max |logit|)\n", d);
    CHECK(d <= 1e-4f);

    // Bad trees are refused.
    const int32_t badpar[2] = {-1, 1};
    CHECK(tf_session_decode_tree(s, toks.data(), badpar, 2, pos0 + len + 1) == TF_ERR_ARG);
    CHECK(tf_session_decode_tree(s, toks.data(), par.data(), 6, pos0) == TF_ERR_ARG);  // not after the cache
    CHECK(tf_session_commit_path(s, path.data(), len) == TF_ERR_ARG);                  // nothing to commit

    tf_session_free(s);
    tf_session_free(ref);
    tf_model_free(m);
    if (g_failures) return 1;
    std::printf("tree_test: all checks passed\n");
    return 0;
}

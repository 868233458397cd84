// Batch invariance (tf_session_params.batch_invariant, the default): every row of a token tree gets bit for bit the
// logits one-token decoding gives, and after the accepted path is committed (moved into position order in the
// cache) later steps still match bit for bit. The prompt is long enough (> 512 cells) that plain one-token decoding
// would take flash attention's split-KV path, and trees have more rows than llamafile's tiles need. Without the
// mode the same run differs: the test shows the mode is what makes greedy speculation exactly lossless.
#include "tokenflow.h"
#include "test_util.h"

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

static int g_failures = 0;
#define CHECK(cond) do { if (!(cond)) { std::fprintf(stderr, "FAIL %s:%d: %s (%s)\n", __FILE__, __LINE__, #cond, tf_last_error()); ++g_failures; } } while (0)

static tf_session * open(tf_model * m, bool invariant) {
    tf_session_params p = tf_session_default_params();  // F16 KV cache, flash attention auto: what users run
    p.n_ctx = 1024;
    p.n_batch = 1024;
    p.n_ubatch = 512;
    p.n_threads = 2;
    p.n_threads_batch = 2;
    p.n_seq_max = 8;
    p.batch_invariant = invariant;
    return tf_session_new(m, &p);
}

struct run_result {
    int rows = 0;       // tree rows compared with the one-token reference
    int identical = 0;  // of which bit for bit equal
};

// Greedy decoding by trees whose true continuation is surrounded by wrong siblings (so the accepted path's cells
// have holes between them), compared row by row with the reference logits.
static run_result speculate(tf_model * m, bool invariant, const std::vector<int32_t> & prompt, const std::vector<int32_t> & seq,
                            const std::vector<std::vector<float>> & ref, int32_t V) {
    run_result r;
    tf_session * s = open(m, invariant);
    CHECK(s != nullptr);
    if (!s) return r;
    const int32_t n_prompt = (int32_t) prompt.size();
    CHECK(tf_session_decode(s, prompt.data(), n_prompt - 1, 0, 0, false) == TF_OK);
    size_t step = 0;  // seq[step] is the root (emitted, not cached); ref[step] its logits
    std::vector<int32_t> path(16), cands(16);
    while (step + 3 < seq.size()) {
        const int32_t pos0 = n_prompt - 1 + (int32_t) step;
        // root, wrong, true1, wrong, true2, true3 (a chain of three true tokens with decoys at depths 1 and 2)
        const int32_t a = seq[step + 1], b = seq[step + 2], c = seq[step + 3];
        std::vector<int32_t> toks = {seq[step], (a + 11) % V, a, (b + 5) % V, b, c};
        std::vector<int32_t> par  = {-1,        0,            0, 2,           2, 4};
        CHECK(tf_session_decode_tree(s, toks.data(), par.data(), (int32_t) toks.size(), pos0) == TF_OK);
        const float * tl = tf_session_tree_logits(s);
        CHECK(tl != nullptr);
        if (!tl) break;
        const int32_t on_path[4] = {0, 2, 4, 5};
        for (int j = 0; j < 4 && step + j < ref.size(); ++j) {
            ++r.rows;
            if (std::memcmp(tl + (size_t) on_path[j] * V, ref[step + j].data(), sizeof(float) * V) == 0) ++r.identical;
        }
        tf_verify_out vo{1, 1, path.data(), 0, -1, cands.data()};
        CHECK(tf_session_verify_greedy(s, &vo) == TF_OK);
        // Commit the true chain (root, true1, true2): greedy verification may stop earlier when rows differ.
        const int32_t commit[3] = {0, 2, 4};
        CHECK(tf_session_commit_path(s, commit, 3) == TF_OK);
        step += 3;
    }
    if (invariant) CHECK(tf_session_batch_invariant(s) == 1);
    tf_session_free(s);
    return r;
}

int main(int argc, char ** argv) {
    if (argc < 2) return 2;
    if (FILE * f = std::fopen(argv[1], "rb")) std::fclose(f); else { std::fprintf(stderr, "invariance_test: model %s not present\n", argv[1]); return 1; }
    tf_log_set(nullptr, 5, nullptr);
    tf_model * m = tft::load_model(argv[1]);
    CHECK(m != nullptr);
    if (!m) return 1;
    const int32_t V = tf_model_n_vocab(m);
    const std::vector<int32_t> prompt =
        tft::repeated_prompt(m, "Lily and Ben went to the park. They played with a red ball and a big dog. ", 1700);
    std::printf("invariance_test: prompt of %zu tokens\n", prompt.size());
    CHECK(prompt.size() > 560 && prompt.size() < 900);

    // Reference: one token at a time, greedy, keeping every step's logits.
    tf_session * ref = open(m, true);
    CHECK(ref != nullptr);
    if (!ref) return 1;
    const int32_t n_prompt = (int32_t) prompt.size();
    CHECK(tf_session_decode(ref, prompt.data(), n_prompt - 1, 0, 0, false) == TF_OK);
    std::vector<int32_t> seq = {prompt.back()};
    std::vector<std::vector<float>> ref_logits;
    for (int i = 0; i < 40; ++i) {
        CHECK(tf_session_decode(ref, &seq.back(), 1, n_prompt - 1 + i, 0, true) == TF_OK);
        const float * l = tf_session_logits(ref);
        ref_logits.emplace_back(l, l + V);
        seq.push_back(tft::argmax(l, V));
    }
    tf_session_free(ref);

    const run_result on = speculate(m, true, prompt, seq, ref_logits, V);
    std::printf("invariance_test: batch-invariant: %d of %d tree rows bit-identical to one-token decoding\n", on.identical, on.rows);
    CHECK(on.rows >= 40 && on.identical == on.rows);

    // The same run without the mode: llamafile's tiles and the tiled/split flash attention sum in other orders.
    const run_result off = speculate(m, false, prompt, seq, ref_logits, V);
    std::printf("invariance_test: fastest kernels:  %d of %d tree rows bit-identical\n", off.identical, off.rows);
    CHECK(off.identical < off.rows);

    tf_model_free(m);
    if (g_failures) return 1;
    std::printf("invariance_test: all checks passed\n");
    return 0;
}

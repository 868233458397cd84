// tf_session_params.device_logits, tested both ways: a token tree's logits read in place from llama.cpp's output
// tensor (the switch on: CPU buffer here, GPU memory with offloaded layers) and from llama.cpp's host copy (off) give
// the same rows, the same greedy and sampled verifications and the same candidates; a tree larger than the
// micro-batch falls back to the host copy; a decode after the tree's makes its logits unavailable, both ways.
#include "tokenflow.h"
#include "test_util.h"

#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

static int g_failures = 0;
#define CHECK(cond) do { if (!(cond)) { std::fprintf(stderr, "FAIL %s:%d: %s (%s)\n", __FILE__, __LINE__, #cond, tf_last_error()); ++g_failures; } } while (0)

namespace {

struct verdict {
    int32_t rc = 0, len = 0, bonus = -1;
    std::vector<int32_t> path, cands;
    bool operator==(const verdict & o) const {
        return rc == o.rc && len == o.len && bonus == o.bonus && path == o.path && cands == o.cands;
    }
};

tf_session * session(tf_model * m, bool device_logits, uint32_t n_ubatch) {
    tf_session_params p = tf_session_default_params();
    p.n_ctx = 256;
    p.n_batch = 64;
    p.n_ubatch = n_ubatch;
    p.n_threads = 2;
    p.n_threads_batch = 2;
    p.device_logits = device_logits;
    return tf_session_new(m, &p);
}

// Greedy (sp == NULL) or sampled verification of the last tree with k candidates per node.
verdict verify(tf_session * s, int32_t n, int32_t k, const tf_sampler_params * sp, const float * uniforms) {
    verdict v;
    v.path.assign((size_t) n, -1);
    v.cands.assign((size_t) n * (size_t) k, -1);
    tf_verify_out out{k, 1, v.path.data(), 0, -1, k > 0 ? v.cands.data() : nullptr};
    v.rc = sp == nullptr ? tf_session_verify_greedy(s, &out) : tf_session_verify_sample(s, sp, uniforms, &out);
    v.len = out.n_path;
    v.bonus = out.bonus;
    v.path.resize(v.rc == TF_OK ? (size_t) v.len : 0);
    return v;
}

} // namespace

int main(int argc, char ** argv) {
    if (argc < 2) return 2;
    if (FILE * f = std::fopen(argv[1], "rb")) std::fclose(f); else { std::fprintf(stderr, "device_logits_test: model %s not present\n", argv[1]); return 1; }
    tf_log_set(nullptr, 5, nullptr);
    tf_model * m = tft::load_model(argv[1]);
    CHECK(m != nullptr);
    if (!m) return 1;
    const int32_t V = tf_model_n_vocab(m);
    const std::vector<int32_t> prompt = tft::repeated_prompt(m, "The little robot counted the stars one by one. ", 120);
    const int32_t n_prompt = (int32_t) prompt.size() - 1;  // the last token is the tree's root
    CHECK(n_prompt > 8 && n_prompt + 40 < 256);

    tf_session_params defaults = tf_session_default_params();
    CHECK(defaults.device_logits);

    // [0]: the host copy; [1]: in place; [2]: in place asked for, but the 48-node trees exceed its 32-token micro-batch.
    tf_session * s[3] = {session(m, false, 64), session(m, true, 64), session(m, true, 32)};
    for (tf_session * x : s) {
        CHECK(x != nullptr);
        if (!x) return 1;
        CHECK(tf_session_decode(x, prompt.data(), n_prompt, 0, 0, false) == TF_OK);
    }

    // The greedy continuation after the prompt, planted in every tree so that greedy walks accept drafts.
    std::vector<int32_t> cont;
    {
        tf_session * r = session(m, false, 64);
        CHECK(r != nullptr && tf_session_decode(r, prompt.data(), (int32_t) prompt.size(), 0, 0, true) == TF_OK);
        for (int i = 0; r != nullptr && i < 6; ++i) {
            cont.push_back(tft::argmax(tf_session_logits(r), V));
            CHECK(tf_session_decode(r, &cont.back(), 1, (int32_t) prompt.size() + i, 0, true) == TF_OK);
        }
        tf_session_free(r);
    }

    std::mt19937 rng(1234);
    const tf_sampler_params greedy_like = [] { tf_sampler_params p = tf_sampler_default_params(); return p; }();
    int compared = 0, accepted = 0;
    for (int round = 0; round < 6; ++round) {
        // A random tree of 48 nodes over plausible and random tokens; node 0 is the root.
        const int32_t n = 48;
        std::vector<int32_t> toks((size_t) n), par((size_t) n);
        toks[0] = prompt.back();
        par[0] = -1;
        for (int32_t i = 1; i < n; ++i) {
            par[(size_t) i] = (int32_t) (rng() % (uint32_t) i);
            toks[(size_t) i] = (rng() % 2 == 0) ? prompt[(size_t) (rng() % prompt.size())] : (int32_t) (rng() % (uint32_t) V);
        }
        // A chain of the first 1 + round % 6 greedy tokens at nodes 1.. (node i's parent: node i - 1).
        for (int32_t i = 1; i <= 1 + round % 6 && i < n && (size_t) i <= cont.size(); ++i) {
            par[(size_t) i] = i - 1;
            toks[(size_t) i] = cont[(size_t) i - 1];
        }
        for (tf_session * x : s) CHECK(tf_session_decode_tree(x, toks.data(), par.data(), n, n_prompt) == TF_OK);

        // The same rows both ways (the same arithmetic: bit for bit).
        const float * rows[3];
        for (int i = 0; i < 3; ++i) rows[i] = tf_session_tree_logits(s[i]);
        CHECK(rows[0] != nullptr && rows[1] != nullptr && rows[2] != nullptr);
        if (rows[0] && rows[1] && rows[2]) {
            CHECK(std::memcmp(rows[0], rows[1], sizeof(float) * (size_t) n * (size_t) V) == 0);
            CHECK(std::memcmp(rows[0], rows[2], sizeof(float) * (size_t) n * (size_t) V) == 0);
        }

        // Greedy and sampled verifications (several chains, fresh uniforms), with and without candidates.
        std::vector<float> uniforms((size_t) n);
        for (float & u : uniforms) u = std::uniform_real_distribution<float>(0.0f, 0.999f)(rng);
        tf_sampler_params chains[3] = {greedy_like, greedy_like, greedy_like};
        chains[0].temperature = 0.8f; chains[0].top_k = 40; chains[0].top_p = 0.95f; chains[0].min_p = 0.05f;
        chains[1].temperature = 1.0f; chains[1].top_k = 0; chains[1].top_p = 1.0f; chains[1].min_p = 0.0f;
        chains[2].temperature = 0.0f;
        for (int32_t k : {0, 8}) {
            const verdict g0 = verify(s[0], n, k, nullptr, nullptr);
            CHECK(g0.rc == TF_OK);
            accepted += g0.len - 1;
            for (int i = 1; i < 3; ++i) CHECK(verify(s[i], n, k, nullptr, nullptr) == g0);
            for (const tf_sampler_params & c : chains) {
                const verdict v0 = verify(s[0], n, k, &c, uniforms.data());
                CHECK(v0.rc == TF_OK);
                for (int i = 1; i < 3; ++i) CHECK(verify(s[i], n, k, &c, uniforms.data()) == v0);
                ++compared;
            }
        }
        // Bad arguments fail the same way: a candidate count over 64, a uniform outside [0, 1).
        CHECK(verify(s[0], n, 65, nullptr, nullptr).rc == TF_ERR_ARG);
        CHECK(verify(s[1], n, 65, nullptr, nullptr).rc == TF_ERR_ARG);
        std::vector<float> bad = uniforms;
        bad[0] = 1.5f;
        CHECK(verify(s[1], n, 0, &chains[0], bad.data()).rc == TF_ERR_ARG);

        // Keep the greedy path everywhere, so the caches stay equal.
        const verdict keep = verify(s[0], n, 0, nullptr, nullptr);
        for (tf_session * x : s) CHECK(tf_session_commit_path(x, keep.path.data(), keep.len) == TF_OK);
        for (tf_session * x : s) CHECK(tf_memory_seq_rm(x, 0, n_prompt, -1));  // back to the prompt for the next tree
    }

    // A decode after the tree's replaces its logits: refused both ways, never stale rows.
    for (int i = 0; i < 2; ++i) {
        const int32_t toks[2] = {prompt.back(), prompt[0]}, par[2] = {-1, 0};
        CHECK(tf_session_decode_tree(s[i], toks, par, 2, n_prompt) == TF_OK);
        CHECK(tf_session_decode(s[i], &prompt.back(), 1, n_prompt, 0, true) == TF_OK);  // the root into sequence 0
        CHECK(verify(s[i], 2, 0, nullptr, nullptr).rc == TF_ERR_ARG);
        CHECK(tf_session_tree_logits(s[i]) == nullptr);
        CHECK(tf_memory_seq_rm(s[i], 0, n_prompt, -1));
    }

    CHECK(accepted > 0);
    std::printf("device_logits_test: %d verifications compared across 3 sessions (host copy, in place, fallback); "
                "%d draft tokens accepted greedily\n", compared, accepted);
    for (tf_session * x : s) tf_session_free(x);
    tf_model_free(m);
    if (g_failures) return 1;
    std::printf("device_logits_test: all checks passed\n");
    return 0;
}

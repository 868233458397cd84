// Continuous batching (tf_session_decode_rows, one KV stream per sequence): with batch_invariant each row of a
// many-sequence batch gets bit for bit the logits of the same sequence decoded alone, with the per-row dot products
// and with llamafile's tiles (invariant_tiles, patch 0008); sequences join and leave between steps. Without the mode
// the rows of a full batch take other sums. Mixed batches (tf_session_decode_batch: prompt chunks beside other
// sequences' rows) are exact too. Also: argument checks, and pooled embeddings.
#include "tokenflow.h"
#include "test_util.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

static int g_failures = 0;
#define CHECK(cond) do { if (!(cond)) { std::fprintf(stderr, "FAIL %s:%d: %s (%s)\n", __FILE__, __LINE__, #cond, tf_last_error()); ++g_failures; } } while (0)

static const int kSeqs = 4, kSteps = 24;

static tf_session * open(tf_model * m, bool invariant, bool tiles) {
    tf_session_params p = tf_session_default_params();  // F16 KV cache, flash attention auto
    p.n_ctx = 1024;
    p.n_batch = 256;
    p.n_ubatch = 256;
    p.n_threads = 2;
    p.n_threads_batch = 2;
    p.n_seq_max = kSeqs;
    p.batch_invariant = invariant;
    p.invariant_tiles = tiles;
    p.seq_streams = true;
    return tf_session_new(m, &p);
}

// Greedy continuations of every prompt; logits[s][i] = row logits of sequence s at step i. Together: all sequences
// in one batch per step, sequence s joining at step s (so batches grow 1..4 rows); alone: one sequence per batch.
static std::vector<std::vector<std::vector<float>>> run(tf_model * m, bool invariant, bool tiles, bool together,
                                                        const std::vector<std::vector<int32_t>> & prompts) {
    const int32_t V = tf_model_n_vocab(m);
    std::vector<std::vector<std::vector<float>>> out(kSeqs);
    tf_session * s = open(m, invariant, tiles);
    CHECK(s != nullptr);
    if (!s) return out;
    std::vector<int32_t> next(kSeqs), pos(kSeqs);
    for (int q = 0; q < kSeqs; ++q) {
        const int32_t n = (int32_t) prompts[q].size();
        CHECK(tf_session_decode(s, prompts[q].data(), n - 1, 0, q, false) == TF_OK);
        next[q] = prompts[q].back();
        pos[q] = n - 1;
    }
    // the schedule: together, sequence q decodes its step i at global step q + i; alone, one after another
    const int n_global = together ? kSteps + kSeqs - 1 : kSteps * kSeqs;
    for (int step = 0; step < n_global; ++step) {
        std::vector<int32_t> toks, ps, seqs;
        for (int q = 0; q < kSeqs; ++q) {
            const int i = together ? step - q : step - q * kSteps;  // this sequence's own step
            if (i < 0 || i >= kSteps) continue;
            toks.push_back(next[q]);
            ps.push_back(pos[q]);
            seqs.push_back(q);
        }
        CHECK(!toks.empty() && (together || toks.size() == 1));
        if (toks.empty()) break;
        CHECK(tf_session_decode_rows(s, toks.data(), ps.data(), seqs.data(), (int32_t) toks.size()) == TF_OK);
        for (size_t r = 0; r < toks.size(); ++r) {
            const float * l = tf_session_row_logits(s, (int32_t) r);
            CHECK(l != nullptr);
            if (!l) break;
            const int q = seqs[r];
            out[q].emplace_back(l, l + V);
            next[q] = tft::argmax(l, V);
            ++pos[q];
        }
    }
    tf_session_free(s);
    return out;
}

// Mixed batches (tf_session_decode_batch): sequence q joins at step q, its prompt cut into chunks of chunk[q] tokens
// that ride in the same batches as the other sequences' generated rows. Returns, per sequence, the logits of its prompt's
// last token and of each generated row; alone: each sequence in a session of its own, prompt in one call.
static std::vector<std::vector<std::vector<float>>> run_mixed(tf_model * m, bool together,
                                                              const std::vector<std::vector<int32_t>> & prompts,
                                                              const int * chunk) {
    const int32_t V = tf_model_n_vocab(m);
    const int kGen = 8;
    std::vector<std::vector<std::vector<float>>> out(kSeqs);
    auto params = [] {
        tf_session_params p = tf_session_default_params();
        p.n_ctx = 1024;
        p.n_batch = p.n_ubatch = 256;
        p.n_threads = p.n_threads_batch = 2;
        p.n_seq_max = kSeqs;
        p.batch_invariant = p.invariant_tiles = p.invariant_prompts = p.seq_streams = true;
        return p;
    };
    if (!together) {
        for (int q = 0; q < kSeqs; ++q) {
            tf_session_params p = params();
            tf_session * s = tf_session_new(m, &p);
            CHECK(s != nullptr);
            if (!s) return out;
            const int32_t n = (int32_t) prompts[q].size();
            CHECK(tf_session_decode(s, prompts[q].data(), n, 0, q, true) == TF_OK);
            const float * l = tf_session_logits(s);
            CHECK(l != nullptr);
            if (!l) break;
            out[q].emplace_back(l, l + V);
            int32_t t = tft::argmax(l, V), pos = n;
            for (int i = 0; i < kGen; ++i, ++pos) {
                CHECK(tf_session_decode_rows(s, &t, &pos, &q, 1) == TF_OK);
                l = tf_session_row_logits(s, 0);
                CHECK(l != nullptr);
                if (!l) break;
                out[q].emplace_back(l, l + V);
                t = tft::argmax(l, V);
            }
            tf_session_free(s);
        }
        return out;
    }
    tf_session_params p = params();
    tf_session * s = tf_session_new(m, &p);
    CHECK(s != nullptr);
    if (!s) return out;
    std::vector<int32_t> filled(kSeqs, 0), next(kSeqs, -1), pos(kSeqs, 0), generated(kSeqs, 0);
    for (int step = 0; step < 64; ++step) {
        std::vector<int32_t> toks, ps, seqs, owner;
        std::vector<int8_t> want;
        for (int q = 0; q < kSeqs; ++q) {
            const int32_t n = (int32_t) prompts[q].size();
            if (step < q || generated[q] > kGen) continue;
            if (filled[q] < n) {
                const int32_t g = std::min(chunk[q], n - filled[q]);
                for (int32_t j = 0; j < g; ++j) {
                    toks.push_back(prompts[q][filled[q] + j]);
                    ps.push_back(filled[q] + j);
                    seqs.push_back(q);
                    want.push_back(filled[q] + j == n - 1 ? 1 : 0);
                }
                filled[q] += g;
                pos[q] = filled[q];
            } else if (generated[q] <= kGen && next[q] >= 0) {
                toks.push_back(next[q]);
                ps.push_back(pos[q]++);
                seqs.push_back(q);
                want.push_back(1);
            }
        }
        if (toks.empty()) break;
        CHECK(tf_session_decode_batch(s, toks.data(), ps.data(), seqs.data(), want.data(), (int32_t) toks.size()) == TF_OK);
        for (size_t r = 0; r < toks.size(); ++r) {
            const float * l = tf_session_row_logits(s, (int32_t) r);
            CHECK((l != nullptr) == (want[r] != 0));
            if (!l || !want[r]) continue;
            const int q = seqs[r];
            out[q].emplace_back(l, l + V);
            next[q] = tft::argmax(l, V);
            ++generated[q];
        }
    }
    tf_session_free(s);
    return out;
}

static int identical_rows(const std::vector<std::vector<std::vector<float>>> & a,
                          const std::vector<std::vector<std::vector<float>>> & b, int * total) {
    int same = 0;
    *total = 0;
    for (int q = 0; q < kSeqs; ++q) {
        CHECK(a[q].size() == (size_t) kSteps && b[q].size() == (size_t) kSteps);
        for (size_t i = 0; i < a[q].size() && i < b[q].size(); ++i) {
            ++*total;
            if (a[q][i].size() == b[q][i].size() && std::memcmp(a[q][i].data(), b[q][i].data(), sizeof(float) * a[q][i].size()) == 0) ++same;
        }
    }
    return same;
}

int main(int argc, char ** argv) {
    if (argc < 2) return 2;
    if (FILE * f = std::fopen(argv[1], "rb")) std::fclose(f); else { std::fprintf(stderr, "batch_rows_test: model %s not present\n", argv[1]); return 1; }
    tf_log_set(nullptr, 5, nullptr);
    tf_model * m = tft::load_model(argv[1]);
    CHECK(m != nullptr);
    if (!m) return 1;
    const char * texts[kSeqs] = {"Once upon a time, there was a little girl.", "The dog ran to the park and",
                                 "Tom and Sue liked to play with", "One day, the sun was hot and the sky was"};
    std::vector<std::vector<int32_t>> prompts;
    for (const char * t : texts) {
        std::vector<int32_t> p(256);
        const int32_t n = tf_tokenize(m, t, (int32_t) std::strlen(t), p.data(), 256, true, false);
        CHECK(n > 2);
        p.resize(n > 0 ? n : 1);
        prompts.push_back(p);
    }

    for (bool tiles : {false, true}) {
        const auto alone = run(m, true, tiles, false, prompts);
        const auto together = run(m, true, tiles, true, prompts);
        int total = 0;
        const int same = identical_rows(alone, together, &total);
        std::printf("batch_rows_test: batch-invariant%s: %d of %d rows bit-identical to the sequence alone\n",
                    tiles ? " (tiles)" : "", same, total);
        CHECK(total == kSeqs * kSteps && same == total);
    }
    {
        const auto alone = run(m, false, false, false, prompts);
        const auto together = run(m, false, false, true, prompts);
        int total = 0;
        const int same = identical_rows(alone, together, &total);
        std::printf("batch_rows_test: fastest kernels: %d of %d rows bit-identical\n", same, total);
        CHECK(same < total);
    }

    // mixed batches: prompts in chunks of 1, 3, whole and 5 tokens beside the other sequences' rows
    {
        const int chunks[kSeqs] = {1000, 3, 1000, 5};
        const auto alone = run_mixed(m, false, prompts, chunks);
        const auto together = run_mixed(m, true, prompts, chunks);
        int total = 0, same = 0;
        for (int q = 0; q < kSeqs; ++q) {
            CHECK(alone[q].size() == 9 && together[q].size() == 9);
            for (size_t i = 0; i < alone[q].size() && i < together[q].size(); ++i, ++total)
                same += std::memcmp(alone[q][i].data(), together[q][i].data(), sizeof(float) * alone[q][i].size()) == 0;
        }
        std::printf("batch_rows_test: mixed batches: %d of %d rows bit-identical to the sequence alone\n", same, total);
        CHECK(total == kSeqs * 9 && same == total);
    }

    // argument checks: nothing reaches llama.cpp
    {
        tf_session * s = open(m, true, true);
        CHECK(s != nullptr);
        int32_t t[2] = {1, 2}, p[2] = {0, 0}, q[2] = {0, 0};
        CHECK(tf_session_decode_rows(s, t, p, q, 2) == TF_ERR_ARG);  // a sequence twice
        q[1] = kSeqs;
        CHECK(tf_session_decode_rows(s, t, p, q, 2) == TF_ERR_ARG);  // sequence out of range
        q[1] = 1;
        t[1] = tf_model_n_vocab(m);
        CHECK(tf_session_decode_rows(s, t, p, q, 2) == TF_ERR_ARG);  // token out of range
        t[1] = 2;
        p[0] = -1;
        CHECK(tf_session_decode_rows(s, t, p, q, 2) == TF_ERR_ARG);  // position out of range
        p[0] = 0;
        CHECK(tf_session_decode_rows(s, t, p, q, 0) == TF_ERR_ARG);
        CHECK(tf_session_row_logits(s, 0) == nullptr);               // no decode yet
        CHECK(tf_session_decode_rows(s, t, p, q, 2) == TF_OK);
        CHECK(tf_session_row_logits(s, 1) != nullptr);
        CHECK(tf_session_row_logits(s, 2) == nullptr);
        // decode_batch: a sequence's rows must follow one another; rows without logits have none
        {
            int32_t bt[3] = {1, 2, 3}, bp[3] = {0, 2, 0}, bq[3] = {2, 2, 3};
            int8_t bw[3] = {0, 1, 1};
            CHECK(tf_session_decode_batch(s, bt, bp, bq, bw, 3) == TF_ERR_ARG);  // positions 0, 2 in sequence 2
            bp[1] = 1;
            CHECK(tf_session_decode_batch(s, bt, bp, bq, bw, 3) == TF_OK);
            CHECK(tf_session_row_logits(s, 0) == nullptr);
            CHECK(tf_session_row_logits(s, 1) != nullptr && tf_session_row_logits(s, 2) != nullptr);
            tf_sampler_params sp = tf_sampler_default_params();
            tf_sampler * smpl = tf_sampler_new(m, &sp);
            CHECK(smpl != nullptr);
            if (smpl) {
                CHECK(tf_sampler_sample_row(smpl, s, 0) == TF_ERR_ARG);
                CHECK(tf_sampler_sample_row(smpl, s, 1) >= 0);
                tf_sampler_free(smpl);
            }
        }
        // sequence states: a copy of sequence 1 placed in sequence 3 decodes alike; a truncated state is refused
        {
            tf_memory_clear(s);
            CHECK(tf_seq_state_size(s, 3) == 0);
            CHECK(tf_seq_state_size(s, kSeqs) < 0);
            int32_t pr[3] = {5, 6, 7};
            CHECK(tf_session_decode(s, pr, 3, 0, 1, false) == TF_OK);
            const int64_t need = tf_seq_state_size(s, 1);
            CHECK(need > 0);
            std::vector<uint8_t> st(need > 0 ? (size_t) need : 1);
            CHECK(tf_seq_state_get(s, 1, st.data(), need - 1) == TF_ERR_ARG);
            CHECK(tf_seq_state_get(s, 1, st.data(), need) == need);
            CHECK(tf_seq_state_set(s, 3, st.data(), need / 2) == TF_ERR_NO_SLOT);
            CHECK(tf_memory_pos_max(s, 3) == -1);
            CHECK(tf_seq_state_set(s, 3, st.data(), need) == TF_OK);
            CHECK(tf_memory_pos_max(s, 3) == 2);
            int32_t rt[2] = {8, 8}, rp[2] = {3, 3}, rq[2] = {1, 3};
            CHECK(tf_session_decode_rows(s, rt, rp, rq, 2) == TF_OK);
            const float * a = tf_session_row_logits(s, 0);
            const float * b = tf_session_row_logits(s, 1);
            CHECK(a != nullptr && b != nullptr);
            if (a && b) CHECK(std::memcmp(a, b, sizeof(float) * tf_model_n_vocab(m)) == 0);
        }
        int32_t parents[1] = {-1};
        CHECK(tf_session_decode_tree(s, t, parents, 1, 1) == TF_ERR_ARG);  // trees need the shared stream
        float e[4];
        CHECK(tf_session_embed(s, t, 1, e, 4) == TF_ERR_ARG);              // not an embedding session
        tf_session_free(s);
    }

    // embeddings: a session of its own, n_batch == n_ubatch == n_ctx
    {
        tf_session_params p = tf_session_default_params();
        p.n_ctx = p.n_batch = p.n_ubatch = 64;
        p.embeddings = true;
        tf_session * s = tf_session_new(m, &p);
        CHECK(s != nullptr);
        const int32_t d = -tf_session_embed(s, prompts[0].data(), (int32_t) prompts[0].size(), nullptr, 0);
        CHECK(d > 0);
        std::vector<float> a(d), b(d), c(d);
        CHECK(tf_session_embed(s, prompts[0].data(), (int32_t) prompts[0].size(), a.data(), d) == d);
        CHECK(tf_session_embed(s, prompts[1].data(), (int32_t) prompts[1].size(), b.data(), d) == d);
        CHECK(tf_session_embed(s, prompts[0].data(), (int32_t) prompts[0].size(), c.data(), d) == d);
        CHECK(std::memcmp(a.data(), c.data(), sizeof(float) * d) == 0);   // the cache is cleared between texts
        CHECK(std::memcmp(a.data(), b.data(), sizeof(float) * d) != 0);
        bool finite = true;
        for (float x : a) finite = finite && std::isfinite(x);
        CHECK(finite);
        std::vector<int32_t> longer(65, 1);
        CHECK(tf_session_embed(s, longer.data(), 65, a.data(), d) == TF_ERR_ARG);
        CHECK(tf_session_decode(s, prompts[0].data(), 1, 0, 0, true) == TF_ERR_ARG);
        tf_session_free(s);
        p.n_ubatch = 32;
        CHECK(tf_session_new(m, &p) == nullptr);  // embeddings need n_ubatch == n_batch == n_ctx
    }

    tf_model_free(m);
    if (g_failures) return 1;
    std::printf("batch_rows_test: all checks passed\n");
    return 0;
}

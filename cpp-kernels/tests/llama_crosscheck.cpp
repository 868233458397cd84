// Cross-check of tfk_sample_f32 / tfk_sampling_probs_f32 against libllama itself: builds the sampler chain exactly as tokenflow does
// (native/src/sampler.cpp: top_k if > 0, top_p if < 1, min_p if > 0, temp, dist(seed)), applies it
// to a llama_token_data_array of the row, and compares with tfkernels given the uniform that
// llama.cpp's dist draws first from std::mt19937(seed) (std::uniform_real_distribution<double>).
// Built only with -DTFK_LLAMA_SOURCE_DIR=<llama.cpp source> -DTFK_LLAMA_LIBRARY=<libllama.so>.
//  - tie-free rows: same candidates, same order, bit-identical probabilities, same token;
//  - rows with many exact ties: the same probability values in candidate order, and a token whose
//    logit equals the one llama.cpp chose (identities among exact ties may differ: documented).
#include "tfkernels.h"
#include "llama.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <unordered_set>
#include <vector>

namespace {

uint32_t bits(float x) {
    uint32_t b;
    std::memcpy(&b, &x, sizeof b);
    return b;
}

int g_fail = 0;

void check(bool ok, const char * what, int64_t V, const tfk_sampling_params & sp, uint32_t seed) {
    if (ok) return;
    if (++g_fail <= 20)
        std::printf("  FAIL %s: V=%" PRId64 " T=%g top_k=%d top_p=%g min_p=%g seed=%u\n", what, V, sp.temperature, sp.top_k,
                    sp.top_p, sp.min_p, seed);
}

} // namespace

int main() {
    const tfk_sampling_params grid[] = {
        {1.0f, 0, 1.0f, 0.0f},   {0.8f, 40, 0.95f, 0.05f}, {0.7f, 0, 0.9f, 0.0f},  {1.3f, 0, 1.0f, 0.1f},
        {0.5f, 0, 1.0f, 0.02f},  {1.0f, 8, 1.0f, 0.0f},    {0.9f, 200, 1.0f, 0.0f}, {1.1f, 100, 0.8f, 0.0f},
        {0.6f, 0, 0.999f, 0.0f}, {2.0f, 0, 0.5f, 0.3f},    {1.0f, 1, 0.9f, 0.1f},  {0.9f, 5, 0.0f, 0.0f},
        {1.0f, 0, 1.0f, 1.5f},   {0.25f, 30, 0.97f, 0.0f},
    };
    std::mt19937 gen(2024u);
    int rows = 0, tokens = 0;
    for (int64_t V : {2, 7, 100, 1000, 1025, 5000, 32000}) {
        for (int kind = 0; kind < 3; ++kind) {  // 0, 1: tie-free N(0, 0.5) / N(0, 4); 2: quantized (ties)
            std::vector<float> row(static_cast<size_t>(V));
            std::normal_distribution<float> normal(0.0f, kind == 0 ? 0.5f : 4.0f);
            std::unordered_set<uint32_t> seen;
            for (float & x : row) {
                x = normal(gen);
                if (kind == 2) x = std::round(x * 2.0f) / 2.0f;
                else
                    while (x == 0.0f || !seen.insert(bits(x)).second) x = std::nextafter(x, 1e30f);
            }
            for (const tfk_sampling_params & sp : grid) {
                for (int rep = 0; rep < 30; ++rep) {
                    const uint32_t seed = static_cast<uint32_t>(gen());
                    llama_sampler_chain_params cp = llama_sampler_chain_default_params();
                    cp.no_perf = true;
                    llama_sampler * chain = llama_sampler_chain_init(cp);
                    if (sp.top_k > 0) llama_sampler_chain_add(chain, llama_sampler_init_top_k(sp.top_k));
                    if (sp.top_p < 1.0f) llama_sampler_chain_add(chain, llama_sampler_init_top_p(sp.top_p, 1));
                    if (sp.min_p > 0.0f) llama_sampler_chain_add(chain, llama_sampler_init_min_p(sp.min_p, 1));
                    llama_sampler_chain_add(chain, llama_sampler_init_temp(sp.temperature));
                    llama_sampler_chain_add(chain, llama_sampler_init_dist(seed));
                    std::vector<llama_token_data> cur(static_cast<size_t>(V));
                    for (int64_t i = 0; i < V; ++i) cur[i] = llama_token_data{static_cast<llama_token>(i), row[i], 0.0f};
                    llama_token_data_array a{cur.data(), cur.size(), -1, false};
                    llama_sampler_apply(chain, &a);
                    const llama_token want = a.data[a.selected].id;
                    llama_sampler_free(chain);

                    std::mt19937 rng(seed);
                    const double u = std::uniform_real_distribution<double>(0.0f, 1.0f)(rng);
                    int32_t got = -1;
                    const int rc = tfk_sample_f32(row.data(), V, &sp, u, &got);
                    if (kind < 2) check(rc == TFK_OK && got == want, "token", V, sp, seed);
                    else check(rc == TFK_OK && row[got] == row[want], "token logit (ties)", V, sp, seed);
                    ++tokens;
                    if (rep == 0) {
                        std::vector<int32_t> ids(static_cast<size_t>(V));
                        std::vector<float> pr(ids.size());
                        int32_t n = 0;
                        const int rc2 = tfk_sampling_probs_f32(row.data(), V, &sp, ids.data(), pr.data(), &n);
                        bool ok = rc2 == TFK_OK && static_cast<size_t>(n) == a.size;
                        for (int32_t i = 0; ok && i < n; ++i)
                            ok = bits(pr[i]) == bits(a.data[i].p) && (kind == 2 || ids[i] == a.data[i].id) &&
                                 row[ids[i]] == row[a.data[i].id];
                        check(ok, kind < 2 ? "candidates/probabilities" : "probability sequence (ties)", V, sp, seed);
                        ++rows;
                    }
                }
            }
        }
    }
    std::printf("tfk_llama_crosscheck: %d rows x params (candidates, probabilities), %d sampled tokens vs libllama: %d failures\n",
                rows, tokens, g_fail);
    std::printf("%s\n", g_fail == 0 ? "PASS" : "FAIL");
    return g_fail == 0 ? 0 : 1;
}

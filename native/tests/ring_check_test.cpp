// TokenRing on a real model (issue 15): one layer's Q/K/V/output copied out of llama.cpp's graph during a prefill,
// the layer's causal attention computed again by Ring-Attention and TokenRing over P = 1..8 simulated devices, and
// compared with llama.cpp's own result (F32 cache, flash attention off: llama.cpp computes the layer in F32) and with
// single-device block attention of the same tensors. Also the argument checks.
#include "tokenflow.h"
#include "test_util.h"

#include <cstdio>
#include <vector>

static int g_failures = 0;
#define CHECK(cond) do { if (!(cond)) { std::fprintf(stderr, "FAIL %s:%d: %s (%s)\n", __FILE__, __LINE__, #cond, tf_last_error()); ++g_failures; } } while (0)

int main(int argc, char ** argv) {
    if (argc < 2) return 2;
    tf_log_set(nullptr, 5, nullptr);
    tf_model * m = tft::load_model(argv[1]);
    CHECK(m != nullptr);
    if (!m) return 1;
    tf_session_params p = tf_session_default_params();
    p.n_ctx = 512;
    p.n_batch = p.n_ubatch = 256;
    p.n_threads = p.n_threads_batch = 2;
    p.kv_taps = true;
    p.flash_attn = TF_FLASH_ATTN_OFF;
    p.type_k = p.type_v = TF_KV_F32;
    tf_session * s = tf_session_new(m, &p);
    CHECK(s != nullptr);
    if (!s) return 1;

    // a long prompt: an odd number of tokens, so that the zigzag chunks differ in size
    const int32_t V = tf_model_n_vocab(m), n = 237;
    std::vector<int32_t> prompt(n);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int32_t i = 0; i < n; ++i) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        prompt[i] = static_cast<int32_t>(3 + x % static_cast<uint64_t>(V - 3));
    }
    const int32_t layers[2] = {0, tf_model_n_layer(m) - 1};
    double worst_llama = 0, worst_one = 0;
    for (int32_t layer : layers) {
        for (int32_t schedule : {0, 1}) {
            for (int32_t P : {1, 2, 3, 4, 8}) {
                tf_ring_check r{};
                CHECK(tf_session_ring_check(s, prompt.data(), n, layer, schedule, P, &r) == TF_OK);
                CHECK(r.n_tokens == n && r.n_head > 0 && r.n_head_kv > 0 && r.head_dim > 0);
                CHECK(r.max_rel_err <= 1e-5);         // against llama.cpp's own attention output of that layer
                CHECK(r.one_device_rel_err <= 1e-5);  // against one device's block attention of the same tensors
                CHECK(P == 1 ? r.bytes == 0 : r.bytes > 0);
                if (r.max_rel_err > worst_llama) worst_llama = r.max_rel_err;
                if (r.one_device_rel_err > worst_one) worst_one = r.one_device_rel_err;
                if (layer == layers[1] && P == 4)
                    std::printf("ring_check_test: layer %d, %s, P=4: %d tokens, %d heads (%d kv), d=%d: rel err vs llama.cpp "
                                "%.2e, vs one device %.2e; %lld messages, %lld bytes; ring %.2f ms\n",
                                layer, schedule ? "TokenRing" : "Ring-Attention", r.n_tokens, r.n_head, r.n_head_kv,
                                r.head_dim, r.max_rel_err, r.one_device_rel_err, (long long) r.messages,
                                (long long) r.bytes, r.ring_ms);
            }
        }
    }
    std::printf("ring_check_test: worst relative error vs llama.cpp %.2e, vs one device %.2e\n", worst_llama, worst_one);

    // argument checks
    tf_ring_check r{};
    CHECK(tf_session_ring_check(s, prompt.data(), 0, 0, 1, 2, &r) == TF_ERR_ARG);
    CHECK(tf_session_ring_check(s, prompt.data(), 257, 0, 1, 2, &r) == TF_ERR_ARG);  // more than one micro-batch
    CHECK(tf_session_ring_check(s, prompt.data(), n, -1, 1, 2, &r) == TF_ERR_ARG);
    CHECK(tf_session_ring_check(s, prompt.data(), n, tf_model_n_layer(m), 1, 2, &r) == TF_ERR_ARG);
    CHECK(tf_session_ring_check(s, prompt.data(), n, 0, 2, 2, &r) == TF_ERR_ARG);
    CHECK(tf_session_ring_check(s, prompt.data(), n, 0, 1, 0, &r) == TF_ERR_ARG);
    CHECK(tf_session_ring_check(s, prompt.data(), n, 0, 1, 65, &r) == TF_ERR_ARG);
    CHECK(tf_session_ring_check(s, nullptr, n, 0, 1, 2, &r) == TF_ERR_ARG);
    std::vector<int32_t> bad(prompt);
    bad[5] = V;
    CHECK(tf_session_ring_check(s, bad.data(), n, 0, 1, 2, &r) == TF_ERR_ARG);
    CHECK(tf_memory_pos_max(s, 0) == -1);  // the check leaves the cache empty
    tf_session_free(s);
    p.kv_taps = false;
    s = tf_session_new(m, &p);
    CHECK(s != nullptr);
    if (s) {
        CHECK(tf_session_ring_check(s, prompt.data(), n, 0, 1, 2, &r) == TF_ERR_ARG);  // no taps
        tf_session_free(s);
    }
    tf_model_free(m);
    if (g_failures) return 1;
    std::printf("ring_check_test: all checks passed\n");
    return 0;
}

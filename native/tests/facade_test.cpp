// Smoke test of the libtokenflow facade on a real model: loads, tokenizes, decodes, samples greedily,
// and checks that bad arguments come back as error codes (never an abort). 
#include "tokenflow.h"
#include "test_util.h"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

static int g_failures = 0;
#define CHECK(cond) do { if (!(cond)) { std::fprintf(stderr, "FAIL %s:%d: %s (%s)\n", __FILE__, __LINE__, #cond, tf_last_error()); ++g_failures; } } while (0)

// A copy of the GGUF at `path` whose uint32 metadata value `key` is `value` (written next to /tmp); "" on failure.
static std::string with_u32(const char * path, const std::string & key, uint32_t value) {
    std::FILE * f = std::fopen(path, "rb");
    if (!f) return "";
    std::vector<char> bytes;
    char chunk[65536];
    size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) bytes.insert(bytes.end(), chunk, chunk + n);
    std::fclose(f);
    const std::string needle = key;
    auto it = std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end());
    if (it == bytes.end()) return "";
    const size_t at = static_cast<size_t>(it - bytes.begin()) + needle.size() + 4;  // after the key: u32 type, value
    std::memcpy(bytes.data() + at, &value, sizeof value);
    const std::string out = "/tmp/tf_facade_test_" + key + "_" + std::to_string(value) + ".gguf";
    std::FILE * o = std::fopen(out.c_str(), "wb");
    if (!o) return "";
    std::fwrite(bytes.data(), 1, bytes.size(), o);
    std::fclose(o);
    return out;
}

int main(int argc, char ** argv) {
    if (argc < 2) { std::fprintf(stderr, "usage: facade_test MODEL\n"); return 2; }
    if (FILE * f = std::fopen(argv[1], "rb")) { std::fclose(f); } else {
        std::fprintf(stderr, "facade_test: model %s not present (committed under tests/models)\n", argv[1]);
        return 1;
    }
    tf_log_set(nullptr, 5, nullptr);

    CHECK(tft::load_model("/nonexistent/model.gguf") == nullptr);
    CHECK(tf_model_load("/nonexistent/model.gguf", nullptr) == nullptr);  // NULL params: the defaults
    CHECK(std::strlen(tf_last_error()) > 0);
    {
        const int32_t n_info = tf_system_info(nullptr, 0);
        std::vector<char> info(static_cast<size_t>(n_info > 0 ? n_info : 1));
        CHECK(n_info > 0 && tf_system_info(info.data(), n_info) == n_info);
        CHECK(std::string(info.data(), info.size()).find("CPU") != std::string::npos);
        CHECK(tf_system_info(info.data(), -1) == TF_ERR_ARG);
    }

    // llama.cpp asserts on these (GGML_ASSERT in its loader): the load fails with llama.cpp's reason instead of
    // ending the process (a throwing abort hook inside the load).
    for (uint32_t layers : {0u, 4096u}) {
        const std::string bad = with_u32(argv[1], "llama.block_count", layers);
        CHECK(!bad.empty());
        CHECK(tft::load_model(bad.c_str()) == nullptr);
        std::printf("block_count %u refused: %s\n", layers, tf_last_error());
        CHECK(std::strstr(tf_last_error(), "n_layer") != nullptr || std::strstr(tf_last_error(), "refused") != nullptr);
        std::remove(bad.c_str());
    }

    tf_model * m = tft::load_model(argv[1]);
    CHECK(m != nullptr);
    if (!m) return 1;
    const int32_t n_vocab = tf_model_n_vocab(m);
    CHECK(n_vocab > 0);
    CHECK(tf_model_n_params(m) > 0);

    const std::string prompt = "Once upon a time";
    std::vector<int32_t> toks(64);
    int32_t n = tf_tokenize(m, prompt.data(), (int32_t) prompt.size(), toks.data(), (int32_t) toks.size(), true, true);
    CHECK(n > 1);
    CHECK(tf_tokenize(m, prompt.data(), (int32_t) prompt.size(), toks.data(), 0, true, true) == -n);
    toks.resize(n);

    // Detokenize round trip.
    std::vector<char> buf(256);
    int32_t len = tf_detokenize(m, toks.data(), n, buf.data(), (int32_t) buf.size(), true, false);
    CHECK(len > 0 && std::string(buf.data(), len).find("Once upon a time") != std::string::npos);

    // Bad arguments are error codes.
    CHECK(tf_token_to_piece(m, n_vocab, buf.data(), 16, false) == TF_ERR_ARG);
    CHECK(tf_token_to_piece(m, -1, buf.data(), 16, false) == TF_ERR_ARG);
    CHECK(tft::new_session(m, 0, 1, 1, 1, -1, 1, false) == nullptr);
    CHECK(tft::new_session(m, 64, 128, 64, 1, -1, 1, false) == nullptr);

    tf_session * d = tf_session_new(m, nullptr);  // NULL params: the defaults
    CHECK(d != nullptr && tf_session_n_ctx(d) == tf_session_default_params().n_ctx);
    tf_session_free(d);

    tf_session * s = tft::new_session(m, 256, 64, 64, 2, -1, 0, false);
    CHECK(s != nullptr);
    if (!s) return 1;
    CHECK(tf_session_verify_greedy(s, nullptr) == TF_ERR_ARG);
    const int32_t bad[1] = {n_vocab + 5};
    CHECK(tf_session_decode(s, bad, 1, 0, 0, true) == TF_ERR_ARG);
    // More tokens than cells: no slot, and the cache is left as it was.
    std::vector<int32_t> many;
    while (many.size() < 300) many.insert(many.end(), toks.begin(), toks.end());
    CHECK(tf_session_decode(s, many.data(), 300, 0, 0, true) == TF_ERR_NO_SLOT);
    CHECK(tf_memory_pos_max(s, 0) == -1);
    CHECK(tf_sampler_sample(nullptr, s) == TF_ERR_ARG);

    tf_sampler_params gp = tf_sampler_default_params();
    gp.temperature = 0.0f;
    gp.seed = 1;
    tf_sampler * greedy = tf_sampler_new(m, &gp);
    CHECK(tf_session_decode(s, toks.data(), n, 0, 0, true) == TF_OK);
    CHECK(tf_memory_pos_max(s, 0) == n - 1);
    std::string out;
    int32_t pos = n;
    for (int i = 0; i < 16; ++i) {
        int32_t t = tf_sampler_sample(greedy, s);
        CHECK(t >= 0 && t < n_vocab);
        if (t < 0) break;
        int32_t pl = tf_token_to_piece(m, t, buf.data(), (int32_t) buf.size(), false);
        CHECK(pl >= 0);
        out.append(buf.data(), pl > 0 ? pl : 0);
        CHECK(tf_session_decode(s, &t, 1, pos++, 0, true) == TF_OK);
    }
    std::printf("facade_test: greedy continuation: %s%s\n", prompt.c_str(), out.c_str());
    CHECK(!out.empty());

    // Top-k through the facade agrees with the argmax of the logits.
    const float * logits = tf_session_logits(s);
    CHECK(logits != nullptr);
    int32_t id = -1; float val = 0;
    CHECK(tf_topk_f32(logits, 1, n_vocab, n_vocab, 1, &id, &val, 1) == TF_OK);
    int32_t best = 0;
    for (int32_t i = 1; i < n_vocab; ++i) if (logits[i] > logits[best]) best = i;
    CHECK(id == best);
    CHECK(tf_topk_f32(logits, 1, n_vocab, n_vocab, 0, &id, &val, 1) != TF_OK);

    // Truncating the cache then re-decoding gives the same next token.
    CHECK(tf_memory_seq_rm(s, 0, n, -1));
    CHECK(tf_memory_pos_max(s, 0) == n - 1);

    tf_sampler_free(greedy);
    tf_session_free(s);
    tf_model_free(m);
    tf_session_free(nullptr);
    tf_model_free(nullptr);
    tf_sampler_free(nullptr);

    if (g_failures) { std::fprintf(stderr, "facade_test: %d failure(s)\n", g_failures); return 1; }
    std::printf("facade_test: all checks passed\n");
    return 0;
}

// Helpers the facade tests share: build tf_*_params from a short argument list.
#pragma once
#include "tokenflow.h"

#include <string>
#include <vector>

namespace tft {

inline tf_model * load_model(const char * path) {
    tf_model_params p = tf_model_default_params();
    return tf_model_load(path, &p);
}

inline tf_session * new_session(tf_model * m, uint32_t n_ctx, uint32_t n_batch, uint32_t n_ubatch, int32_t threads,
                                int32_t flash_attn, int32_t kv_type, bool kv_taps) {
    tf_session_params p = tf_session_default_params();
    p.n_ctx = n_ctx;
    p.n_batch = n_batch;
    p.n_ubatch = n_ubatch;
    p.n_threads = threads;
    p.n_threads_batch = threads;
    p.flash_attn = flash_attn;
    p.type_k = kv_type;
    p.type_v = kv_type;
    p.kv_taps = kv_taps;
    return tf_session_new(m, &p);
}

// Index of the largest of r[0..n) (the first on ties): greedy decoding in the tests.
inline int32_t argmax(const float * r, int32_t n) {
    int32_t b = 0;
    for (int32_t i = 1; i < n; ++i) if (r[i] > r[b]) b = i;
    return b;
}

// The tokens of `sentence` repeated until the text has at least min_chars characters (a long, natural prompt).
inline std::vector<int32_t> repeated_prompt(const tf_model * m, const char * sentence, size_t min_chars) {
    std::string text;
    while (text.size() < min_chars) text += sentence;
    std::vector<int32_t> out(text.size() + 16);
    const int32_t n = tf_tokenize(m, text.c_str(), (int32_t) text.size(), out.data(), (int32_t) out.size(), true, true);
    out.resize(n > 0 ? (size_t) n : 0);
    return out;
}

} // namespace tft

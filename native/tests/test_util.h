// Helpers the facade tests share: build tf_*_params from a short argument list.
#pragma once
#include "tokenflow.h"

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

} // namespace tft

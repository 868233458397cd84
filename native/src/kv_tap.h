// Internal to libtokenflow: taps on each layer's attention during one decode call, feeding the
// observation-window scoring kernel of tfkernels (KV-cache compression).
#ifndef TOKENFLOW_KV_TAP_H
#define TOKENFLOW_KV_TAP_H

#include "cuda_scratch.h"

#include <cstdint>
#include <string>
#include <vector>

struct ggml_tensor;

namespace tfi {

struct layer_capture;

// State of the attention taps of one session. Installed as llama.cpp's cb_eval: while armed, the scheduler
// stops after each wanted layer's attention node and hands it to on_node(), which scores the query rows of
// that micro-batch against every key cell where the tensors live (host: tfk_window_scores; CUDA:
// tfk_window_scores_cuda), without copying the cache.
struct kv_tap {
    bool armed = false;
    int32_t n_threads = 1;
    std::vector<int32_t> layers;        // layers to score, in slot order
    // Results of the last armed decode: per slot, n_head x n_kv floats (head-major), summed over every query
    // row the decode call computed (all of its micro-batches).
    int32_t n_head = 0;
    int32_t n_kv = 0;
    std::vector<float> scores;
    std::vector<uint8_t> scored;        // per slot: 1 once the layer was seen
    double ms = 0.0;                    // time spent in the scoring kernel
    int32_t error = 0;                  // first tfk_status != 0 met (0 = none)
    std::string error_text;
    cuda_scratch dev_out;               // device scratch for the CUDA path (n_head * n_kv floats)
    layer_capture * capture = nullptr;  // set during a tf_session_ring_check decode

    void arm(const int32_t * layer_ids, int32_t n, int32_t threads);
    // ask == true: does the caller want node t? ask == false: t has been computed, score it.
    bool on_node(ggml_tensor * t, bool ask);
};

// Copies of one layer's attention tensors during one decode call (tf_session_ring_check): Q and K after RoPE, V, and
// the attention output, as llama.cpp's graph names them ("Qcur-<il>", "Kcur-<il>", "Vcur-<il>", "kqv_out-<il>"; the
// last node of a name wins), and the logit scale of its softmax or flash-attention node.
struct layer_capture {
    int32_t layer = -1;
    std::vector<float> q, k, v, o;
    int64_t q_ne[3] = {0, 0, 0}, k_ne[3] = {0, 0, 0}, v_ne[3] = {0, 0, 0}, o_ne[3] = {0, 0, 0};
    float scale = 0.0f;
    bool have_scale = false;
    std::string error;
    bool on_node(ggml_tensor * t, bool ask);
};

// The cb_eval trampoline (user data: the kv_tap).
bool kv_tap_eval(ggml_tensor * t, bool ask, void * user);

} // namespace tfi

#endif // TOKENFLOW_KV_TAP_H

// libtokenflow: llama.cpp sampler chains (penalties, top-k/top-p/min-p, temperature, dist or greedy).
#include "tokenflow.h"
#include "facade_internal.h"

#include "llama.h"

#include <memory>

struct tf_sampler {
    llama_sampler * chain = nullptr;
    ~tf_sampler() { if (chain) llama_sampler_free(chain); }
};

namespace {

using tfi::fail;
using tfi::fail_null;

} // namespace

extern "C" {

tf_sampler_params tf_sampler_default_params(void) {
    tf_sampler_params p{};
    p.temperature = 0.8f;
    p.top_k = 40;
    p.top_p = 0.95f;
    p.min_p = 0.05f;
    p.repeat_penalty = 1.0f;
    p.repeat_last_n = 64;
    p.seed = 0;
    return p;
}

tf_sampler * tf_sampler_new(const tf_model * m, const tf_sampler_params * params) {
    if (m == nullptr) return fail_null<tf_sampler>("model is null");
    const tf_sampler_params sp = params ? *params : tf_sampler_default_params();
    const float temperature = sp.temperature, top_p = sp.top_p, min_p = sp.min_p, repeat_penalty = sp.repeat_penalty;
    const int32_t top_k = sp.top_k, repeat_last_n = sp.repeat_last_n;
    const uint32_t seed = sp.seed;
    if (!(repeat_penalty > 0.0f) || repeat_last_n < -1) return fail_null<tf_sampler>("bad repetition penalty settings");
    auto s = std::make_unique<tf_sampler>();
    llama_sampler_chain_params cp = llama_sampler_chain_default_params();
    cp.no_perf = true;
    s->chain = llama_sampler_chain_init(cp);
    if (repeat_penalty != 1.0f && repeat_last_n != 0) {
        llama_sampler_chain_add(s->chain, llama_sampler_init_penalties(llama_vocab_n_tokens(m->vocab), repeat_last_n, repeat_penalty, 0.0f, 0.0f));
    }
    if (temperature <= 0.0f) {
        llama_sampler_chain_add(s->chain, llama_sampler_init_greedy());
    } else {
        if (top_k > 0) llama_sampler_chain_add(s->chain, llama_sampler_init_top_k(top_k));
        if (top_p < 1.0f) llama_sampler_chain_add(s->chain, llama_sampler_init_top_p(top_p, 1));
        if (min_p > 0.0f) llama_sampler_chain_add(s->chain, llama_sampler_init_min_p(min_p, 1));
        llama_sampler_chain_add(s->chain, llama_sampler_init_temp(temperature));
        llama_sampler_chain_add(s->chain, llama_sampler_init_dist(seed));
    }
    return s.release();
}

void tf_sampler_free(tf_sampler * s) { delete s; }

void tf_sampler_accept(tf_sampler * s, int32_t token) {
    if (s) llama_sampler_accept(s->chain, token);
}

int32_t tf_sampler_sample(tf_sampler * smpl, tf_session * s) {
    if (smpl == nullptr || s == nullptr) return fail(TF_ERR_ARG, "sampler or session is null");
    if (!s->has_logits) return fail(TF_ERR_ARG, "sample: no logits (decode a token with logits first)");
    // llama_sampler_sample also accepts the token into the chain (penalties see it).
    return tfi::guarded("sample", TF_ERR_NATIVE, [&] { return llama_sampler_sample(smpl->chain, s->ctx, -1); });
}

int32_t tf_sampler_sample_row(tf_sampler * smpl, tf_session * s, int32_t row) {
    if (smpl == nullptr || s == nullptr) return fail(TF_ERR_ARG, "sampler or session is null");
    if (!s->has_row_logits(row)) return fail(TF_ERR_ARG, "sample_row: no logits for row " + std::to_string(row));
    return tfi::guarded("sample", TF_ERR_NATIVE, [&] { return llama_sampler_sample(smpl->chain, s->ctx, row); });
}

} // extern "C"

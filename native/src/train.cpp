// libtokenflow training facade: trains a llama-architecture GGUF (F32 weights) with llama.cpp's own training API
// (llama_opt_init / llama_opt_epoch). See include/tokenflow_train.h for the contract.
//
// One optimizer step is one window of n_ctx tokens (inputs t[0..n_ctx), labels t[1..n_ctx]), one sequence: the
// batch size in tokens is n_ctx. llama.cpp clears the KV cache before every window and runs it as n_ctx / n_ubatch
// micro-batches whose gradients are accumulated (ggml-opt's opt_period). A micro-batch attends the cached keys and
// values of the earlier ones, but no gradient flows back into them: with n_ubatch < n_ctx, pack documents so that
// none crosses a micro-batch boundary, and the window is a batch of independent sequences. The learning rate of each step comes from a schedule (warm-up, then
// constant / cosine / linear decay) evaluated here in the optimizer-parameters callback that ggml calls before
// every optimizer step.
#include "tokenflow_train.h"
#include "facade_internal.h"

#include "ggml-opt.h"
#include "ggml.h"
#include "llama.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <vector>

namespace {

// Failures go to the facade's per-thread last error (tf_last_error).
int32_t train_fail(int32_t code, const std::string & msg) { return tfi::fail(code, msg); }

constexpr uint32_t kMaxCtx = 1u << 16;

struct dataset_deleter {
    void operator()(ggml_opt_dataset * d) const { if (d) ggml_opt_dataset_free(d); }
};
struct result_deleter {
    void operator()(ggml_opt_result * r) const { if (r) ggml_opt_result_free(r); }
};
using dataset_ptr = std::unique_ptr<ggml_opt_dataset, dataset_deleter>;
using result_ptr = std::unique_ptr<ggml_opt_result, result_deleter>;

} // namespace

struct tf_trainer {
    llama_model * model = nullptr;
    llama_context * ctx = nullptr;
    uint32_t n_ctx = 0;
    int32_t n_vocab = 0;
    dataset_ptr window;   // one datapoint: the window being trained or evaluated
    result_ptr result;    // reset per call
    // schedule
    float lr_max = 1e-3f;
    float lr_min = 1e-4f;
    int64_t warmup = 0;
    int64_t total = 1;
    int32_t kind = TF_LR_COSINE;
    float beta1 = 0.9f;
    float beta2 = 0.999f;
    float wd = 0.0f;
    int64_t step = 0;       // optimizer steps done (resume sets it)
    float last_lr = 0.0f;   // the rate the last step used

    ~tf_trainer() {
        result.reset();
        window.reset();
        if (ctx) llama_free(ctx);
        if (model) llama_model_free(model);
    }
};

namespace {

float schedule_lr(const tf_trainer & t, int64_t step) {
    if (step < 0) step = 0;
    if (t.warmup > 0 && step < t.warmup) {
        // linear from lr_max / warmup up to lr_max: never exactly zero, so step 0 already moves
        return t.lr_max * static_cast<float>(step + 1) / static_cast<float>(t.warmup);
    }
    if (t.kind == TF_LR_CONSTANT) return t.lr_max;
    const int64_t span = t.total - t.warmup;
    double progress = span > 0 ? static_cast<double>(step - t.warmup) / static_cast<double>(span) : 1.0;
    if (progress > 1.0) progress = 1.0;
    if (progress < 0.0) progress = 0.0;
    double f;
    if (t.kind == TF_LR_LINEAR) {
        f = 1.0 - progress;
    } else {
        f = 0.5 * (1.0 + std::cos(M_PI * progress));
    }
    return static_cast<float>(t.lr_min + (t.lr_max - t.lr_min) * f);
}

// ggml calls this before every optimizer step (through llama_opt_params.get_opt_pars).
ggml_opt_optimizer_params trainer_opt_pars(void * user) {
    tf_trainer * t = static_cast<tf_trainer *>(user);
    ggml_opt_optimizer_params p = ggml_opt_get_default_optimizer_params(nullptr);
    const float lr = schedule_lr(*t, t->step);
    t->last_lr = lr;
    p.adamw.alpha = lr;
    p.adamw.beta1 = t->beta1;
    p.adamw.beta2 = t->beta2;
    p.adamw.wd = t->wd;
    p.sgd.alpha = lr;
    p.sgd.wd = t->wd;
    return p;
}

// Validates one window of n_ctx + 1 tokens and copies it into the trainer's dataset (inputs and shifted labels).
int32_t load_window(tf_trainer * t, const int32_t * tokens) {
    for (uint32_t i = 0; i <= t->n_ctx; ++i) {
        if (tokens[i] < 0 || tokens[i] >= t->n_vocab) {
            return train_fail(TF_ERR_ARG, "token " + std::to_string(tokens[i]) + " at " + std::to_string(i)
                    + " is outside the vocabulary [0, " + std::to_string(t->n_vocab) + ")");
        }
    }
    auto * data = static_cast<int32_t *>(ggml_opt_dataset_data(t->window.get())->data);
    auto * labels = static_cast<int32_t *>(ggml_opt_dataset_labels(t->window.get())->data);
    std::memcpy(data, tokens, t->n_ctx * sizeof(int32_t));
    std::memcpy(labels, tokens + 1, t->n_ctx * sizeof(int32_t));
    return TF_OK;
}

// Loss (mean nats per token) and accuracy of what `result` accumulated; fails when it holds nothing (llama.cpp
// logs and skips a window it cannot process instead of reporting).
int32_t read_result(ggml_opt_result * r, int64_t expect_ndata, float * out_loss, float * out_acc) {
    int64_t nd = 0;
    ggml_opt_result_ndata(r, &nd);
    if (nd < expect_ndata) return train_fail(TF_ERR_NATIVE, "llama.cpp did not process the window (see its log)");
    double loss = 0, acc = 0;
    ggml_opt_result_loss(r, &loss, nullptr);
    ggml_opt_result_accuracy(r, &acc, nullptr);
    if (out_loss) *out_loss = static_cast<float>(loss);
    if (out_acc) *out_acc = static_cast<float>(acc);
    return TF_OK;
}

} // namespace

extern "C" {


tf_trainer_params tf_trainer_default_params(void) {
    tf_trainer_params p{};
    p.n_ctx = 256;
    p.n_ubatch = 0;
    p.n_threads = 1;
    p.n_gpu_layers = 0;
    return p;
}

tf_schedule tf_schedule_default(void) {
    tf_schedule s{};
    s.kind = TF_LR_COSINE;
    s.lr_max = 1e-3f;
    s.lr_min = 1e-4f;
    s.warmup_steps = 0;
    s.total_steps = 1;
    s.beta1 = 0.9f;
    s.beta2 = 0.999f;
    s.weight_decay = 0.0f;
    return s;
}

tf_trainer * tf_trainer_new(const char * model_path, const tf_trainer_params * params) {
    tfi::g_last_error.clear();
    const tf_trainer_params tp = params ? *params : tf_trainer_default_params();
    const uint32_t n_ctx = tp.n_ctx;
    uint32_t n_ubatch = tp.n_ubatch;
    const int32_t n_threads = tp.n_threads, n_gpu_layers = tp.n_gpu_layers;
    if (model_path == nullptr) { train_fail(TF_ERR_ARG, "model path is null"); return nullptr; }
    if (n_ctx < 256 || n_ctx > kMaxCtx || n_ctx % 256 != 0) {
        train_fail(TF_ERR_ARG, "n_ctx must be a multiple of 256 in [256, 65536] (llama.cpp pads contexts to 256)");
        return nullptr;
    }
    if (n_threads < 1 || n_threads > 1024) { train_fail(TF_ERR_ARG, "n_threads must be in [1, 1024]"); return nullptr; }
    if (n_ubatch == 0) n_ubatch = n_ctx;
    if (n_ubatch < 16 || n_ubatch > n_ctx || n_ctx % n_ubatch != 0) {
        train_fail(TF_ERR_ARG, "n_ubatch must divide n_ctx and be >= 16");
        return nullptr;
    }
    {
        std::FILE * f = std::fopen(model_path, "rb");
        if (f == nullptr) { train_fail(TF_ERR_ARG, std::string("cannot read ") + model_path); return nullptr; }
        std::fclose(f);
    }
    tf_init();
    try {
        auto t = std::make_unique<tf_trainer>();
        llama_model_params mp = llama_model_default_params();
        mp.n_gpu_layers = n_gpu_layers;
        mp.load_mode = LLAMA_LOAD_MODE_NONE; // training writes the weights: they must not be a read-only mapping
        tfi::clear_llama_error();
        {
            tfi::recoverable_scope recoverable;
            t->model = llama_model_load_from_file(model_path, mp);
        }
        if (t->model == nullptr) {
            const std::string why = tfi::last_llama_error();
            train_fail(TF_ERR_NATIVE, std::string("cannot load ") + model_path + (why.empty() ? "" : ": " + why));
            return nullptr;
        }
        t->n_vocab = llama_vocab_n_tokens(llama_model_get_vocab(t->model));
        if (t->n_vocab <= 0) { train_fail(TF_ERR_NATIVE, "model has no vocabulary"); return nullptr; }

        llama_context_params cp = llama_context_default_params();
        cp.n_ctx = n_ctx;
        cp.n_batch = n_ctx;     // one window = one batch = one optimizer step
        cp.n_ubatch = n_ubatch; // n_ctx / n_ubatch micro-batches accumulate their gradients
        cp.n_seq_max = 1;
        cp.n_threads = n_threads;
        cp.n_threads_batch = n_threads;
        cp.flash_attn_type = LLAMA_FLASH_ATTN_TYPE_DISABLED; // no backward pass for FLASH_ATTN_EXT
        cp.type_k = GGML_TYPE_F32;                            // OUT_PROD has no F16 backward
        cp.type_v = GGML_TYPE_F32;
        cp.no_perf = true;
        {
            tfi::recoverable_scope recoverable;
            t->ctx = llama_init_from_model(t->model, cp);
        }
        if (t->ctx == nullptr) { train_fail(TF_ERR_NATIVE, "cannot create a training context"); return nullptr; }
        t->n_ctx = llama_n_ctx(t->ctx);
        if (t->n_ctx != n_ctx) {
            train_fail(TF_ERR_NATIVE, "llama.cpp changed the context to " + std::to_string(t->n_ctx));
            return nullptr;
        }

        // llama.cpp trains F32 tensors only and skips others silently: the Java layer checks the GGUF's types
        if (llama_model_n_layer(t->model) <= 0) { train_fail(TF_ERR_ARG, "model has no layers"); return nullptr; }

        // llama.cpp hands the thread count to the CPU backend only inside llama_decode; the trainer computes its
        // graphs through ggml-opt directly, which would otherwise run GGML_DEFAULT_N_THREADS (4) threads that spin
        // at barriers on a smaller machine. One decode of one token sets it; the cache is cleared again.
        {
            llama_token tok = 0;
            if (llama_decode(t->ctx, llama_batch_get_one(&tok, 1)) != 0) {
                train_fail(TF_ERR_NATIVE, "warm-up decode failed");
                return nullptr;
            }
            llama_memory_clear(llama_get_memory(t->ctx), true);
        }

        llama_opt_params op{};
        op.n_ctx_train = n_ctx;
        op.param_filter = llama_opt_param_filter_all;
        op.param_filter_ud = nullptr;
        op.get_opt_pars = trainer_opt_pars;
        op.get_opt_pars_ud = t.get();
        op.optimizer_type = GGML_OPT_OPTIMIZER_TYPE_ADAMW;
        llama_opt_init(t->ctx, t->model, op);

        t->window.reset(ggml_opt_dataset_init(GGML_TYPE_I32, GGML_TYPE_I32, n_ctx, n_ctx, 1, 1));
        t->result.reset(ggml_opt_result_init());
        if (!t->window || !t->result) { train_fail(TF_ERR_NATIVE, "cannot allocate the dataset"); return nullptr; }
        return t.release();
    } catch (const std::exception & e) {
        train_fail(TF_ERR_NATIVE, std::string("trainer: ") + e.what());
        return nullptr;
    }
}

void tf_trainer_free(tf_trainer * t) { delete t; }

uint32_t tf_trainer_n_ctx(const tf_trainer * t) { return t ? t->n_ctx : 0; }
int32_t tf_trainer_n_vocab(const tf_trainer * t) { return t ? t->n_vocab : -1; }
int64_t tf_trainer_n_params(const tf_trainer * t) { return t ? static_cast<int64_t>(llama_model_n_params(t->model)) : -1; }
int64_t tf_trainer_step_count(const tf_trainer * t) { return t ? t->step : -1; }

int32_t tf_trainer_set_step_count(tf_trainer * t, int64_t step) {
    if (t == nullptr) return train_fail(TF_ERR_ARG, "trainer is null");
    if (step < 0) return train_fail(TF_ERR_ARG, "step must be >= 0");
    t->step = step;
    return TF_OK;
}

int32_t tf_trainer_set_schedule(tf_trainer * t, const tf_schedule * schedule) {
    if (t == nullptr) return train_fail(TF_ERR_ARG, "trainer is null");
    if (schedule == nullptr) return train_fail(TF_ERR_ARG, "schedule is null");
    const int32_t kind = schedule->kind;
    const float lr_max = schedule->lr_max, lr_min = schedule->lr_min;
    const int64_t warmup_steps = schedule->warmup_steps, total_steps = schedule->total_steps;
    const float beta1 = schedule->beta1, beta2 = schedule->beta2, weight_decay = schedule->weight_decay;
    if (kind != TF_LR_CONSTANT && kind != TF_LR_COSINE && kind != TF_LR_LINEAR) return train_fail(TF_ERR_ARG, "unknown schedule kind");
    if (!(lr_max > 0.0f && lr_max < 1.0f)) return train_fail(TF_ERR_ARG, "lr_max must be in (0, 1)");
    if (!(lr_min >= 0.0f && lr_min <= lr_max)) return train_fail(TF_ERR_ARG, "lr_min must be in [0, lr_max]");
    if (warmup_steps < 0 || total_steps < 1 || warmup_steps > total_steps) return train_fail(TF_ERR_ARG, "need 0 <= warmup <= total, total >= 1");
    if (!(beta1 >= 0.0f && beta1 < 1.0f) || !(beta2 >= 0.0f && beta2 < 1.0f)) return train_fail(TF_ERR_ARG, "betas must be in [0, 1)");
    if (!(weight_decay >= 0.0f && weight_decay < 1.0f)) return train_fail(TF_ERR_ARG, "weight decay must be in [0, 1)");
    t->kind = kind;
    t->lr_max = lr_max;
    t->lr_min = lr_min;
    t->warmup = warmup_steps;
    t->total = total_steps;
    t->beta1 = beta1;
    t->beta2 = beta2;
    t->wd = weight_decay;
    return TF_OK;
}

float tf_trainer_lr_at(const tf_trainer * t, int64_t step) { return t ? schedule_lr(*t, step) : 0.0f; }

int32_t tf_trainer_step(tf_trainer * t, const int32_t * tokens, int64_t n_tokens, float * out_loss,
                        float * out_accuracy, float * out_lr) {
    if (t == nullptr || tokens == nullptr) return train_fail(TF_ERR_ARG, "trainer or tokens is null");
    if (n_tokens != static_cast<int64_t>(t->n_ctx) + 1) {
        return train_fail(TF_ERR_ARG, "a step takes n_ctx + 1 = " + std::to_string(t->n_ctx + 1) + " tokens, got " + std::to_string(n_tokens));
    }
    int32_t rc = load_window(t, tokens);
    if (rc != TF_OK) return rc;
    try {
        ggml_opt_result_reset(t->result.get());
        llama_opt_epoch(t->ctx, t->window.get(), t->result.get(), nullptr, /*idata_split=*/1, nullptr, nullptr);
        rc = read_result(t->result.get(), t->n_ctx, out_loss, out_accuracy);
        if (rc != TF_OK) return rc;
        if (out_lr) *out_lr = t->last_lr;
        t->step++;
        return TF_OK;
    } catch (const std::exception & e) {
        return train_fail(TF_ERR_NATIVE, std::string("training step: ") + e.what());
    }
}

int32_t tf_trainer_eval(tf_trainer * t, const int32_t * tokens, int64_t n_tokens, float * out_loss, float * out_accuracy) {
    if (t == nullptr || tokens == nullptr) return train_fail(TF_ERR_ARG, "trainer or tokens is null");
    const int64_t w = static_cast<int64_t>(t->n_ctx) + 1;
    if (n_tokens < w || n_tokens % w != 0) {
        return train_fail(TF_ERR_ARG, "eval takes whole windows of n_ctx + 1 = " + std::to_string(w) + " tokens");
    }
    try {
        ggml_opt_result_reset(t->result.get());
        const int64_t n_windows = n_tokens / w;
        for (int64_t i = 0; i < n_windows; ++i) {
            int32_t rc = load_window(t, tokens + i * w);
            if (rc != TF_OK) return rc;
            // idata_split = 0: the whole (one-window) dataset is evaluation, forward only, no update
            llama_opt_epoch(t->ctx, t->window.get(), nullptr, t->result.get(), 0, nullptr, nullptr);
        }
        return read_result(t->result.get(), n_windows * t->n_ctx, out_loss, out_accuracy);
    } catch (const std::exception & e) {
        return train_fail(TF_ERR_NATIVE, std::string("evaluation: ") + e.what());
    }
}

int32_t tf_trainer_save(tf_trainer * t, const char * path) {
    if (t == nullptr || path == nullptr) return train_fail(TF_ERR_ARG, "trainer or path is null");
    const std::string target(path);
    if (target.empty()) return train_fail(TF_ERR_ARG, "empty path");
    const std::string tmp = target + ".part";
    {
        std::FILE * f = std::fopen(tmp.c_str(), "wb");
        if (f == nullptr) return train_fail(TF_ERR_ARG, "cannot write " + tmp);
        std::fclose(f);
    }
    try {
        llama_model_save_to_file(t->model, tmp.c_str());
    } catch (const std::exception & e) {
        std::remove(tmp.c_str());
        return train_fail(TF_ERR_NATIVE, std::string("save: ") + e.what());
    }
    std::FILE * f = std::fopen(tmp.c_str(), "rb");
    long size = -1;
    if (f != nullptr) {
        if (std::fseek(f, 0, SEEK_END) == 0) size = std::ftell(f);
        std::fclose(f);
    }
    if (size <= 0) {
        std::remove(tmp.c_str());
        return train_fail(TF_ERR_NATIVE, "save wrote nothing to " + tmp);
    }
    if (std::rename(tmp.c_str(), target.c_str()) != 0) {
        std::remove(tmp.c_str());
        return train_fail(TF_ERR_NATIVE, "cannot rename " + tmp + " to " + target);
    }
    return TF_OK;
}

} // extern "C"

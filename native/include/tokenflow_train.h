// libtokenflow's trainer (native/src/train.cpp): the flat C entry points Java binds for training a model.
// Same conventions as tokenflow.h (handles, TF_OK / TF_ERR_* codes, tf_last_error()).
#ifndef TOKENFLOW_TRAIN_H
#define TOKENFLOW_TRAIN_H

#include "tokenflow.h"

#ifdef __cplusplus
extern "C" {
#endif

// Trains every F32 tensor of a llama-architecture GGUF with AdamW through llama.cpp's training API, the token
// embedding included: upstream llama.cpp v0.4.0 leaves token_embd fixed, native/patches/0002-train-token-embd.patch
// makes it a parameter (rope_freqs, a fixed table, stays untrained). One optimizer step = one window of n_ctx
// tokens, given as n_ctx + 1 tokens (inputs t[0..n_ctx), next-token labels t[1..n_ctx]); the loss is the mean cross
// entropy over the window's positions. The learning rate of step s follows the schedule: linear warm-up
// lr_max * (s + 1) / warmup for s < warmup, then constant lr_max, or cosine / linear decay from lr_max to lr_min
// at step total (and lr_min after). AdamW moments live only in memory: a resumed run (tf_trainer_set_step_count
// on a saved model) restarts them. Failures return NULL or a TF_ERR_* code; the message is tf_last_error().

typedef struct tf_trainer tf_trainer;

struct tf_trainer_params {
    uint32_t n_ctx;         // window length = tokens per optimizer step, a multiple of 256 (default 256)
    uint32_t n_ubatch;      // micro-batch (0 = n_ctx, default), divides n_ctx; micro-batches accumulate gradients,
                            // and a later one sees the earlier ones' cached K/V without gradient through them (so
                            // documents should not cross micro-batch boundaries)
    int32_t  n_threads;     // CPU threads (default 1)
    int32_t  n_gpu_layers;  // as tf_model_params.n_gpu_layers (default 0)
};
struct tf_trainer_params tf_trainer_default_params(void);

// model_path: a GGUF with F32 weights, loaded without mmap (its weights are updated in memory). params: NULL =
// defaults.
tf_trainer * tf_trainer_new(const char * model_path, const struct tf_trainer_params * params);
void     tf_trainer_free(tf_trainer * trainer);
uint32_t tf_trainer_n_ctx(const tf_trainer * trainer);
int32_t  tf_trainer_n_vocab(const tf_trainer * trainer);
int64_t  tf_trainer_n_params(const tf_trainer * trainer);

enum tf_lr_schedule { TF_LR_CONSTANT = 0, TF_LR_COSINE = 1, TF_LR_LINEAR = 2 };

// Learning-rate schedule and AdamW settings (the formula is at the top of this header).
struct tf_schedule {
    int32_t kind;          // enum tf_lr_schedule (default TF_LR_COSINE)
    float   lr_max;        // default 1e-3
    float   lr_min;        // default 1e-4
    int64_t warmup_steps;  // default 0
    int64_t total_steps;   // default 1
    float   beta1;         // default 0.9
    float   beta2;         // default 0.999
    float   weight_decay;  // default 0
};
struct tf_schedule tf_schedule_default(void);

// A new trainer starts with tf_schedule_default().
int32_t tf_trainer_set_schedule(tf_trainer * trainer, const struct tf_schedule * schedule);
float   tf_trainer_lr_at(const tf_trainer * trainer, int64_t step);
// Optimizer steps done so far; set it when resuming from a checkpoint so the schedule continues.
int64_t tf_trainer_step_count(const tf_trainer * trainer);
int32_t tf_trainer_set_step_count(tf_trainer * trainer, int64_t step);

// One optimizer step on one window (n_tokens must be n_ctx + 1). Writes the window's mean loss (nats/token, before
// the update), next-token accuracy and the learning rate used.
int32_t tf_trainer_step(tf_trainer * trainer, const int32_t * tokens, int64_t n_tokens, float * out_loss,
                        float * out_accuracy, float * out_lr);
// Loss and accuracy over whole windows (n_tokens a multiple of n_ctx + 1), forward only, no update.
int32_t tf_trainer_eval(tf_trainer * trainer, const int32_t * tokens, int64_t n_tokens, float * out_loss,
                        float * out_accuracy);
// Writes the current weights as a GGUF (via path + ".part", then renamed): loadable by tf_model_load.
int32_t tf_trainer_save(tf_trainer * trainer, const char * path);

#ifdef __cplusplus
}
#endif

#endif // TOKENFLOW_TRAIN_H

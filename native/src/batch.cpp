// libtokenflow: continuous batching (one token for each of many sequences in one decode call) and pooled embeddings.
#include "tokenflow.h"
#include "facade_internal.h"

#include "llama.h"

#include <climits>
#include <string>
#include <vector>

using tfi::fail;
using tfi::fail_null;

extern "C" {

int32_t tf_session_decode_rows(tf_session * s, const int32_t * tokens, const int32_t * pos, const int32_t * seqs,
                               int32_t n) {
    if (s == nullptr || tokens == nullptr || pos == nullptr || seqs == nullptr) return fail(TF_ERR_ARG, "decode_rows: null argument");
    if (s->embeddings) return fail(TF_ERR_ARG, "decode_rows: an embedding session only embeds");
    if (n < 1 || n > static_cast<int32_t>(llama_n_batch(s->ctx))) return fail(TF_ERR_ARG, "decode_rows: row count outside 1..n_batch");
    const int32_t n_vocab = llama_vocab_n_tokens(s->owner->vocab);
    const uint32_t n_seq = llama_n_seq_max(s->ctx);
    std::vector<bool> used(n_seq, false);
    for (int32_t i = 0; i < n; ++i) {
        const std::string at = " at row " + std::to_string(i);
        if (tokens[i] < 0 || tokens[i] >= n_vocab) return fail(TF_ERR_ARG, "decode_rows: token id out of range" + at);
        if (pos[i] < 0 || pos[i] == INT32_MAX) return fail(TF_ERR_ARG, "decode_rows: position out of range" + at);
        if (seqs[i] < 0 || static_cast<uint32_t>(seqs[i]) >= n_seq) return fail(TF_ERR_ARG, "decode_rows: sequence id out of range" + at);
        if (used[static_cast<size_t>(seqs[i])]) return fail(TF_ERR_ARG, "decode_rows: sequence used twice" + at);
        used[static_cast<size_t>(seqs[i])] = true;
    }
    llama_batch & batch = s->batch;
    s->has_logits = false;
    s->logit_rows = 0;
    // Every row is a single-token step of its sequence: the invariant kernels make its sums independent of the others.
    s->use_invariant_kernels(true);
    batch.n_tokens = n;
    for (int32_t i = 0; i < n; ++i) {
        batch.token[i] = tokens[i];
        batch.pos[i] = pos[i];
        batch.n_seq_id[i] = 1;
        batch.seq_id[i][0] = seqs[i];
        batch.logits[i] = true;
    }
    const int32_t rc = llama_decode(s->ctx, batch);
    if (rc != 0) {
        for (int32_t i = 0; i < n; ++i) llama_memory_seq_rm(llama_get_memory(s->ctx), seqs[i], pos[i], -1);
        if (rc == 1) return fail(TF_ERR_NO_SLOT, "decode_rows: no KV cache slot for the batch");
        if (rc == 2) return fail(TF_ERR_ABORTED, "decode_rows: aborted");
        return fail(TF_ERR_NATIVE, "decode_rows: llama_decode failed with code " + std::to_string(rc));
    }
    s->logit_rows = n;
    return TF_OK;
}

float * tf_session_row_logits(tf_session * s, int32_t row) {
    if (s == nullptr || row < 0 || row >= s->logit_rows) return fail_null<float>("row_logits: no logits for that row");
    return llama_get_logits_ith(s->ctx, row);
}

int32_t tf_session_embed(tf_session * s, const int32_t * tokens, int32_t n, float * out, int32_t cap) {
    if (s == nullptr || tokens == nullptr) return fail(TF_ERR_ARG, "embed: null argument");
    if (!s->embeddings) return fail(TF_ERR_ARG, "embed: not an embedding session (create it with embeddings = true)");
    // the batch (n_batch == n_ubatch) bounds a text: llama.cpp may round n_ctx up, never the batch
    if (n < 1 || n > static_cast<int32_t>(llama_n_ubatch(s->ctx)) || n > static_cast<int32_t>(llama_n_batch(s->ctx)))
        return fail(TF_ERR_ARG, "embed: token count outside 1..n_batch");
    const int32_t n_vocab = llama_vocab_n_tokens(s->owner->vocab);
    for (int32_t i = 0; i < n; ++i)
        if (tokens[i] < 0 || tokens[i] >= n_vocab) return fail(TF_ERR_ARG, "embed: token id out of range at index " + std::to_string(i));
    const int32_t n_embd = llama_model_n_embd(s->owner->model);
    if (out == nullptr || cap < n_embd) return -n_embd;
    llama_memory_clear(llama_get_memory(s->ctx), true);
    llama_batch & batch = s->batch;
    batch.n_tokens = n;
    for (int32_t i = 0; i < n; ++i) {
        batch.token[i] = tokens[i];
        batch.pos[i] = i;
        batch.n_seq_id[i] = 1;
        batch.seq_id[i][0] = 0;
        batch.logits[i] = true;  // every token's output enters the mean
    }
    const int32_t rc = llama_decode(s->ctx, batch);
    if (rc != 0) {
        llama_memory_clear(llama_get_memory(s->ctx), true);
        if (rc == 2) return fail(TF_ERR_ABORTED, "embed: aborted");
        return fail(TF_ERR_NATIVE, "embed: llama_decode failed with code " + std::to_string(rc));
    }
    const float * e = llama_get_embeddings_seq(s->ctx, 0);
    if (e == nullptr) return fail(TF_ERR_NATIVE, "embed: llama.cpp returned no pooled embedding");
    for (int32_t i = 0; i < n_embd; ++i) out[i] = e[i];
    return n_embd;
}

} // extern "C"

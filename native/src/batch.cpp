// libtokenflow: continuous batching (rows of many sequences in one decode call) and pooled embeddings.
#include "tokenflow.h"
#include "facade_internal.h"

#include "llama.h"

#include <climits>
#include <string>
#include <vector>

using tfi::fail;
using tfi::fail_null;

extern "C" {

namespace {

// Shared by decode_rows and decode_batch: checks every row, decodes them in one llama_decode, keeps the logits of the
// rows marked in `want` (NULL: every row). distinct: each sequence appears once (decode_rows' contract).
int32_t decode_rows_impl(tf_session * s, const int32_t * tokens, const int32_t * pos, const int32_t * seqs,
                         const int8_t * want, int32_t n, bool distinct, const char * what) {
    if (s == nullptr || tokens == nullptr || pos == nullptr || seqs == nullptr) return fail(TF_ERR_ARG, std::string(what) + ": null argument");
    if (s->embeddings) return fail(TF_ERR_ARG, std::string(what) + ": an embedding session only embeds");
    if (n < 1 || n > static_cast<int32_t>(llama_n_batch(s->ctx))) return fail(TF_ERR_ARG, std::string(what) + ": row count outside 1..n_batch");
    const int32_t n_vocab = llama_vocab_n_tokens(s->owner->vocab);
    const uint32_t n_seq = llama_n_seq_max(s->ctx);
    // per sequence: the position its next row must have (-1: not seen yet), and its first position in this call
    std::vector<int32_t> next(n_seq, -1), first(n_seq, -1);
    for (int32_t i = 0; i < n; ++i) {
        auto bad = [&](const char * what) { return fail(TF_ERR_ARG, std::string(what) + ": " + what + " at row " + std::to_string(i)); };
        if (tokens[i] < 0 || tokens[i] >= n_vocab) return bad("token id out of range");
        if (pos[i] < 0 || pos[i] == INT32_MAX) return bad("position out of range");
        if (seqs[i] < 0 || static_cast<uint32_t>(seqs[i]) >= n_seq) return bad("sequence id out of range");
        const size_t q = static_cast<size_t>(seqs[i]);
        if (next[q] >= 0) {
            if (distinct) return bad("sequence used twice");
            if (pos[i] != next[q]) return bad("positions of a sequence must follow one another");
        } else {
            first[q] = pos[i];
        }
        next[q] = pos[i] + 1;
    }
    llama_batch & batch = s->batch;
    s->has_logits = false;
    s->logit_rows = 0;
    s->logit_mask.assign(static_cast<size_t>(n), 1);
    // Each row's sums must not depend on the others: the invariant kernels (a prompt token included).
    s->use_invariant_kernels(true);
    batch.n_tokens = n;
    for (int32_t i = 0; i < n; ++i) {
        batch.token[i] = tokens[i];
        batch.pos[i] = pos[i];
        batch.n_seq_id[i] = 1;
        batch.seq_id[i][0] = seqs[i];
        const bool keep = want == nullptr || want[i] != 0;
        batch.logits[i] = keep;
        s->logit_mask[static_cast<size_t>(i)] = keep ? 1 : 0;
    }
    const int32_t rc = tfi::decode(s, batch);
    if (rc != 0) {
        for (uint32_t q = 0; q < n_seq; ++q)
            if (first[q] >= 0) llama_memory_seq_rm(llama_get_memory(s->ctx), static_cast<llama_seq_id>(q), first[q], -1);
        if (rc == tfi::kRpcLost) return TF_ERR_NATIVE;
        if (rc == 1) return fail(TF_ERR_NO_SLOT, std::string(what) + ": no KV cache slot for the batch");
        if (rc == 2) return fail(TF_ERR_ABORTED, std::string(what) + ": aborted");
        return fail(TF_ERR_NATIVE, std::string(what) + ": llama_decode failed with code " + std::to_string(rc));
    }
    s->logit_rows = n;
    return TF_OK;
}

} // namespace

int32_t tf_session_decode_rows(tf_session * s, const int32_t * tokens, const int32_t * pos, const int32_t * seqs,
                               int32_t n) {
    return decode_rows_impl(s, tokens, pos, seqs, nullptr, n, true, "decode_rows");
}

int32_t tf_session_decode_batch(tf_session * s, const int32_t * tokens, const int32_t * pos, const int32_t * seqs,
                                const int8_t * logits, int32_t n) {
    return decode_rows_impl(s, tokens, pos, seqs, logits, n, false, "decode_batch");
}

float * tf_session_row_logits(tf_session * s, int32_t row) {
    if (s == nullptr || !s->has_row_logits(row)) return fail_null<float>("row_logits: no logits for that row");
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
    tfi::fill_sequence(batch, tokens, n, 0, 0, 0);  // every token's output enters the mean
    const int32_t rc = tfi::decode(s, batch);
    if (rc != 0) {
        llama_memory_clear(llama_get_memory(s->ctx), true);
        if (rc == tfi::kRpcLost) return TF_ERR_NATIVE;
        if (rc == 2) return fail(TF_ERR_ABORTED, "embed: aborted");
        return fail(TF_ERR_NATIVE, "embed: llama_decode failed with code " + std::to_string(rc));
    }
    const float * e = llama_get_embeddings_seq(s->ctx, 0);
    if (e == nullptr) return fail(TF_ERR_NATIVE, "embed: llama.cpp returned no pooled embedding");
    for (int32_t i = 0; i < n_embd; ++i) out[i] = e[i];
    return n_embd;
}

} // extern "C"

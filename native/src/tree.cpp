// libtokenflow: token trees: one batch decodes a draft tree, tfkernels verifies it, the accepted path is committed.
#include "tokenflow.h"
#include "facade_internal.h"

#include "llama.h"
#include "tfkernels.h"

#include <algorithm>
#include <climits>
#include <string>
#include <vector>

namespace {

using tfi::fail;
using tfi::fail_null;
using tfi::kMaxTree;

// Removes the cells of every path sequence (1..L) the last tree used.
void tree_drop_paths(tf_session * s) {
    llama_memory_t mem = llama_get_memory(s->ctx);
    for (int32_t q = 1; q <= s->tree_n_leaves; ++q) llama_memory_seq_rm(mem, q, -1, -1);
    s->tree_n_leaves = 0;
}

// The decoded tree's logits as tfkernels reads them: n rows of n_vocab floats, in node order.
struct tree_rows {
    const float * logits = nullptr;
    int32_t n = 0;
    int64_t n_vocab = 0;
};

int32_t tree_rows_of(tf_session * s, tree_rows * t) {
    if (s == nullptr || s->tree_pos0 < 0) return fail(TF_ERR_ARG, "verify: no tree decoded");
    t->n = static_cast<int32_t>(s->tree_tokens.size());
    t->n_vocab = llama_vocab_n_tokens(s->owner->vocab);
    t->logits = llama_get_logits(s->ctx);
    if (t->logits == nullptr) return fail(TF_ERR_NATIVE, "verify: no logits");
    return TF_OK;
}

// A tfkernels status as the facade reports it.
int32_t verify_status(int rc) {
    if (rc != 0) return fail(TF_ERR_ARG, std::string("verify: ") + tfk_status_str(rc));
    return TF_OK;
}

} // namespace

extern "C" {

int32_t tf_session_decode_tree(tf_session * s, const int32_t * tokens, const int32_t * parents, int32_t n, int32_t pos0) {
    if (s == nullptr || tokens == nullptr || parents == nullptr) return fail(TF_ERR_ARG, "decode_tree: null argument");
    if (n < 1 || n > kMaxTree) return fail(TF_ERR_ARG, "decode_tree: tree size must be in [1, 256]");
    if (n > static_cast<int32_t>(llama_n_batch(s->ctx))) return fail(TF_ERR_ARG, "decode_tree: tree larger than the batch size");
    if (parents[0] != -1) return fail(TF_ERR_ARG, "decode_tree: parents[0] must be -1");
    if (s->embeddings) return fail(TF_ERR_ARG, "decode_tree: an embedding session only embeds");
    if (s->seq_streams) return fail(TF_ERR_ARG, "decode_tree: token trees need the shared KV stream (seq_streams is set)");
    const int32_t n_vocab = llama_vocab_n_tokens(s->owner->vocab);
    std::vector<int32_t> depth(static_cast<size_t>(n), 0), n_children(static_cast<size_t>(n), 0);
    for (int32_t i = 0; i < n; ++i) {
        if (tokens[i] < 0 || tokens[i] >= n_vocab) return fail(TF_ERR_ARG, "decode_tree: token id out of range at node " + std::to_string(i));
        if (i > 0) {
            if (parents[i] < 0 || parents[i] >= i) return fail(TF_ERR_ARG, "decode_tree: parents[" + std::to_string(i) + "] must be in [0, i)");
            depth[i] = depth[parents[i]] + 1;
            n_children[parents[i]]++;
        }
    }
    int32_t max_depth = 0;
    for (int32_t i = 0; i < n; ++i) max_depth = std::max(max_depth, depth[i]);
    if (pos0 < 0 || static_cast<int64_t>(pos0) + max_depth + 1 > INT32_MAX) return fail(TF_ERR_ARG, "decode_tree: position out of range");
    llama_memory_t mem = llama_get_memory(s->ctx);
    if (llama_memory_seq_pos_max(mem, 0) != pos0 - 1)
        return fail(TF_ERR_ARG, "decode_tree: pos0 must follow the last cached position of sequence 0");
    if (!s->tree_ready) {
        s->tree_batch = llama_batch_init(kMaxTree, 0, kMaxTree);
        s->tree_ready = true;
    }
    // Leaves get sequence ids 1..L; every node carries the ids of the leaves below it.
    std::vector<std::vector<int32_t>> seqs(static_cast<size_t>(n));
    int32_t n_leaves = 0;
    for (int32_t i = 0; i < n; ++i) {
        if (n_children[i] != 0) continue;
        const int32_t q = ++n_leaves;
        for (int32_t u = i; u >= 0; u = parents[u]) seqs[u].push_back(q);
    }
    // The cached prefix belongs to every path.
    for (int32_t q = 1; q <= n_leaves; ++q) llama_memory_seq_cp(mem, 0, q, -1, -1);
    s->tree_n_leaves = n_leaves;
    llama_batch & b = s->tree_batch;
    b.n_tokens = n;
    for (int32_t i = 0; i < n; ++i) {
        b.token[i] = tokens[i];
        b.pos[i] = pos0 + depth[i];
        b.n_seq_id[i] = static_cast<int32_t>(seqs[i].size());
        for (size_t j = 0; j < seqs[i].size(); ++j) b.seq_id[i][j] = seqs[i][j];
        b.logits[i] = true;
    }
    s->has_logits = false;
    s->logit_rows = 0;
    s->tree_pos0 = -1;
    s->use_invariant_kernels(true);
    const int32_t rc = tfi::decode(s, b);
    if (rc != 0) {
        tree_drop_paths(s);
        if (rc == tfi::kRpcLost) return TF_ERR_NATIVE;
        if (rc == 1) return fail(TF_ERR_NO_SLOT, "decode_tree: no KV cache slot for the tree");
        if (rc == 2) return fail(TF_ERR_ABORTED, "decode_tree: aborted");
        return fail(TF_ERR_NATIVE, "decode_tree: llama_decode failed with code " + std::to_string(rc));
    }
    s->tree_tokens.assign(tokens, tokens + n);
    s->tree_parents.assign(parents, parents + n);
    s->tree_depth = depth;
    s->tree_leaf_seq.assign(static_cast<size_t>(n), 0);
    for (int32_t i = 0; i < n; ++i) s->tree_leaf_seq[i] = seqs[i].front();
    s->tree_pos0 = pos0;
    return TF_OK;
}

float * tf_session_tree_logits(tf_session * s) {
    if (s == nullptr || s->tree_pos0 < 0) return fail_null<float>("no tree logits available");
    // Outputs come back in batch order, one row per node.
    return llama_get_logits(s->ctx);
}

int32_t tf_session_commit_path(tf_session * s, const int32_t * path, int32_t len) {
    if (s == nullptr || path == nullptr) return fail(TF_ERR_ARG, "commit_path: null argument");
    if (s->tree_pos0 < 0) return fail(TF_ERR_ARG, "commit_path: no tree to commit");
    const int32_t n = static_cast<int32_t>(s->tree_tokens.size());
    if (len < 1 || len > n || path[0] != 0) return fail(TF_ERR_ARG, "commit_path: the path must start at the root");
    for (int32_t i = 1; i < len; ++i) {
        if (path[i] <= 0 || path[i] >= n || s->tree_parents[path[i]] != path[i - 1])
            return fail(TF_ERR_ARG, "commit_path: node " + std::to_string(path[i]) + " is not a child of the previous one");
    }
    llama_memory_t mem = llama_get_memory(s->ctx);
    // The deepest accepted node's leaf sequence holds exactly the path's cells at positions pos0.. (one per depth).
    const int32_t q = s->tree_leaf_seq[path[len - 1]];
    llama_memory_seq_cp(mem, q, 0, s->tree_pos0, s->tree_pos0 + len);
    tree_drop_paths(s);
    // The path's cells sit among the rejected nodes' freed cells; later tokens would fill those out of position
    // order, and attention sums over cells in cell order. Moving the path up keeps cell order = position order.
    // Only while invariance can still hold (it cannot with flash attention off: no copying for nothing).
    if (s->invariant_kept && !llama_memory_seq_compact(mem, 0, s->tree_pos0, s->tree_pos0 + len)) s->invariant_kept = false;
    s->tree_pos0 = -1;
    s->has_logits = false;
    s->logit_rows = 0;
    return TF_OK;
}

int32_t tf_session_verify_greedy(tf_session * s, tf_verify_out * out) {
    if (out == nullptr) return fail(TF_ERR_ARG, "verify output is null");
    tree_rows t;
    const int32_t st = tree_rows_of(s, &t);
    if (st != TF_OK) return st;
    const int rc = tfk_tree_verify_greedy_f32(t.logits, t.n, t.n_vocab, t.n_vocab, s->tree_tokens.data(), s->tree_parents.data(),
                                              out->k_cand, out->path, &out->n_path, &out->bonus, out->cand_ids, out->n_threads);
    return verify_status(rc);
}

int32_t tf_session_verify_sample(tf_session * s, const tf_sampler_params * sampling, const float * uniforms,
                                 tf_verify_out * out) {
    if (out == nullptr || sampling == nullptr) return fail(TF_ERR_ARG, "verify output or sampling parameters are null");
    tree_rows t;
    const int32_t st = tree_rows_of(s, &t);
    if (st != TF_OK) return st;
    const tfk_sampling_params sp{sampling->temperature, sampling->top_k, sampling->top_p, sampling->min_p};
    const int rc = tfk_tree_verify_sample_f32(t.logits, t.n, t.n_vocab, t.n_vocab, s->tree_tokens.data(), s->tree_parents.data(),
                                              out->k_cand, &sp, uniforms, out->path, &out->n_path, &out->bonus, out->cand_ids,
                                              out->n_threads);
    return verify_status(rc);
}

} // extern "C"

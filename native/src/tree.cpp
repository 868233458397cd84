// libtokenflow: token trees: one batch decodes a draft tree, tfkernels verifies it, the accepted path is committed.
#include "tokenflow.h"
#include "facade_internal.h"

#include "ggml-backend.h"
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

// The decoded tree's logits as tfkernels reads them: n rows of n_vocab floats, in node order, row_stride apart, in
// host memory or (cuda_device >= 0) on that CUDA device.
struct tree_rows {
    const float * logits = nullptr;
    int32_t n = 0;
    int64_t n_vocab = 0;
    int64_t row_stride = 0;
    int cuda_device = -1;
};

// The tree's rows in host memory, copied out of llama.cpp's output tensor once per tree (GPU or RPC memory).
const float * tree_host_copy(tf_session * s, const ggml_tensor * lt, int32_t n, int64_t n_vocab) {
    const size_t count = static_cast<size_t>(n) * static_cast<size_t>(n_vocab);
    if (s->tree_host.size() != count) {
        s->tree_host.resize(count);
        ggml_backend_tensor_get(lt, s->tree_host.data(), 0, count * sizeof(float));
    }
    return s->tree_host.data();
}

// The last tree's logits tensor when they stayed in it (checked against the tree), else NULL with the error set.
const ggml_tensor * tree_tensor(tf_session * s, int32_t n, int64_t n_vocab) {
    const ggml_tensor * lt = llama_get_logits_tensor(s->ctx);
    if (lt == nullptr || lt->type != GGML_TYPE_F32 || lt->ne[0] != n_vocab || lt->ne[1] != n || !ggml_is_contiguous(lt))
        return fail_null<const ggml_tensor>("verify: the tree's logits are not in llama.cpp's output tensor");
    llama_synchronize(s->ctx);  // the graph (and any copy out of it) may still be running on a device
    return lt;
}

int32_t tree_rows_of(tf_session * s, tree_rows * t) {
    if (s == nullptr || s->tree_pos0 < 0) return fail(TF_ERR_ARG, "verify: no tree decoded");
    if (s->n_decodes != s->tree_decode_id) return fail(TF_ERR_ARG, "verify: a later decode replaced the tree's logits");
    t->n = static_cast<int32_t>(s->tree_tokens.size());
    t->n_vocab = llama_vocab_n_tokens(s->owner->vocab);
    t->row_stride = t->n_vocab;
    if (!s->tree_in_tensor) {
        t->logits = llama_get_logits(s->ctx);
        if (t->logits == nullptr) return fail(TF_ERR_NATIVE, "verify: no logits");
        return TF_OK;
    }
    const ggml_tensor * lt = tree_tensor(s, t->n, t->n_vocab);
    if (lt == nullptr) return TF_ERR_NATIVE;
    const tfi::tensor_place where = tfi::place_of(lt);
    if (where.kind == tfi::tensor_place::other) {
        t->logits = tree_host_copy(s, lt, t->n, t->n_vocab);
    } else {
        t->logits = static_cast<const float *>(lt->data);
        t->cuda_device = where.kind == tfi::tensor_place::cuda ? where.cuda_device : -1;
    }
    return TF_OK;
}

// A tfkernels status as the facade reports it: bad arguments are the caller's; the rest (CUDA) the library's.
int32_t verify_status(int rc) {
    if (rc == TFK_OK) return TF_OK;
    if (rc == TFK_ERR_CUDA) return fail(TF_ERR_NATIVE, std::string("verify on CUDA: ") + tfk_cuda_last_error());
    if (rc == TFK_ERR_NO_CUDA || rc == TFK_ERR_NO_MEMORY || rc == TFK_ERR_INTERNAL)
        return fail(TF_ERR_NATIVE, std::string("verify: ") + tfk_status_str(rc));
    return fail(TF_ERR_ARG, std::string("verify: ") + tfk_status_str(rc));
}

// Runs a CUDA verification `launch(d_path, d_len, d_bonus, d_cand)` into the session's device scratch on the logits'
// device, then brings path, length, bonus and candidates back in one copy (n + 2 + n * k_cand ints).
template <class Launch>
int32_t verify_on_cuda(tf_session * s, const tree_rows & t, tf_verify_out * out, Launch && launch) {
    if (out->path == nullptr || (out->k_cand > 0 && out->cand_ids == nullptr)) return verify_status(TFK_ERR_NULL);
    const size_t n = static_cast<size_t>(t.n);
    const size_t k = static_cast<size_t>(std::clamp(out->k_cand, 0, static_cast<int32_t>(TFK_TOPK_MAX_K)));
    const size_t count = n + 2 + n * k;
    int rc = tfk_cuda_set_device(t.cuda_device);
    if (rc == TFK_OK) rc = s->verify_scratch.reserve(count * sizeof(int32_t));
    if (rc != TFK_OK) return verify_status(rc);
    int32_t * d = static_cast<int32_t *>(s->verify_scratch.ptr);
    rc = launch(d, d + n, d + n + 1, k > 0 ? d + n + 2 : nullptr);
    if (rc != TFK_OK) return verify_status(rc);  // validation failed: nothing was written
    std::vector<int32_t> h(count);
    rc = tfk_cuda_synchronize(nullptr);
    if (rc == TFK_OK) rc = tfk_cuda_memcpy_d2h(h.data(), d, count * sizeof(int32_t));
    if (rc != TFK_OK) return verify_status(rc);
    out->n_path = h[n];
    out->bonus = h[n + 1];
    std::copy_n(h.begin(), std::clamp<int32_t>(out->n_path, 0, t.n), out->path);
    if (k > 0) std::copy_n(h.begin() + static_cast<std::ptrdiff_t>(n + 2), n * k, out->cand_ids);
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
    // The logits stay in llama.cpp's output tensor only when the tree is one micro-batch (the tensor holds the last
    // micro-batch's rows); llama.cpp copies them to the host otherwise.
    const bool in_tensor = s->device_logits && n <= static_cast<int32_t>(llama_n_ubatch(s->ctx));
    if (in_tensor) llama_set_logits_to_host(s->ctx, false);
    const int32_t rc = tfi::decode(s, b);
    if (in_tensor) llama_set_logits_to_host(s->ctx, true);
    s->tree_in_tensor = in_tensor;
    s->tree_host.clear();
    s->tree_decode_id = s->n_decodes;
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
    if (s->n_decodes != s->tree_decode_id) return fail_null<float>("a later decode replaced the tree's logits");
    // Outputs come back in batch order, one row per node.
    if (!s->tree_in_tensor) return llama_get_logits(s->ctx);
    const int32_t n = static_cast<int32_t>(s->tree_tokens.size());
    const int64_t n_vocab = llama_vocab_n_tokens(s->owner->vocab);
    const ggml_tensor * lt = tree_tensor(s, n, n_vocab);
    if (lt == nullptr) return nullptr;
    if (tfi::place_of(lt).kind == tfi::tensor_place::host) return static_cast<float *>(lt->data);
    return const_cast<float *>(tree_host_copy(s, lt, n, n_vocab));
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
    const int32_t * tokens = s->tree_tokens.data();
    const int32_t * parents = s->tree_parents.data();
    if (t.cuda_device >= 0) {
        return verify_on_cuda(s, t, out, [&](int32_t * path, int32_t * len, int32_t * bonus, int32_t * cand) {
            return tfk_tree_verify_greedy_cuda_f32(t.logits, t.n, t.n_vocab, t.row_stride, tokens, parents, out->k_cand,
                                                   path, len, bonus, cand, nullptr);
        });
    }
    const int rc = tfk_tree_verify_greedy_f32(t.logits, t.n, t.n_vocab, t.row_stride, tokens, parents, out->k_cand,
                                              out->path, &out->n_path, &out->bonus, out->cand_ids, out->n_threads);
    return verify_status(rc);
}

int32_t tf_session_verify_sample(tf_session * s, const tf_sampler_params * sampling, const float * uniforms,
                                 tf_verify_out * out) {
    if (out == nullptr || sampling == nullptr) return fail(TF_ERR_ARG, "verify output or sampling parameters are null");
    tree_rows t;
    const int32_t st = tree_rows_of(s, &t);
    if (st != TF_OK) return st;
    const tfk_sampling_params sp{sampling->temperature, sampling->top_k, sampling->top_p, sampling->min_p};
    const int32_t * tokens = s->tree_tokens.data();
    const int32_t * parents = s->tree_parents.data();
    if (t.cuda_device >= 0) {
        return verify_on_cuda(s, t, out, [&](int32_t * path, int32_t * len, int32_t * bonus, int32_t * cand) {
            return tfk_tree_verify_sample_cuda_f32(t.logits, t.n, t.n_vocab, t.row_stride, tokens, parents, out->k_cand,
                                                   &sp, uniforms, path, len, bonus, cand, nullptr);
        });
    }
    const int rc = tfk_tree_verify_sample_f32(t.logits, t.n, t.n_vocab, t.row_stride, tokens, parents, out->k_cand, &sp,
                                              uniforms, out->path, &out->n_path, &out->bonus, out->cand_ids,
                                              out->n_threads);
    return verify_status(rc);
}

} // extern "C"

// Internal helpers shared by the tree-verification and sampling kernels (not part of the API).
#pragma once

#include "tfkernels.h"

#include <cmath>
#include <stdint.h>

namespace tfk {
namespace detail {

// Checks of everything but the sampling parameters, in the documented order:
// pointers, shape, stride, k_cand, tree (parents), tokens. Host-side tokens/parents.
inline int tree_validate(const void * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                         const int32_t * tokens, const int32_t * parents, int32_t k_cand,
                         const void * out_path, const void * out_path_len, const void * out_bonus,
                         const void * out_cand_ids) {
    if (logits == nullptr || tokens == nullptr || parents == nullptr || out_path == nullptr ||
        out_path_len == nullptr || out_bonus == nullptr || (k_cand > 0 && out_cand_ids == nullptr))
        return TFK_ERR_NULL;
    if (n_nodes < 1 || n_nodes > TFK_TREE_MAX_NODES || n_vocab < 1 || n_vocab > INT32_MAX) return TFK_ERR_BAD_SHAPE;
    if (row_stride < n_vocab) return TFK_ERR_BAD_STRIDE;
    // Offset of the last element, (n_nodes-1)*row_stride + n_vocab, must fit int64.
    if (n_nodes - 1 > (INT64_MAX - n_vocab) / row_stride) return TFK_ERR_BAD_SHAPE;
    if (k_cand < 0 || k_cand > TFK_TOPK_MAX_K || k_cand > n_vocab) return TFK_ERR_BAD_K;
    if (parents[0] != -1) return TFK_ERR_BAD_TREE;
    for (int32_t i = 1; i < n_nodes; ++i)
        if (parents[i] < 0 || parents[i] >= i) return TFK_ERR_BAD_TREE;
    for (int32_t i = 0; i < n_nodes; ++i)
        if (tokens[i] < 0 || tokens[i] >= n_vocab) return TFK_ERR_BAD_TOKEN;
    return TFK_OK;
}

inline int sampling_params_validate(const tfk_sampling_params & sp) {
    if (!std::isfinite(sp.temperature) || std::isnan(sp.top_p) || std::isnan(sp.min_p)) return TFK_ERR_BAD_SAMPLING;
    return TFK_OK;
}

inline bool uniform_ok(double u) { return u >= 0.0 && u < 1.0; }  // false for NaN

// Everything the sampling tree verification checks before its walk, in the documented order.
inline int tree_sample_validate(const void * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                                const int32_t * tokens, const int32_t * parents, int32_t k_cand,
                                const tfk_sampling_params * sp, const float * uniforms, const void * out_path,
                                const void * out_path_len, const void * out_bonus, const void * out_cand_ids) {
    if (sp == nullptr || uniforms == nullptr) return TFK_ERR_NULL;
    int rc = tree_validate(logits, n_nodes, n_vocab, row_stride, tokens, parents, k_cand, out_path, out_path_len,
                           out_bonus, out_cand_ids);
    if (rc != TFK_OK) return rc;
    rc = sampling_params_validate(*sp);
    if (rc != TFK_OK) return rc;
    for (int32_t d = 0; d < n_nodes; ++d)
        if (!uniform_ok(static_cast<double>(uniforms[d]))) return TFK_ERR_BAD_SAMPLING;
    return TFK_OK;
}

// Single-row sampling entry checks: pointers, shape, parameters, uniform.
inline int row_validate(const float * row, int64_t n_vocab, const tfk_sampling_params * sp, const void * out1,
                        const void * out2, const void * out3) {
    if (row == nullptr || sp == nullptr || out1 == nullptr || out2 == nullptr || out3 == nullptr) return TFK_ERR_NULL;
    if (n_vocab < 1 || n_vocab > INT32_MAX) return TFK_ERR_BAD_SHAPE;
    return sampling_params_validate(*sp);
}

// First child of u (in index order) carrying token y, or -1.
inline int32_t find_child(int32_t n_nodes, const int32_t * tokens, const int32_t * parents, int32_t u, int32_t y) {
    for (int32_t c = u + 1; c < n_nodes; ++c)
        if (parents[c] == u && tokens[c] == y) return c;
    return -1;
}

} // namespace detail
} // namespace tfk

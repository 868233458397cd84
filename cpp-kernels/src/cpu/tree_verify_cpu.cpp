// Optimized CPU tree verification; same results as tree_verify_ref.cpp.
//  - Candidates (k_cand > 0): one tfk::topk_cpu call over all n_nodes rows (block-maximum top-k,
//    std::threads across rows when the rows are many/wide enough); greedy then reads each row's
//    argmax as its first candidate.
//  - k_cand == 0: only the rows the walk visits are scanned (a top-1 per visited row), not all rows.
//  - Sampling: tfk::sample_cpu on each visited row; the candidates are computed after the walk, so
//    a TFK_ERR_BAD_LOGITS found on the way leaves every output untouched.
//  - The walk: first child by a forward scan from u + 1 (children have larger indices than u).
#include "tfkernels.h"
#include "common/tree_common.h"

#include <new>
#include <vector>

namespace tfk {
namespace {

void write_path(const int32_t * path, int32_t len, int32_t bonus, int32_t * out_path, int32_t * out_path_len,
                int32_t * out_bonus) {
    for (int32_t i = 0; i < len; ++i) out_path[i] = path[i];
    *out_path_len = len;
    *out_bonus = bonus;
}

} // namespace

int tree_verify_greedy_cpu(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                           const int32_t * tokens, const int32_t * parents, int32_t k_cand, int32_t * out_path,
                           int32_t * out_path_len, int32_t * out_bonus, int32_t * out_cand_ids, int n_threads) noexcept {
    int rc = detail::tree_validate(logits, n_nodes, n_vocab, row_stride, tokens, parents, k_cand, out_path,
                                   out_path_len, out_bonus, out_cand_ids);
    if (rc != TFK_OK) return rc;
    try {
        if (k_cand > 0) {
            std::vector<float> vals(static_cast<size_t>(n_nodes) * k_cand);
            rc = topk_cpu(logits, n_nodes, n_vocab, row_stride, k_cand, out_cand_ids, vals.data(), n_threads);
            if (rc != TFK_OK) return rc;
        }
        int32_t path[TFK_TREE_MAX_NODES];
        int32_t len = 1, u = 0, y = 0;
        path[0] = 0;
        for (;;) {
            if (k_cand > 0) {
                y = out_cand_ids[static_cast<int64_t>(u) * k_cand];
            } else {
                float v;
                rc = topk_cpu(logits + u * row_stride, 1, n_vocab, n_vocab, 1, &y, &v, n_threads);
                if (rc != TFK_OK) return rc;
            }
            const int32_t c = detail::find_child(n_nodes, tokens, parents, u, y);
            if (c < 0) break;
            path[len++] = c;
            u = c;
        }
        write_path(path, len, y, out_path, out_path_len, out_bonus);
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
    return TFK_OK;
}

int tree_verify_sample_cpu(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                           const int32_t * tokens, const int32_t * parents, int32_t k_cand,
                           const tfk_sampling_params * sp, const float * uniforms, int32_t * out_path,
                           int32_t * out_path_len, int32_t * out_bonus, int32_t * out_cand_ids, int n_threads) noexcept {
    int rc = detail::tree_sample_validate(logits, n_nodes, n_vocab, row_stride, tokens, parents, k_cand, sp, uniforms,
                                          out_path, out_path_len, out_bonus, out_cand_ids);
    if (rc != TFK_OK) return rc;
    if (sp->temperature <= 0.0f)
        return tree_verify_greedy_cpu(logits, n_nodes, n_vocab, row_stride, tokens, parents, k_cand, out_path,
                                      out_path_len, out_bonus, out_cand_ids, n_threads);
    try {
        int32_t path[TFK_TREE_MAX_NODES];
        int32_t len = 1, u = 0, y = 0;
        path[0] = 0;
        for (;;) {
            rc = sample_cpu(logits + u * row_stride, n_vocab, sp, static_cast<double>(uniforms[len - 1]), &y);
            if (rc != TFK_OK) return rc;
            const int32_t c = detail::find_child(n_nodes, tokens, parents, u, y);
            if (c < 0) break;
            path[len++] = c;
            u = c;
        }
        if (k_cand > 0) {
            std::vector<float> vals(static_cast<size_t>(n_nodes) * k_cand);
            rc = topk_cpu(logits, n_nodes, n_vocab, row_stride, k_cand, out_cand_ids, vals.data(), n_threads);
            if (rc != TFK_OK) return rc;
        }
        write_path(path, len, y, out_path, out_path_len, out_bonus);
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
    return TFK_OK;
}

} // namespace tfk

extern "C" int tfk_tree_verify_greedy_f32(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                                          const int32_t * tokens, const int32_t * parents, int32_t k_cand,
                                          int32_t * out_path, int32_t * out_path_len, int32_t * out_bonus,
                                          int32_t * out_cand_ids, int n_threads) {
    return tfk::tree_verify_greedy_cpu(logits, n_nodes, n_vocab, row_stride, tokens, parents, k_cand, out_path,
                                       out_path_len, out_bonus, out_cand_ids, n_threads);
}

extern "C" int tfk_tree_verify_sample_f32(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                                          const int32_t * tokens, const int32_t * parents, int32_t k_cand,
                                          const tfk_sampling_params * sp, const float * uniforms, int32_t * out_path,
                                          int32_t * out_path_len, int32_t * out_bonus, int32_t * out_cand_ids,
                                          int n_threads) {
    return tfk::tree_verify_sample_cpu(logits, n_nodes, n_vocab, row_stride, tokens, parents, k_cand, sp, uniforms,
                                       out_path, out_path_len, out_bonus, out_cand_ids, n_threads);
}

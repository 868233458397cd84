// Scalar reference tree verification (greedy and sample-and-match): per-row argmax by a plain scan,
// candidates by tfk::topk_ref, sampling by tfk::sample_ref, the walk by scanning for children.
// Slow and obvious: the oracle for the optimized version.
#include "tfkernels.h"
#include "common/tree_common.h"

#include <cmath>
#include <new>
#include <vector>

namespace tfk {
namespace {

// The tfk_topk_f32 order with k = 1: the largest number, ties to the smaller id; NaN only if all NaN.
int32_t row_argmax(const float * row, int64_t n_vocab) {
    int32_t best = 0;
    for (int64_t i = 1; i < n_vocab; ++i) {
        const float x = row[i], b = row[best];
        if (!std::isnan(x) && (std::isnan(b) || x > b)) best = static_cast<int32_t>(i);
    }
    return best;
}

int candidates_ref(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride, int32_t k_cand,
                   std::vector<int32_t> & cand) {
    if (k_cand == 0) return TFK_OK;
    cand.resize(static_cast<size_t>(n_nodes) * k_cand);
    std::vector<float> vals(cand.size());
    return topk_ref(logits, n_nodes, n_vocab, row_stride, k_cand, cand.data(), vals.data());
}

void write_outputs(const std::vector<int32_t> & path, int32_t bonus, const std::vector<int32_t> & cand,
                   int32_t * out_path, int32_t * out_path_len, int32_t * out_bonus, int32_t * out_cand_ids) {
    for (size_t i = 0; i < path.size(); ++i) out_path[i] = path[i];
    *out_path_len = static_cast<int32_t>(path.size());
    *out_bonus = bonus;
    for (size_t i = 0; i < cand.size(); ++i) out_cand_ids[i] = cand[i];
}

} // namespace

int tree_verify_greedy_ref(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                           const int32_t * tokens, const int32_t * parents, int32_t k_cand, int32_t * out_path,
                           int32_t * out_path_len, int32_t * out_bonus, int32_t * out_cand_ids) noexcept {
    const int rc = detail::tree_validate(logits, n_nodes, n_vocab, row_stride, tokens, parents, k_cand, out_path,
                                         out_path_len, out_bonus, out_cand_ids);
    if (rc != TFK_OK) return rc;
    try {
        std::vector<int32_t> y(static_cast<size_t>(n_nodes));
        for (int32_t u = 0; u < n_nodes; ++u) y[u] = row_argmax(logits + u * row_stride, n_vocab);
        std::vector<int32_t> cand;
        const int rc2 = candidates_ref(logits, n_nodes, n_vocab, row_stride, k_cand, cand);
        if (rc2 != TFK_OK) return rc2;

        std::vector<int32_t> path{0};
        int32_t u = 0;
        for (;;) {
            int32_t next = -1;
            for (int32_t c = 0; c < n_nodes && next < 0; ++c)
                if (parents[c] == u && tokens[c] == y[u]) next = c;
            if (next < 0) break;
            path.push_back(next);
            u = next;
        }
        write_outputs(path, y[u], cand, out_path, out_path_len, out_bonus, out_cand_ids);
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
    return TFK_OK;
}

int tree_verify_sample_ref(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                           const int32_t * tokens, const int32_t * parents, int32_t k_cand,
                           const tfk_sampling_params * sp, const float * uniforms, int32_t * out_path,
                           int32_t * out_path_len, int32_t * out_bonus, int32_t * out_cand_ids) noexcept {
    int rc = detail::tree_sample_validate(logits, n_nodes, n_vocab, row_stride, tokens, parents, k_cand, sp, uniforms,
                                          out_path, out_path_len, out_bonus, out_cand_ids);
    if (rc != TFK_OK) return rc;
    if (sp->temperature <= 0.0f)
        return tree_verify_greedy_ref(logits, n_nodes, n_vocab, row_stride, tokens, parents, k_cand, out_path,
                                      out_path_len, out_bonus, out_cand_ids);
    try {
        std::vector<int32_t> path{0};
        int32_t u = 0, y = 0;
        for (;;) {
            const int32_t depth = static_cast<int32_t>(path.size()) - 1;
            rc = sample_ref(logits + u * row_stride, n_vocab, sp, static_cast<double>(uniforms[depth]), &y);
            if (rc != TFK_OK) return rc;
            int32_t next = -1;
            for (int32_t c = 0; c < n_nodes && next < 0; ++c)
                if (parents[c] == u && tokens[c] == y) next = c;
            if (next < 0) break;
            path.push_back(next);
            u = next;
        }
        std::vector<int32_t> cand;
        rc = candidates_ref(logits, n_nodes, n_vocab, row_stride, k_cand, cand);
        if (rc != TFK_OK) return rc;
        write_outputs(path, y, cand, out_path, out_path_len, out_bonus, out_cand_ids);
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
    return TFK_OK;
}

} // namespace tfk

extern "C" int tfk_tree_verify_greedy_ref_f32(const float * logits, int32_t n_nodes, int64_t n_vocab,
                                              int64_t row_stride, const int32_t * tokens, const int32_t * parents,
                                              int32_t k_cand, int32_t * out_path, int32_t * out_path_len,
                                              int32_t * out_bonus, int32_t * out_cand_ids) {
    return tfk::tree_verify_greedy_ref(logits, n_nodes, n_vocab, row_stride, tokens, parents, k_cand, out_path,
                                       out_path_len, out_bonus, out_cand_ids);
}

extern "C" int tfk_tree_verify_sample_ref_f32(const float * logits, int32_t n_nodes, int64_t n_vocab,
                                              int64_t row_stride, const int32_t * tokens, const int32_t * parents,
                                              int32_t k_cand, const tfk_sampling_params * sp, const float * uniforms,
                                              int32_t * out_path, int32_t * out_path_len, int32_t * out_bonus,
                                              int32_t * out_cand_ids) {
    return tfk::tree_verify_sample_ref(logits, n_nodes, n_vocab, row_stride, tokens, parents, k_cand, sp, uniforms,
                                       out_path, out_path_len, out_bonus, out_cand_ids);
}

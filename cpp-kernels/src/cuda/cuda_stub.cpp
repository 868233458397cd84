// CUDA entry points for builds without CUDA (TF_CUDA=OFF): same symbols, TFK_ERR_NO_CUDA.
// Top-k still validates its arguments first, so error codes agree across builds.
#include "tfkernels.h"
#include "common/topk_common.h"
#include "common/tree_common.h"
#include "common/block_common.h"

namespace tfk {

int topk_cuda(const float * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride, int k,
              int32_t * out_ids, float * out_vals, void * /*stream*/) noexcept {
    const int rc = detail::topk_validate(logits, n_rows, n_cols, row_stride, k, out_ids, out_vals);
    return rc != TFK_OK ? rc : TFK_ERR_NO_CUDA;
}

bool cuda_available() noexcept { return false; }

// Block attention and the merge: validate (so error codes agree across builds), then TFK_ERR_NO_CUDA.
int block_attn_cuda(const tfk_block_view * v, float * out, float * lse, void * /*stream*/) noexcept {
    const int rc = detail::block_validate(v, out, lse);
    return rc != TFK_OK ? rc : TFK_ERR_NO_CUDA;
}

int attn_merge_cuda(float * out_a, float * lse_a, const float * out_b, const float * lse_b, int64_t n_rows, int64_t dv,
                    void * /*stream*/) noexcept {
    const int rc = detail::merge_validate(out_a, lse_a, out_b, lse_b, n_rows, dv);
    return rc != TFK_OK ? rc : TFK_ERR_NO_CUDA;
}

// Ring attention on GPUs: the same checks as tfk_ring_attn, then TFK_ERR_NO_CUDA.
int ring_attn_cuda(const tfk_block_view * v, int schedule, int n_devices, float * out, float * lse,
                   tfk_ring_stats * /*stats*/) noexcept {
    const int rc = detail::ring_validate(v, schedule, n_devices, out, lse);
    return rc != TFK_OK ? rc : TFK_ERR_NO_CUDA;
}

} // namespace tfk

extern "C" {

int tfk_cuda_available(void) { return 0; }

const char * tfk_cuda_last_error(void) { return "tfkernels was built without CUDA (TF_CUDA=OFF)"; }

int tfk_cuda_malloc(void ** ptr, size_t /*bytes*/) {
    if (ptr != nullptr) *ptr = nullptr;
    return TFK_ERR_NO_CUDA;
}

int tfk_cuda_free(void * /*ptr*/) { return TFK_ERR_NO_CUDA; }

int tfk_cuda_memcpy_h2d(void * /*dst*/, const void * /*src*/, size_t /*bytes*/) { return TFK_ERR_NO_CUDA; }

int tfk_cuda_memcpy_d2h(void * /*dst*/, const void * /*src*/, size_t /*bytes*/) { return TFK_ERR_NO_CUDA; }

int tfk_cuda_synchronize(void * /*stream*/) { return TFK_ERR_NO_CUDA; }

int tfk_cuda_set_device(int /*device*/) { return TFK_ERR_NO_CUDA; }

int tfk_cuda_pointer_device(const void * /*ptr*/, int * /*device*/) { return TFK_ERR_NO_CUDA; }

} // extern "C"

// Tree verification and the row sampler: validate (so error codes agree across builds), then TFK_ERR_NO_CUDA.
namespace tfk {

int sample_cuda(const float * row, int64_t n_vocab, const tfk_sampling_params * sp, double uniform,
                int32_t * out_token, void * /*stream*/) noexcept {
    const int rc = detail::row_validate(row, n_vocab, sp, out_token, out_token, out_token);
    if (rc != TFK_OK) return rc;
    return detail::uniform_ok(uniform) ? TFK_ERR_NO_CUDA : TFK_ERR_BAD_SAMPLING;
}

int tree_verify_greedy_cuda(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                            const int32_t * tokens, const int32_t * parents, int32_t k_cand, int32_t * out_path,
                            int32_t * out_path_len, int32_t * out_bonus, int32_t * out_cand_ids,
                            void * /*stream*/) noexcept {
    const int rc = detail::tree_validate(logits, n_nodes, n_vocab, row_stride, tokens, parents, k_cand, out_path,
                                         out_path_len, out_bonus, out_cand_ids);
    return rc != TFK_OK ? rc : TFK_ERR_NO_CUDA;
}

int tree_verify_sample_cuda(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                            const int32_t * tokens, const int32_t * parents, int32_t k_cand,
                            const tfk_sampling_params * sp, const float * uniforms, int32_t * out_path,
                            int32_t * out_path_len, int32_t * out_bonus, int32_t * out_cand_ids,
                            void * /*stream*/) noexcept {
    const int rc = detail::tree_sample_validate(logits, n_nodes, n_vocab, row_stride, tokens, parents, k_cand, sp,
                                                uniforms, out_path, out_path_len, out_bonus, out_cand_ids);
    return rc != TFK_OK ? rc : TFK_ERR_NO_CUDA;
}

} // namespace tfk

// KV-cache scoring: validates (so error codes agree across builds), then TFK_ERR_NO_CUDA.
#include "common/kv_common.h"

namespace tfk {

int window_scores_cuda(const tfk_attn_view * v, float * out, int /*accumulate*/, void * /*stream*/) noexcept {
    const int rc = detail::attn_validate(v, out, nullptr);
    return rc != TFK_OK ? rc : TFK_ERR_NO_CUDA;
}

int window_aggregate_cuda(const float * scores, int64_t n_head, int64_t n_tokens, int64_t row_stride, int w, int mode,
                          float * out, void * /*stream*/) noexcept {
    const int rc = detail::aggregate_validate(scores, n_head, n_tokens, row_stride, w, mode, out);
    return rc != TFK_OK ? rc : TFK_ERR_NO_CUDA;
}

int pool1d_cuda(const float * in, int64_t n, int kernel, int mode, float * out, void * /*stream*/) noexcept {
    const int rc = detail::pool_validate(in, n, kernel, mode, out);
    return rc != TFK_OK ? rc : TFK_ERR_NO_CUDA;
}

} // namespace tfk

// Sparse attention (Quest, top-k selection): validates (so error codes agree across builds), then TFK_ERR_NO_CUDA.
#include "common/quest_common.h"

namespace tfk {

int quest_page_meta_cuda(const tfk_attn_view * v, int64_t page_size, int64_t page_begin, int64_t page_end, float * mins,
                         float * maxs, void * /*stream*/) noexcept {
    const int rc = detail::quest_meta_validate(v, page_size, page_begin, page_end, mins, maxs, nullptr);
    return rc != TFK_OK ? rc : TFK_ERR_NO_CUDA;
}

int quest_page_scores_cuda(const tfk_attn_view * v, const float * mins, const float * maxs, int64_t page_size,
                           int64_t n_pages, float * out, void * /*stream*/) noexcept {
    const int rc = detail::quest_scores_validate(v, mins, maxs, page_size, n_pages, out, nullptr);
    return rc != TFK_OK ? rc : TFK_ERR_NO_CUDA;
}

int select_topk_cuda(const float * scores, int64_t n_lists, int64_t n_cols, int64_t row_stride, int64_t k,
                     int64_t * indptr, int32_t * indices, void * /*stream*/) noexcept {
    const int rc = detail::select_validate(scores, n_lists, n_cols, row_stride, k, indptr, indices);
    return rc != TFK_OK ? rc : TFK_ERR_NO_CUDA;
}

} // namespace tfk
// Sparse attention scores: validates (so error codes agree across builds), then TFK_ERR_NO_CUDA.
#include "common/sparse_common.h"

namespace tfk {

int tidal_scores_cuda(const tfk_attn_view * v, float * out, void * /*stream*/) noexcept {
    const int rc = detail::sparse_validate(v, out, true, nullptr);
    return rc != TFK_OK ? rc : TFK_ERR_NO_CUDA;
}

int tokenselect_scores_cuda(const tfk_attn_view * v, float * out, void * /*stream*/) noexcept {
    const int rc = detail::sparse_validate(v, out, false, nullptr);
    return rc != TFK_OK ? rc : TFK_ERR_NO_CUDA;
}

} // namespace tfk

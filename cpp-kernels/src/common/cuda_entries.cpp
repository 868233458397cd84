// The C entry points of the CUDA twins: thin forwarders to tfk::*_cuda, compiled in every build. With TF_CUDA=ON
// the tfk:: functions come from src/cuda/*.cu; without it from src/cuda/cuda_stub.cpp (validate, then
// TFK_ERR_NO_CUDA), so both builds export the same symbols with the same error codes.
#include "tfkernels.h"

extern "C" {

int tfk_topk_cuda_f32(const float * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride, int k,
                      int32_t * out_ids, float * out_vals, void * stream) {
    return tfk::topk_cuda(logits, n_rows, n_cols, row_stride, k, out_ids, out_vals, stream);
}

int tfk_sample_cuda_f32(const float * row, int64_t n_vocab, const tfk_sampling_params * sp, double uniform,
                        int32_t * out_token, void * stream) {
    return tfk::sample_cuda(row, n_vocab, sp, uniform, out_token, stream);
}

int tfk_tree_verify_greedy_cuda_f32(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                                    const int32_t * tokens, const int32_t * parents, int32_t k_cand, int32_t * out_path,
                                    int32_t * out_path_len, int32_t * out_bonus, int32_t * out_cand_ids, void * stream) {
    return tfk::tree_verify_greedy_cuda(logits, n_nodes, n_vocab, row_stride, tokens, parents, k_cand, out_path,
                                        out_path_len, out_bonus, out_cand_ids, stream);
}

int tfk_tree_verify_sample_cuda_f32(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                                    const int32_t * tokens, const int32_t * parents, int32_t k_cand,
                                    const tfk_sampling_params * sp, const float * uniforms, int32_t * out_path,
                                    int32_t * out_path_len, int32_t * out_bonus, int32_t * out_cand_ids, void * stream) {
    return tfk::tree_verify_sample_cuda(logits, n_nodes, n_vocab, row_stride, tokens, parents, k_cand, sp, uniforms,
                                        out_path, out_path_len, out_bonus, out_cand_ids, stream);
}

int tfk_window_scores_cuda(const tfk_attn_view * v, float * out, int accumulate, void * stream) {
    return tfk::window_scores_cuda(v, out, accumulate, stream);
}

int tfk_window_aggregate_cuda(const float * scores, int64_t n_head, int64_t n_tokens, int64_t row_stride, int w,
                              int mode, float * out, void * stream) {
    return tfk::window_aggregate_cuda(scores, n_head, n_tokens, row_stride, w, mode, out, stream);
}

int tfk_pool1d_cuda(const float * in, int64_t n, int kernel, int mode, float * out, void * stream) {
    return tfk::pool1d_cuda(in, n, kernel, mode, out, stream);
}

int tfk_tidal_scores_cuda(const tfk_attn_view * v, float * out, void * stream) {
    return tfk::tidal_scores_cuda(v, out, stream);
}

int tfk_tokenselect_scores_cuda(const tfk_attn_view * v, float * out, void * stream) {
    return tfk::tokenselect_scores_cuda(v, out, stream);
}

int tfk_quest_page_meta_cuda(const tfk_attn_view * v, int64_t page_size, int64_t page_begin, int64_t page_end,
                             float * mins, float * maxs, void * stream) {
    return tfk::quest_page_meta_cuda(v, page_size, page_begin, page_end, mins, maxs, stream);
}

int tfk_quest_page_scores_cuda(const tfk_attn_view * v, const float * mins, const float * maxs, int64_t page_size,
                               int64_t n_pages, float * out, void * stream) {
    return tfk::quest_page_scores_cuda(v, mins, maxs, page_size, n_pages, out, stream);
}

int tfk_select_topk_cuda(const float * scores, int64_t n_lists, int64_t n_cols, int64_t row_stride, int64_t k,
                         int64_t * indptr, int32_t * indices, void * stream) {
    return tfk::select_topk_cuda(scores, n_lists, n_cols, row_stride, k, indptr, indices, stream);
}

int tfk_block_attn_cuda(const tfk_block_view * v, float * out, float * lse, void * stream) {
    return tfk::block_attn_cuda(v, out, lse, stream);
}

int tfk_attn_merge_cuda(float * out_a, float * lse_a, const float * out_b, const float * lse_b, int64_t n_rows,
                        int64_t dv, void * stream) {
    return tfk::attn_merge_cuda(out_a, lse_a, out_b, lse_b, n_rows, dv, stream);
}

int tfk_ring_attn_cuda(const tfk_block_view * v, int schedule, int n_devices, float * out, float * lse,
                       tfk_ring_stats * stats) {
    return tfk::ring_attn_cuda(v, schedule, n_devices, out, lse, stats);
}

} // extern "C"

// CUDA tree verification and row sampling, same results as tfk::tree_verify_{greedy,sample}_ref and
// tfk::sample_ref.
//
// Greedy (asynchronous):
//  1. tfk::topk_cuda computes every row's top-K (K = max(1, k_cand)) on the device: the ids go to
//     out_cand_ids when k_cand > 0, else to scratch; the values always to scratch.
//  2. A one-block kernel walks the tree on the device: at node u, y = ids[u*K] (the argmax); each of
//     the <= 256 threads owns one node c and tests parents[c] == u && tokens[c] == y; the smallest
//     such c (first child in index order) is the next node. The tree (tokens, parents) travels by
//     value in the kernel parameters (2 KiB), so the host arrays can be reused at once.
// Nothing is copied back and the host does not wait, except when stream-ordered allocation is
// unavailable: then scratch comes from cudaMalloc and the stream is synchronized before cudaFree
// (detail::DeviceBuffer).
//
// Sample-and-match (synchronous): bit-exactness with llama.cpp's CPU sampler needs glibc's expf/logf
// and llama.cpp's float/double summation order, so every floating-point step of the chain runs on
// the host, with the CPU code (common/sample_top.h, tfk::sample_cpu); the device does the
// order-insensitive selection only.
//  1. One tfk::topk_cuda over all rows with K = max(n_top, k_cand), into scratch: n_top =
//     detail::sample_top_count(n_vocab, sp, 64) best entries per row are what the chain needs when
//     they determine it (top_k <= 64; n_vocab <= 64; min_p alone), k_cand the candidates.
//  2. With n_top > 0: the n_nodes x K ids and value bits are copied back at once (<= 128 KiB).
//  3. The walk runs on the host (detail::tree_sample_walk): each visited row is sampled from its
//     entries (detail::sample_from_top); when they do not determine the result (top_p or plain dist
//     on the whole row, top_k > 64, min_p keeping more than 64 tokens) that one row is copied back
//     (n_vocab floats) and sampled by tfk::sample_cpu. The walk visits at most depth + 1 rows.
//  4. On success: the candidates (a prefix of each row's K entries) are copied device to device into
//     out_cand_ids, path/len/bonus host to device, and the stream is synchronized. On an error
//     (TFK_ERR_BAD_LOGITS included) no output has been written.
//
// The row sampler tfk::sample_cuda (synchronous) is the same design on one row, with the same
// backend (CudaRows): n_top = detail::sample_top_count(n_vocab, sp, 64) best entries by
// tfk::topk_cuda, copied back and sampled on the host (detail::sample_row_on); the whole row is
// copied back when they do not decide the result (or n_top == 0: no top-k is run at all);
// temperature <= 0 is the top-1 (the argmax). The token then goes host to device into out_token and
// the stream is synchronized; on an error out_token has not been written.
#include "tfkernels.h"
#include "common/sample_top.h"
#include "common/tree_common.h"
#include "cuda/cuda_check.cuh"
#include "cuda/device_buffer.cuh"

#include <cuda_runtime.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <new>
#include <vector>

namespace tfk {
namespace {

struct TreeArgs {
    int32_t tokens[TFK_TREE_MAX_NODES];
    int32_t parents[TFK_TREE_MAX_NODES];
};
static_assert(sizeof(TreeArgs) <= 2048, "kernel parameters must stay well under 4 KiB");
static_assert(sizeof(int32_t) == sizeof(float), "ids share the float scratch, one slot per entry");

__global__ void __launch_bounds__(TFK_TREE_MAX_NODES)
greedy_walk_kernel(const TreeArgs tree, int n_nodes, const int32_t * __restrict__ ids, int k,
                   int32_t * __restrict__ out_path, int32_t * __restrict__ out_path_len, int32_t * __restrict__ out_bonus) {
    __shared__ int s_next;
    const int c = threadIdx.x;
    const bool mine = c < n_nodes;
    const int parent = mine ? tree.parents[c] : -2;
    const int token  = mine ? tree.tokens[c] : -1;
    int u = 0, len = 0;
    for (;;) {
        const int y = ids[static_cast<int64_t>(u) * k];
        if (c == 0) {
            out_path[len] = u;
            s_next = INT_MAX;
        }
        ++len;
        __syncthreads();
        if (mine && parent == u && token == y) atomicMin(&s_next, c);
        __syncthreads();
        const int next = s_next;
        __syncthreads();  // everyone has read s_next before thread 0 resets it
        if (next == INT_MAX) {
            if (c == 0) {
                *out_path_len = len;
                *out_bonus = y;
            }
            return;
        }
        u = next;  // uniform across the block: the loop never diverges
    }
}

} // namespace

int tree_verify_greedy_cuda(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                            const int32_t * tokens, const int32_t * parents, int32_t k_cand, int32_t * out_path,
                            int32_t * out_path_len, int32_t * out_bonus, int32_t * out_cand_ids, void * stream) noexcept {
    const int rc = detail::tree_validate(logits, n_nodes, n_vocab, row_stride, tokens, parents, k_cand, out_path,
                                         out_path_len, out_bonus, out_cand_ids);
    if (rc != TFK_OK) return rc;
    int dev = 0;
    TFK_CUDA_CHECK(cudaGetDevice(&dev));
    cudaStream_t s = static_cast<cudaStream_t>(stream);

    TreeArgs tree;
    for (int i = 0; i < TFK_TREE_MAX_NODES; ++i) {
        tree.tokens[i]  = i < n_nodes ? tokens[i] : -1;
        tree.parents[i] = i < n_nodes ? parents[i] : -2;
    }

    const int k = k_cand > 0 ? k_cand : 1;
    const size_t n_out = static_cast<size_t>(n_nodes) * static_cast<size_t>(k);
    // Scratch: the top-k values, plus the argmax ids (same size as floats) when no candidates are requested.
    detail::DeviceBuffer<float> scratch(s);
    const int rc_alloc = scratch.alloc(n_out + (k_cand > 0 ? 0 : n_out));
    if (rc_alloc != TFK_OK) return rc_alloc;
    float * vals = scratch.get();
    int32_t * ids = k_cand > 0 ? out_cand_ids : reinterpret_cast<int32_t *>(vals + n_out);

    const int status = topk_cuda(logits, n_nodes, n_vocab, row_stride, k, ids, vals, stream);
    if (status != TFK_OK) return status;
    greedy_walk_kernel<<<1, TFK_TREE_MAX_NODES, 0, s>>>(tree, n_nodes, ids, k, out_path, out_path_len, out_bonus);
    TFK_CUDA_CHECK(cudaGetLastError());
    return scratch.release();  // stream-ordered: after the kernels that use it
}

namespace {

// The backend of the host sampling (common/sample_top.h) for both synchronous CUDA twins, the row
// sampler and the sample-and-match verification: select() computes every row's K best entries on
// the device (tfk::topk_cuda into stream-ordered scratch) and, when asked, copies them all back at
// once; row() copies one whole row back on demand. Every copy waits for the stream.
class CudaRows {
public:
    CudaRows(const float * logits, int64_t n_vocab, int64_t row_stride, cudaStream_t s)
        : logits_(logits), n_vocab_(n_vocab), row_stride_(row_stride), s_(s), scratch_(s) {}

    // Top-K (1 <= K <= TFK_TOPK_MAX_K, K <= n_vocab) of rows [0, n_rows) into device scratch
    // (d_ids()); with copy_back also into host memory for top(). May throw std::bad_alloc.
    int select(int32_t n_rows, int64_t K, bool copy_back) {
        K_ = K;
        const size_t n_out = static_cast<size_t>(n_rows) * static_cast<size_t>(K);
        const int rc_alloc = scratch_.alloc(2 * n_out);  // the values, then the ids (same size)
        if (rc_alloc != TFK_OK) return rc_alloc;
        float * d_vals = scratch_.get();
        d_ids_ = reinterpret_cast<int32_t *>(d_vals + n_out);
        const int rc = topk_cuda(logits_, n_rows, n_vocab_, row_stride_, static_cast<int>(K), d_ids_, d_vals, s_);
        if (rc != TFK_OK) return rc;
        if (!copy_back) return TFK_OK;
        h_ids_.resize(n_out);
        h_vals_.resize(n_out);
        TFK_CUDA_CHECK(cudaMemcpyAsync(h_ids_.data(), d_ids_, n_out * sizeof(int32_t), cudaMemcpyDeviceToHost, s_));
        TFK_CUDA_CHECK(cudaMemcpyAsync(h_vals_.data(), d_vals, n_out * sizeof(float), cudaMemcpyDeviceToHost, s_));
        TFK_CUDA_CHECK(cudaStreamSynchronize(s_));
        return TFK_OK;
    }

    const int32_t * d_ids() const { return d_ids_; }  // n_rows x K on the device, after select()

    // The backend interface of common/sample_top.h.
    int top(int32_t u, const int32_t ** ids, const float ** vals) {
        *ids = h_ids_.data() + static_cast<int64_t>(u) * K_;
        *vals = h_vals_.data() + static_cast<int64_t>(u) * K_;
        return TFK_OK;
    }
    int row(int32_t u, const float ** row) {
        row_buf_.resize(static_cast<size_t>(n_vocab_));
        TFK_CUDA_CHECK(cudaMemcpyAsync(row_buf_.data(), logits_ + static_cast<int64_t>(u) * row_stride_,
                                       static_cast<size_t>(n_vocab_) * sizeof(float), cudaMemcpyDeviceToHost, s_));
        TFK_CUDA_CHECK(cudaStreamSynchronize(s_));
        *row = row_buf_.data();
        return TFK_OK;
    }

    // Frees the scratch (stream-ordered: after the work queued so far). Returns TFK_OK or a CUDA status.
    int release() { return scratch_.release(); }

private:
    const float * logits_;  // device
    int64_t n_vocab_, row_stride_;
    cudaStream_t s_;
    detail::DeviceBuffer<float> scratch_;
    int64_t K_ = 0;
    int32_t * d_ids_ = nullptr;
    std::vector<int32_t> h_ids_;  // n_rows x K, host
    std::vector<float> h_vals_;
    std::vector<float> row_buf_;
};

int tree_sample_impl(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                     const int32_t * tokens, const int32_t * parents, int32_t k_cand, const tfk_sampling_params & sp,
                     const float * uniforms, int32_t * out_path, int32_t * out_path_len, int32_t * out_bonus,
                     int32_t * out_cand_ids, cudaStream_t s) {
    const int64_t n_top = detail::sample_top_count(n_vocab, sp, TFK_TOPK_MAX_K);
    const int64_t K = std::max<int64_t>(n_top, k_cand);
    CudaRows be(logits, n_vocab, row_stride, s);
    if (K > 0) {
        const int rc = be.select(n_nodes, K, n_top > 0);
        if (rc != TFK_OK) return rc;
    }
    int32_t path[TFK_TREE_MAX_NODES];
    int32_t len = 0, bonus = 0;
    const int rc = detail::tree_sample_walk(n_nodes, n_vocab, tokens, parents, sp, uniforms, n_top, be, path, &len,
                                            &bonus);
    if (rc != TFK_OK) return rc;
    if (k_cand > 0)
        TFK_CUDA_CHECK(cudaMemcpy2DAsync(out_cand_ids, static_cast<size_t>(k_cand) * sizeof(int32_t), be.d_ids(),
                                         static_cast<size_t>(K) * sizeof(int32_t),
                                         static_cast<size_t>(k_cand) * sizeof(int32_t), static_cast<size_t>(n_nodes),
                                         cudaMemcpyDeviceToDevice, s));
    TFK_CUDA_CHECK(cudaMemcpyAsync(out_path, path, static_cast<size_t>(len) * sizeof(int32_t),
                                   cudaMemcpyHostToDevice, s));
    TFK_CUDA_CHECK(cudaMemcpyAsync(out_path_len, &len, sizeof(int32_t), cudaMemcpyHostToDevice, s));
    TFK_CUDA_CHECK(cudaMemcpyAsync(out_bonus, &bonus, sizeof(int32_t), cudaMemcpyHostToDevice, s));
    const int rc_free = be.release();
    if (rc_free != TFK_OK) return rc_free;
    TFK_CUDA_CHECK(cudaStreamSynchronize(s));  // the host sources above live on this stack frame
    return TFK_OK;
}

// One row: temperature <= 0 is the argmax (top-1 on the device); else the host chain on the row's
// best entries, or on the whole row when they do not decide it (or n_top == 0: no top-k at all).
int row_sample_impl(const float * row, int64_t n_vocab, const tfk_sampling_params & sp, double uniform,
                    int32_t * out_token, cudaStream_t s) {
    CudaRows be(row, n_vocab, n_vocab, s);
    int32_t tok = 0;
    if (sp.temperature <= 0.0f) {
        const int rc = be.select(1, 1, true);
        if (rc != TFK_OK) return rc;
        const int32_t * ids = nullptr;
        const float * vals = nullptr;
        (void) be.top(0, &ids, &vals);
        tok = ids[0];
    } else {
        const int64_t n_top = detail::sample_top_count(n_vocab, sp, TFK_TOPK_MAX_K);
        if (n_top > 0) {
            const int rc = be.select(1, n_top, true);
            if (rc != TFK_OK) return rc;
        }
        const int rc = detail::sample_row_on(be, 0, n_vocab, sp, uniform, n_top, &tok);
        if (rc != TFK_OK) return rc;
    }
    const int rc_free = be.release();
    if (rc_free != TFK_OK) return rc_free;
    TFK_CUDA_CHECK(cudaMemcpyAsync(out_token, &tok, sizeof(int32_t), cudaMemcpyHostToDevice, s));
    TFK_CUDA_CHECK(cudaStreamSynchronize(s));  // tok lives on this stack frame
    return TFK_OK;
}

} // namespace

int tree_verify_sample_cuda(const float * logits, int32_t n_nodes, int64_t n_vocab, int64_t row_stride,
                            const int32_t * tokens, const int32_t * parents, int32_t k_cand,
                            const tfk_sampling_params * sp, const float * uniforms, int32_t * out_path,
                            int32_t * out_path_len, int32_t * out_bonus, int32_t * out_cand_ids, void * stream) noexcept {
    const int rc = detail::tree_sample_validate(logits, n_nodes, n_vocab, row_stride, tokens, parents, k_cand, sp,
                                                uniforms, out_path, out_path_len, out_bonus, out_cand_ids);
    if (rc != TFK_OK) return rc;
    int dev = 0;
    TFK_CUDA_CHECK(cudaGetDevice(&dev));
    cudaStream_t s = static_cast<cudaStream_t>(stream);
    if (sp->temperature <= 0.0f) {  // the greedy verification, made synchronous like the rest
        const int rc2 = tree_verify_greedy_cuda(logits, n_nodes, n_vocab, row_stride, tokens, parents, k_cand, out_path,
                                                out_path_len, out_bonus, out_cand_ids, stream);
        if (rc2 != TFK_OK) return rc2;
        TFK_CUDA_CHECK(cudaStreamSynchronize(s));
        return TFK_OK;
    }
    try {
        return tree_sample_impl(logits, n_nodes, n_vocab, row_stride, tokens, parents, k_cand, *sp, uniforms, out_path,
                                out_path_len, out_bonus, out_cand_ids, s);
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
}

int sample_cuda(const float * row, int64_t n_vocab, const tfk_sampling_params * sp, double uniform,
                int32_t * out_token, void * stream) noexcept {
    int rc = detail::row_validate(row, n_vocab, sp, out_token, out_token, out_token);
    if (rc != TFK_OK) return rc;
    if (!detail::uniform_ok(uniform)) return TFK_ERR_BAD_SAMPLING;
    int dev = 0;
    TFK_CUDA_CHECK(cudaGetDevice(&dev));
    try {
        return row_sample_impl(row, n_vocab, *sp, uniform, out_token, static_cast<cudaStream_t>(stream));
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
}

} // namespace tfk

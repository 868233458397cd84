// CUDA greedy tree verification, same results as tfk::tree_verify_greedy_ref.
//  1. tfk::topk_cuda computes every row's top-K (K = max(1, k_cand)) on the device: the ids go to
//     out_cand_ids when k_cand > 0, else to scratch; the values always to scratch.
//  2. A one-block kernel walks the tree on the device: at node u, y = ids[u*K] (the argmax); each of
//     the <= 256 threads owns one node c and tests parents[c] == u && tokens[c] == y; the smallest
//     such c (first child in index order) is the next node. The tree (tokens, parents) travels by
//     value in the kernel parameters (2 KiB), so the host arrays can be reused at once.
// Nothing is copied back and the host does not wait, except when stream-ordered allocation is
// unavailable: then scratch comes from cudaMalloc and the stream is synchronized before cudaFree.
#include "tfkernels.h"
#include "common/tree_common.h"
#include "cuda/cuda_check.cuh"

#include <cuda_runtime.h>

#include <climits>
#include <cstdint>

namespace tfk {
namespace {

struct TreeArgs {
    int32_t tokens[TFK_TREE_MAX_NODES];
    int32_t parents[TFK_TREE_MAX_NODES];
};
static_assert(sizeof(TreeArgs) <= 2048, "kernel parameters must stay well under 4 KiB");

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
    // Scratch: the top-k values, plus the argmax ids when no candidates are requested.
    const size_t bytes = n_out * sizeof(float) + (k_cand > 0 ? 0 : n_out * sizeof(int32_t));
    void * scratch = nullptr;
    bool async_alloc = true;
    if (cudaMallocAsync(&scratch, bytes, s) != cudaSuccess) {
        (void) cudaGetLastError();  // no memory pools: fall back to a plain allocation
        async_alloc = false;
        scratch = nullptr;
        TFK_CUDA_CHECK(cudaMalloc(&scratch, bytes));
    }
    float * vals = static_cast<float *>(scratch);
    int32_t * ids = k_cand > 0 ? out_cand_ids : reinterpret_cast<int32_t *>(vals + n_out);

    int status = topk_cuda(logits, n_nodes, n_vocab, row_stride, k, ids, vals, stream);
    if (status == TFK_OK) {
        greedy_walk_kernel<<<1, TFK_TREE_MAX_NODES, 0, s>>>(tree, n_nodes, ids, k, out_path, out_path_len, out_bonus);
        const cudaError_t e = cudaGetLastError();
        if (e != cudaSuccess) status = detail::cuda_fail(e);
    }
    // Free the scratch in every case (stream-ordered: after the kernels that use it).
    cudaError_t e_free;
    if (async_alloc) {
        e_free = cudaFreeAsync(scratch, s);
    } else {
        e_free = cudaStreamSynchronize(s);
        const cudaError_t e2 = cudaFree(scratch);
        if (e_free == cudaSuccess) e_free = e2;
    }
    if (status != TFK_OK) return status;
    TFK_CUDA_CHECK(e_free);
    return TFK_OK;
}

} // namespace tfk

extern "C" int tfk_tree_verify_greedy_cuda_f32(const float * logits, int32_t n_nodes, int64_t n_vocab,
                                               int64_t row_stride, const int32_t * tokens, const int32_t * parents,
                                               int32_t k_cand, int32_t * out_path, int32_t * out_path_len,
                                               int32_t * out_bonus, int32_t * out_cand_ids, void * stream) {
    return tfk::tree_verify_greedy_cuda(logits, n_nodes, n_vocab, row_stride, tokens, parents, k_cand, out_path,
                                        out_path_len, out_bonus, out_cand_ids, stream);
}

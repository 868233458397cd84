// CUDA twin of block attention and the merge (tfk_block_attn_cuda, tfk_attn_merge_cuda). Block attention: a grid of
// blocks strides over the (query row, head) jobs; per job the block computes the visible keys' logits (float dot
// products, one key per thread), their max and the softmax in double through a scratch row of n_kv doubles per block
// (stream-ordered allocation), then each thread sums its output channels in double. Merge: one thread per row
// element, the weights in double (the same formula as the CPU; device exp/log1p may differ from the host's in the
// last bit of a double, which survives rounding to float only at a tie: see the header).
#include "tfkernels.h"
#include "common/block_common.h"
#include "cuda/cuda_check.cuh"
#include "cuda/device_buffer.cuh"

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>

namespace tfk {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 1024;

__device__ double block_reduce(double x, double * sh, bool is_max) {
    const int t = threadIdx.x;
    sh[t] = x;
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s >>= 1) {
        if (t < s) sh[t] = is_max ? fmax(sh[t], sh[t + s]) : sh[t] + sh[t + s];
        __syncthreads();
    }
    const double r = sh[0];
    __syncthreads();
    return r;
}

__global__ void block_attn_kernel(tfk_block_view v, float * out, float * lse, double * scratch) {
    __shared__ double sh[kThreads];
    const int64_t n_jobs = v.n_q * v.n_head, group = v.n_head / v.n_head_kv;
    double * s = scratch + static_cast<int64_t>(blockIdx.x) * v.n_kv;
    for (int64_t job = blockIdx.x; job < n_jobs; job += gridDim.x) {
        const int64_t i = job / v.n_head, h = job % v.n_head, g = h / group;
        int64_t nv = v.n_kv;
        if (v.causal) {
            const int64_t last = v.q_pos0 + i - v.k_pos0;
            nv = last < 0 ? 0 : (last + 1 < v.n_kv ? last + 1 : v.n_kv);
        }
        float * o = out + job * v.head_dim_v;
        if (nv == 0) {
            for (int64_t c = threadIdx.x; c < v.head_dim_v; c += blockDim.x) o[c] = 0.0f;
            if (threadIdx.x == 0) lse[job] = -INFINITY;
            continue;
        }
        const float * q = v.q + i * v.q_row_stride + h * v.q_head_stride;
        double mx = -INFINITY;
        for (int64_t j = threadIdx.x; j < nv; j += blockDim.x) {
            const float * k = v.k + j * v.k_row_stride + g * v.k_head_stride;
            float dot = 0.0f;
            for (int64_t c = 0; c < v.head_dim; ++c) dot = fmaf(q[c], k[c], dot);
            s[j] = static_cast<double>(v.scale) * static_cast<double>(dot);
            mx = fmax(mx, s[j]);
        }
        mx = block_reduce(mx, sh, true);
        double sum = 0.0;
        for (int64_t j = threadIdx.x; j < nv; j += blockDim.x) {
            s[j] = exp(s[j] - mx);
            sum += s[j];
        }
        sum = block_reduce(sum, sh, false);  // also orders the writes of s before the reads below
        for (int64_t c = threadIdx.x; c < v.head_dim_v; c += blockDim.x) {
            double acc = 0.0;
            for (int64_t j = 0; j < nv; ++j) acc += s[j] * static_cast<double>(v.v[j * v.v_row_stride + g * v.v_head_stride + c]);
            o[c] = static_cast<float>(acc / sum);
        }
        if (threadIdx.x == 0) lse[job] = static_cast<float>(mx + log(sum));
        __syncthreads();  // s is rewritten by the next job
    }
}

__global__ void merge_kernel(float * out_a, float * lse_a, const float * out_b, const float * lse_b, int64_t n_rows, int64_t dv) {
    const int64_t n = n_rows * dv;
    for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < n; e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const int64_t r = e / dv;
        const double la = lse_a[r], lb = lse_b[r];
        double wa = 0.0, wb = 0.0, l = -INFINITY;
        if (!(la == -INFINITY && lb == -INFINITY)) {
            const double m = la > lb ? la : lb, mn = la > lb ? lb : la;
            l = m + log1p(exp(mn - m));
            wa = exp(la - l);
            wb = exp(lb - l);
        }
        out_a[e] = static_cast<float>(wa * static_cast<double>(out_a[e]) + wb * static_cast<double>(out_b[e]));
    }
}

__global__ void merge_lse_kernel(float * lse_a, const float * lse_b, int64_t n_rows) {
    for (int64_t r = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; r < n_rows; r += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const double la = lse_a[r], lb = lse_b[r];
        if (la == -INFINITY && lb == -INFINITY) continue;
        const double m = la > lb ? la : lb, mn = la > lb ? lb : la;
        lse_a[r] = static_cast<float>(m + log1p(exp(mn - m)));
    }
}

} // namespace

int block_attn_cuda(const tfk_block_view * v, float * out, float * lse, void * stream) noexcept {
    const int rc = detail::block_validate(v, out, lse);
    if (rc != TFK_OK) return rc;
    if (v->n_q == 0) return TFK_OK;
    int dev = 0;
    TFK_CUDA_CHECK(cudaGetDevice(&dev));
    cudaStream_t s = static_cast<cudaStream_t>(stream);
    const int64_t n_jobs = v->n_q * v->n_head;
    const int64_t blocks = std::min<int64_t>(n_jobs, kMaxBlocks);
    detail::DeviceBuffer<double> scratch(s);
    const int rc_alloc = scratch.alloc(static_cast<size_t>(std::max<int64_t>(1, blocks * v->n_kv)));
    if (rc_alloc != TFK_OK) return rc_alloc;
    block_attn_kernel<<<static_cast<unsigned>(blocks), kThreads, 0, s>>>(*v, out, lse, scratch.get());
    TFK_CUDA_CHECK(cudaGetLastError());
    return scratch.release();
}

int attn_merge_cuda(float * out_a, float * lse_a, const float * out_b, const float * lse_b, int64_t n_rows, int64_t dv,
                    void * stream) noexcept {
    const int rc = detail::merge_validate(out_a, lse_a, out_b, lse_b, n_rows, dv);
    if (rc != TFK_OK) return rc;
    if (n_rows == 0) return TFK_OK;
    int dev = 0;
    TFK_CUDA_CHECK(cudaGetDevice(&dev));
    cudaStream_t s = static_cast<cudaStream_t>(stream);
    const int64_t n = n_rows * dv;
    merge_kernel<<<static_cast<unsigned>(std::min<int64_t>((n + kThreads - 1) / kThreads, 65535)), kThreads, 0, s>>>(
        out_a, lse_a, out_b, lse_b, n_rows, dv);
    TFK_CUDA_CHECK(cudaGetLastError());
    // the lse last: the element kernel reads the old values
    merge_lse_kernel<<<static_cast<unsigned>(std::min<int64_t>((n_rows + kThreads - 1) / kThreads, 65535)), kThreads, 0, s>>>(
        lse_a, lse_b, n_rows);
    TFK_CUDA_CHECK(cudaGetLastError());
    return TFK_OK;
}

} // namespace tfk

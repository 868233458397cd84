// CUDA versions of the sparse-attention scoring kernels (same semantics as the *_ref versions).
//
// Both compute the logits like the reference: dot products in double (a product of two floats is
// exact in double, so fma(q, k, acc) is the reference's acc + q*k), scale*dot + mask unfused.
// A block has kCells threads, one key cell each; the query vector of the head at hand is staged
// through shared memory kDC dimensions at a time (broadcast reads).
//
// tidal_scores: one launch, grid (cell tiles, (row, key head) pairs): each thread loops over the
//   group's query heads and keeps the max logit; deterministic, no scratch.
// tokenselect_scores: three launches, deterministic (no atomics), scratch of 16 bytes per
//   (row, head, tile) plus 16 per (row, head):
//   1. partial_kernel, grid (cell tiles, (row, head) pairs): block max and sum of exp(l - max) of the
//      tile's logits (double, warp shuffles then across warps) -> part[(row, head)][tile];
//   2. combine_kernel: one warp per (row, head) merges the tiles' pairs -> (max, 1/sum), or (-inf, 0)
//      for a fully masked head;
//   3. accum_kernel, grid (cell tiles, rows): recomputes every head's logit for the thread's cell
//      (K is re-read, mostly from L2) and writes out[r][j] = float(sum over heads of exp(l - max) / sum).
// FP64 throughout the dot products: full rate on A100/H100 (the targets), slow on GPUs with 1/64-rate FP64.
#include "tfkernels.h"
#include "common/sparse_common.h"
#include "cuda/cuda_check.cuh"
#include "cuda/device_buffer.cuh"

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

namespace tfk {
namespace {

constexpr int kCells = 128;  // threads per block = key cells per block
constexpr int kWarps = kCells / 32;
constexpr int kDC    = 128;  // query dimensions staged in shared memory per step

struct DevView {
    int64_t d, n_head, n_head_kv, n_rows, n_kv, group;
    const unsigned char * q;
    int32_t q_type;
    int64_t q_rs, q_hs;
    const unsigned char * k;
    int64_t k_cs, k_hs;
    const unsigned char * mask;  // nullptr: none
    int32_t mask_type;
    int64_t m_rs;
    double scale;
};

__device__ __forceinline__ double neg_inf_d() { return __longlong_as_double(static_cast<long long>(0xfff0000000000000ull)); }

template <int T>
__device__ __forceinline__ float load_k(const unsigned char * p, int64_t i) {
    if constexpr (T == TFK_F32) return __ldg(reinterpret_cast<const float *>(p) + i);
    else return __half2float(__ushort_as_half(__ldg(reinterpret_cast<const unsigned short *>(p) + i)));
}

__device__ __forceinline__ float load_elem(const unsigned char * p, int32_t t, int64_t i) {
    return t == TFK_F32 ? load_k<TFK_F32>(p, i) : load_k<TFK_F16>(p, i);
}

// The logit of query (r, h) and this thread's cell j (key head g): scale*dot + mask in double.
// Every thread of the block must call it (it synchronizes); threads with valid == false get -inf.
template <int KT>
__device__ __forceinline__ double cell_logit(const DevView & v, int64_t r, int64_t h, int64_t g, int64_t j, bool valid,
                                             float * q_s) {
    const unsigned char * kp = v.k + (valid ? j : 0) * v.k_cs + g * v.k_hs;
    const unsigned char * qp = v.q + r * v.q_rs + h * v.q_hs;
    double dot = 0.0;
    for (int64_t dc = 0; dc < v.d; dc += kDC) {
        const int dn = static_cast<int>(v.d - dc < kDC ? v.d - dc : kDC);
        __syncthreads();  // the previous step's (or call's) reads of q_s are done
        for (int i = threadIdx.x; i < dn; i += blockDim.x) q_s[i] = load_elem(qp, v.q_type, dc + i);
        __syncthreads();
        if (valid)
            for (int i = 0; i < dn; ++i)
                dot = fma(static_cast<double>(q_s[i]), static_cast<double>(load_k<KT>(kp, dc + i)), dot);  // exact product
    }
    if (!valid) return neg_inf_d();
    double x = __dmul_rn(v.scale, dot);
    if (v.mask != nullptr) x = __dadd_rn(x, static_cast<double>(load_elem(v.mask + r * v.m_rs, v.mask_type, j)));
    return x;
}

template <int KT>
__global__ void __launch_bounds__(kCells)
tidal_kernel(DevView v, int64_t n_tiles, float * __restrict__ out) {
    __shared__ float q_s[kDC];
    const int64_t n_rg = v.n_rows * v.n_head_kv;
    for (int64_t tile = blockIdx.x; tile < n_tiles; tile += gridDim.x) {
        const int64_t j = tile * kCells + threadIdx.x;
        const bool valid = j < v.n_kv;
        for (int64_t rg = blockIdx.y; rg < n_rg; rg += gridDim.y) {
            const int64_t r = rg / v.n_head_kv, g = rg % v.n_head_kv;
            double best = neg_inf_d();
            for (int64_t hi = 0; hi < v.group; ++hi)
                best = fmax(best, cell_logit<KT>(v, r, g * v.group + hi, g, j, valid, q_s));
            if (valid) out[rg * v.n_kv + j] = static_cast<float>(best);
        }
    }
}

// Merges (m2, s2) into (m, s), s = sum of exp(l - m) over a set of logits (s == 0: empty or all -inf).
__device__ __forceinline__ void combine(double & m, double & s, double m2, double s2) {
    if (s2 == 0.0) return;
    if (s == 0.0) {
        m = m2;
        s = s2;
    } else if (m2 > m) {
        s = fma(s, exp(m - m2), s2);
        m = m2;
    } else {
        s = fma(s2, exp(m2 - m), s);
    }
}

// Block-wide max / sum (kCells threads), the same value in every thread. Every thread must call them.
__device__ __forceinline__ double block_max(double x, double * sh) {
    for (int off = 16; off > 0; off >>= 1) x = fmax(x, __shfl_xor_sync(0xffffffffu, x, off));
    if ((threadIdx.x & 31) == 0) sh[threadIdx.x >> 5] = x;
    __syncthreads();
    double m = sh[0];
    for (int w = 1; w < kWarps; ++w) m = fmax(m, sh[w]);
    __syncthreads();  // sh is reused by the next call
    return m;
}

__device__ __forceinline__ double block_sum(double x, double * sh) {
    for (int off = 16; off > 0; off >>= 1) x += __shfl_xor_sync(0xffffffffu, x, off);
    if ((threadIdx.x & 31) == 0) sh[threadIdx.x >> 5] = x;
    __syncthreads();
    double s = sh[0];
    for (int w = 1; w < kWarps; ++w) s += sh[w];
    __syncthreads();
    return s;
}

template <int KT>
__global__ void __launch_bounds__(kCells)
partial_kernel(DevView v, int64_t n_tiles, double2 * __restrict__ part) {
    __shared__ float q_s[kDC];
    __shared__ double sh[kWarps];
    const int64_t n_pairs = v.n_rows * v.n_head;
    for (int64_t tile = blockIdx.x; tile < n_tiles; tile += gridDim.x) {
        const int64_t j = tile * kCells + threadIdx.x;
        const bool valid = j < v.n_kv;
        for (int64_t pair = blockIdx.y; pair < n_pairs; pair += gridDim.y) {
            const int64_t r = pair / v.n_head, h = pair % v.n_head;
            const double x = cell_logit<KT>(v, r, h, h / v.group, j, valid, q_s);
            const double m = block_max(x, sh);
            const double e = m == neg_inf_d() ? 0.0 : exp(x - m);  // exp(-inf) == 0
            const double s = block_sum(e, sh);
            if (threadIdx.x == 0) part[pair * n_tiles + tile] = make_double2(m, s);
        }
    }
}

// One warp per (row, head): fin = (max, 1/sum), or (-inf, 0) when every cell is masked.
__global__ void combine_kernel(const double2 * __restrict__ part, int64_t n_pairs, int64_t n_tiles,
                               double2 * __restrict__ fin) {
    const int64_t pair = static_cast<int64_t>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;
    if (pair >= n_pairs) return;  // whole warps only
    const int lane = threadIdx.x & 31;
    double m = neg_inf_d(), s = 0.0;
    for (int64_t t = lane; t < n_tiles; t += 32) {
        const double2 p = part[pair * n_tiles + t];
        combine(m, s, p.x, p.y);
    }
    for (int off = 16; off > 0; off >>= 1) {
        const double m2 = __shfl_xor_sync(0xffffffffu, m, off);
        const double s2 = __shfl_xor_sync(0xffffffffu, s, off);
        combine(m, s, m2, s2);
    }
    if (lane == 0) fin[pair] = s > 0.0 ? make_double2(m, 1.0 / s) : make_double2(neg_inf_d(), 0.0);
}

template <int KT>
__global__ void __launch_bounds__(kCells)
accum_kernel(DevView v, int64_t n_tiles, const double2 * __restrict__ fin, float * __restrict__ out) {
    __shared__ float q_s[kDC];
    for (int64_t tile = blockIdx.x; tile < n_tiles; tile += gridDim.x) {
        const int64_t j = tile * kCells + threadIdx.x;
        const bool valid = j < v.n_kv;
        for (int64_t r = blockIdx.y; r < v.n_rows; r += gridDim.y) {
            double acc = 0.0;
            for (int64_t h = 0; h < v.n_head; ++h) {
                const double x = cell_logit<KT>(v, r, h, h / v.group, j, valid, q_s);
                const double2 f = fin[r * v.n_head + h];
                if (f.y > 0.0) acc += exp(x - f.x) * f.y;  // masked cell: exp(-inf) == 0
            }
            if (valid) out[r * v.n_kv + j] = static_cast<float>(acc);
        }
    }
}

constexpr int kCombBlock = 256;  // combine_kernel: 8 warps, one (row, head) pair each

DevView make_dev_view(const tfk_attn_view * v, const detail::AttnTypes & ty) {
    DevView dv;
    dv.d = v->head_dim;
    dv.n_head = v->n_head;
    dv.n_head_kv = v->n_head_kv;
    dv.n_rows = v->n_rows;
    dv.n_kv = v->n_kv;
    dv.group = v->n_head / v->n_head_kv;
    dv.q = static_cast<const unsigned char *>(v->q);
    dv.q_type = ty.q;
    dv.q_rs = v->q_row_stride;
    dv.q_hs = v->q_head_stride;
    dv.k = static_cast<const unsigned char *>(v->k);
    dv.k_cs = v->k_cell_stride;
    dv.k_hs = v->k_head_stride;
    dv.mask = static_cast<const unsigned char *>(v->mask);
    dv.mask_type = ty.mask;
    dv.m_rs = v->mask != nullptr ? v->mask_row_stride : 0;
    dv.scale = static_cast<double>(v->scale);
    return dv;
}

dim3 tile_grid(int64_t n_tiles, int64_t n_y) {
    return dim3(static_cast<unsigned>(std::min<int64_t>(n_tiles, 0x7fffffff)),
                static_cast<unsigned>(std::min<int64_t>(n_y, 65535)));
}

template <int KT>
cudaError_t launch_tokenselect(const DevView & dv, int64_t n_tiles, unsigned comb_blocks, double2 * part,
                               double2 * fin, float * out, cudaStream_t s) {
    const int64_t n_pairs = dv.n_rows * dv.n_head;
    partial_kernel<KT><<<tile_grid(n_tiles, n_pairs), kCells, 0, s>>>(dv, n_tiles, part);
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) return e;
    combine_kernel<<<comb_blocks, kCombBlock, 0, s>>>(part, n_pairs, n_tiles, fin);
    e = cudaGetLastError();
    if (e != cudaSuccess) return e;
    accum_kernel<KT><<<tile_grid(n_tiles, dv.n_rows), kCells, 0, s>>>(dv, n_tiles, fin, out);
    return cudaGetLastError();
}

} // namespace

int tidal_scores_cuda(const tfk_attn_view * v, float * out, void * stream) noexcept {
    detail::AttnTypes ty{};
    const int rc = detail::sparse_validate(v, out, true, &ty);
    if (rc != TFK_OK) return rc;
    int dev = 0;
    TFK_CUDA_CHECK(cudaGetDevice(&dev));
    if (v->n_rows == 0) return TFK_OK;
    cudaStream_t s = static_cast<cudaStream_t>(stream);
    const DevView dv = make_dev_view(v, ty);
    const int64_t n_tiles = (v->n_kv + kCells - 1) / kCells;
    const dim3 grid = tile_grid(n_tiles, v->n_rows * v->n_head_kv);
    if (ty.k == TFK_F16) tidal_kernel<TFK_F16><<<grid, kCells, 0, s>>>(dv, n_tiles, out);
    else tidal_kernel<TFK_F32><<<grid, kCells, 0, s>>>(dv, n_tiles, out);
    TFK_CUDA_CHECK(cudaGetLastError());
    return TFK_OK;
}

int tokenselect_scores_cuda(const tfk_attn_view * v, float * out, void * stream) noexcept {
    detail::AttnTypes ty{};
    const int rc = detail::sparse_validate(v, out, false, &ty);
    if (rc != TFK_OK) return rc;
    int dev = 0;
    TFK_CUDA_CHECK(cudaGetDevice(&dev));
    if (v->n_rows == 0) return TFK_OK;
    cudaStream_t s = static_cast<cudaStream_t>(stream);
    const int64_t n_tiles = (v->n_kv + kCells - 1) / kCells;
    const int64_t n_pairs = v->n_rows * v->n_head;
    // Scratch: part (n_pairs * n_tiles double2) then fin (n_pairs double2).
    if (static_cast<double>(n_pairs) * static_cast<double>(n_tiles + 1) * sizeof(double2) > 9.0e18)
        return TFK_ERR_BAD_SHAPE;
    const int64_t comb_blocks = (n_pairs + kCombBlock / 32 - 1) / (kCombBlock / 32);
    if (comb_blocks > 0x7fffffff) return detail::cuda_fail(cudaErrorInvalidConfiguration);
    const DevView dv = make_dev_view(v, ty);

    detail::DeviceBuffer<double2> scratch(s);
    const int rc_alloc = scratch.alloc(static_cast<size_t>(n_pairs * (n_tiles + 1)));
    if (rc_alloc != TFK_OK) return rc_alloc;
    double2 * part = scratch.get();
    double2 * fin = part + n_pairs * n_tiles;
    const unsigned cb = static_cast<unsigned>(comb_blocks);
    const cudaError_t e = ty.k == TFK_F16 ? launch_tokenselect<TFK_F16>(dv, n_tiles, cb, part, fin, out, s)
                                          : launch_tokenselect<TFK_F32>(dv, n_tiles, cb, part, fin, out, s);
    TFK_CUDA_CHECK(e);
    return scratch.release();  // stream-ordered: after the kernels that use it
}

} // namespace tfk

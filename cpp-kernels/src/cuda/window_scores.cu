// CUDA versions of the KV-cache scoring kernels (same semantics as the *_ref versions).
//
// window_scores: three launches, deterministic (no atomics), scratch of 8 bytes per (head, row, tile):
//   1. partial_kernel, grid (cell tiles of kCells, heads): thread = cell j. For chunks of kRB rows, the
//      rows' query vectors are staged through shared memory kDC dimensions at a time (broadcast
//      reads), each thread accumulates kRB dot products against its own K cell in registers (fmaf
//      over blocks of 8 dimensions, the blocks summed in double, as the CPU version does); then per
//      row a warp-shuffle max and exp-sum (exponent formed in double, see exp_shift), combined
//      across the block's warps, gives the tile's (max, sum of exp(l - max)) -> part[head][row][tile].
//      FP64 is used for a few adds per 8 FMAs: cheap on A100/H100 (the targets), slower on GPUs with
//      1/64-rate FP64.
//   2. combine_kernel: one warp per (head, row) merges the tiles' pairs -> (max, 1/sum), or
//      (-inf, 0) for a fully masked row.
//   3. accum_kernel, same grid as 1: recomputes the logits (K is re-read, mostly from L2) and writes
//      out[h][j] (+)= sum over rows of exp(l - max) / sum.
// window_aggregate: one thread per window; pool1d: one thread per output. Both perform exactly the
// reference's double operations in the same order, so they agree with it bit for bit.
#include "tfkernels.h"
#include "common/kv_common.h"
#include "cuda/cuda_check.cuh"
#include "cuda/device_buffer.cuh"

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

namespace tfk {
namespace {

constexpr int kCells = 128;          // threads per block = key cells per block
constexpr int kWarps = kCells / 32;
constexpr int kRB    = 16;           // query rows per chunk (register accumulators per thread)
constexpr int kDC    = 64;           // query dimensions staged in shared memory per step
constexpr int kBlk   = 8;            // dimensions summed in float before a double add (as on the CPU)
static_assert(kDC % kBlk == 0, "blocks must align with the CPU's");

struct DevView {
    int64_t d, n_head, n_rows, n_kv, group;
    const unsigned char * q;
    int32_t q_type;
    int64_t q_rs, q_hs;
    const unsigned char * k;
    int64_t k_cs, k_hs;
    const unsigned char * mask;  // nullptr: none
    int32_t mask_type;
    int64_t m_rs;
    float scale;
};

__device__ __forceinline__ float neg_inf() { return __uint_as_float(0xff800000u); }

// Element i of a row of dtype T (TFK_F32 or TFK_F16) at p. K's dtype is a template parameter (it is
// read in the inner loop); Q's and the mask's are tested at run time (load_elem).
template <int T>
__device__ __forceinline__ float load_k(const unsigned char * p, int64_t i) {
    if constexpr (T == TFK_F32) return __ldg(reinterpret_cast<const float *>(p) + i);
    else return __half2float(__ushort_as_half(__ldg(reinterpret_cast<const unsigned short *>(p) + i)));
}

__device__ __forceinline__ float load_elem(const unsigned char * p, int32_t t, int64_t i) {
    return t == TFK_F32 ? load_k<TFK_F32>(p, i) : load_k<TFK_F16>(p, i);
}

// Merges (m2, s2) into (m, s), where s = sum of exp(l - m) over a set of logits (s == 0: empty or
// all -inf, m irrelevant).
__device__ __forceinline__ void combine(float & m, float & s, float m2, float s2) {
    if (s2 == 0.0f) return;
    if (s == 0.0f) {
        m = m2;
        s = s2;
    } else if (m2 > m) {
        s = fmaf(s, expf(m - m2), s2);
        m = m2;
    } else {
        s = fmaf(s2, expf(m2 - m), s);
    }
}

// For rows r < rb of the chunk and this thread's cell j: dot[r] = dot(q[r0 + r, h], k[j, h / group])
// (float over blocks of kBlk dimensions, the blocks summed in double, then rounded to float: the
// CPU version's arithmetic) and mk[r] = the mask value (0 without a mask). Rows r >= rb and cells
// j >= n_kv get mk = -inf. Every thread of the block must call it (it synchronizes).
template <int KT>
__device__ __forceinline__ void chunk_logits(const DevView & v, int64_t h, int64_t r0, int rb, int64_t j,
                                             float (&dot)[kRB], float (&mk)[kRB], float * q_s) {
    double o[kRB];
#pragma unroll
    for (int r = 0; r < kRB; ++r) o[r] = 0.0;
    const bool valid = j < v.n_kv;
    const unsigned char * kp = v.k + (valid ? j : 0) * v.k_cs + (h / v.group) * v.k_hs;
    for (int64_t dc = 0; dc < v.d; dc += kDC) {
        const int dn = static_cast<int>(v.d - dc < kDC ? v.d - dc : kDC);
        __syncthreads();  // the previous step's (or chunk's) reads of q_s are done
        for (int idx = threadIdx.x; idx < kRB * kDC; idx += blockDim.x) {
            const int r = idx / kDC, i = idx % kDC;
            float x = 0.0f;
            if (r < rb && i < dn) x = load_elem(v.q + (r0 + r) * v.q_rs + h * v.q_hs, v.q_type, dc + i);
            q_s[idx] = x;
        }
        __syncthreads();
        if (valid) {
            for (int i0 = 0; i0 < dn; i0 += kBlk) {  // kDC is a multiple of kBlk: the CPU's blocks
                const int ie = i0 + kBlk < dn ? i0 + kBlk : dn;
                float a[kRB];
#pragma unroll
                for (int r = 0; r < kRB; ++r) a[r] = 0.0f;
                for (int i = i0; i < ie; ++i) {
                    const float kv = load_k<KT>(kp, dc + i);
#pragma unroll
                    for (int r = 0; r < kRB; ++r) a[r] = fmaf(q_s[r * kDC + i], kv, a[r]);
                }
#pragma unroll
                for (int r = 0; r < kRB; ++r) o[r] += static_cast<double>(a[r]);
            }
        }
    }
#pragma unroll
    for (int r = 0; r < kRB; ++r) {
        dot[r] = static_cast<float>(o[r]);
        float m = neg_inf();
        if (valid && r < rb) m = v.mask != nullptr ? load_elem(v.mask + (r0 + r) * v.m_rs, v.mask_type, j) : 0.0f;
        mk[r] = m;
    }
}

// The float logit (for maxima): scale*dot + mask, unfused like the CPU version.
__device__ __forceinline__ float logit(float dot, float mk, float scale) { return __fadd_rn(__fmul_rn(scale, dot), mk); }

// exp(scale*dot + mk - m) with the exponent x formed in double and split into float hi + lo
// (exp(x) ~ expf(hi) * (1 + lo)), so the rounding of x to float costs nothing; 0 when x = -inf.
__device__ __forceinline__ float exp_shift(float dot, float mk, float scale, float m) {
    const double x = fma(static_cast<double>(dot), static_cast<double>(scale),
                         static_cast<double>(mk) - static_cast<double>(m));
    const float hi = static_cast<float>(x);
    if (hi == neg_inf()) return 0.0f;
    const float lo = static_cast<float>(x - static_cast<double>(hi));
    const float e = expf(hi);
    return fmaf(e, lo, e);
}

template <int KT>
__global__ void __launch_bounds__(kCells)
partial_kernel(DevView v, int64_t n_tiles, float2 * __restrict__ part) {
    __shared__ float q_s[kRB * kDC];
    __shared__ float wm[kRB][kWarps], ws[kRB][kWarps];
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    for (int64_t tile = blockIdx.x; tile < n_tiles; tile += gridDim.x) {
        const int64_t j = tile * kCells + threadIdx.x;
        for (int64_t h = blockIdx.y; h < v.n_head; h += gridDim.y) {
            for (int64_t r0 = 0; r0 < v.n_rows; r0 += kRB) {
                const int rb = static_cast<int>(v.n_rows - r0 < kRB ? v.n_rows - r0 : kRB);
                float dot[kRB], mk[kRB];
                chunk_logits<KT>(v, h, r0, rb, j, dot, mk, q_s);
#pragma unroll
                for (int r = 0; r < kRB; ++r) {
                    float m = logit(dot[r], mk[r], v.scale);
                    for (int off = 16; off > 0; off >>= 1) m = fmaxf(m, __shfl_xor_sync(0xffffffffu, m, off));
                    float s = m == neg_inf() ? 0.0f : exp_shift(dot[r], mk[r], v.scale, m);
                    for (int off = 16; off > 0; off >>= 1) s += __shfl_xor_sync(0xffffffffu, s, off);
                    if (lane == 0) {
                        wm[r][warp] = m;
                        ws[r][warp] = s;
                    }
                }
                __syncthreads();
                if (threadIdx.x < rb) {
                    const int r = threadIdx.x;
                    float m = wm[r][0], s = ws[r][0];
                    for (int w = 1; w < kWarps; ++w) combine(m, s, wm[r][w], ws[r][w]);
                    part[(h * v.n_rows + r0 + r) * n_tiles + tile] = make_float2(m, s);
                }
                // wm/ws are rewritten only after chunk_logits' barriers, i.e. after these reads.
            }
        }
    }
}

// One warp per (head, row): fin = (max, 1/sum), or (-inf, 0) when the row is fully masked.
__global__ void combine_kernel(const float2 * __restrict__ part, int64_t n_pairs, int64_t n_tiles,
                               float2 * __restrict__ fin) {
    const int64_t pair = static_cast<int64_t>(blockIdx.x) * (blockDim.x / 32) + threadIdx.x / 32;
    if (pair >= n_pairs) return;  // whole warps only
    const int lane = threadIdx.x & 31;
    float m = neg_inf(), s = 0.0f;
    for (int64_t t = lane; t < n_tiles; t += 32) {
        const float2 p = part[pair * n_tiles + t];
        combine(m, s, p.x, p.y);
    }
    for (int off = 16; off > 0; off >>= 1) {
        const float m2 = __shfl_xor_sync(0xffffffffu, m, off);
        const float s2 = __shfl_xor_sync(0xffffffffu, s, off);
        combine(m, s, m2, s2);
    }
    if (lane == 0) fin[pair] = s > 0.0f ? make_float2(m, 1.0f / s) : make_float2(neg_inf(), 0.0f);
}

template <int KT>
__global__ void __launch_bounds__(kCells)
accum_kernel(DevView v, int64_t n_tiles, const float2 * __restrict__ fin, float * __restrict__ out, int accumulate) {
    __shared__ float q_s[kRB * kDC];
    for (int64_t tile = blockIdx.x; tile < n_tiles; tile += gridDim.x) {
        const int64_t j = tile * kCells + threadIdx.x;
        for (int64_t h = blockIdx.y; h < v.n_head; h += gridDim.y) {
            float sum = 0.0f;
            for (int64_t r0 = 0; r0 < v.n_rows; r0 += kRB) {
                const int rb = static_cast<int>(v.n_rows - r0 < kRB ? v.n_rows - r0 : kRB);
                float dot[kRB], mk[kRB];
                chunk_logits<KT>(v, h, r0, rb, j, dot, mk, q_s);
#pragma unroll
                for (int r = 0; r < kRB; ++r) {
                    if (r < rb) {
                        const float2 f = fin[h * v.n_rows + r0 + r];
                        if (f.y > 0.0f) sum = fmaf(exp_shift(dot[r], mk[r], v.scale, f.x), f.y, sum);
                    }
                }
            }
            if (j < v.n_kv) {
                float * o = out + h * v.n_kv + j;
                *o = accumulate ? *o + sum : sum;
            }
        }
    }
}

// NaN-last descending order with ties to the smaller index: a strict total order on (value, index).
__device__ __forceinline__ bool before(float a, int64_t ia, float b, int64_t ib) {
    const bool a_nan = a != a, b_nan = b != b;
    if (a_nan != b_nan) return b_nan;
    if (!a_nan && a != b) return a > b;
    return ia < ib;
}

__global__ void aggregate_kernel(const float * __restrict__ scores, int64_t n_head, int64_t n_tokens,
                                 int64_t row_stride, int w, int mode, int64_t n_win, float * __restrict__ out) {
    const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
    for (int64_t m = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; m < n_win; m += step) {
        const int64_t lo = m * w, hi = lo + w < n_tokens ? lo + w : n_tokens, len = hi - lo;
        const int64_t tw = w / 2 > 1 ? w / 2 : 1, t = tw < len ? tw : len;
        double total = 0.0;
        for (int64_t h = 0; h < n_head; ++h) {
            const float * row = scores + h * row_stride;
            double head = 0.0;
            if (mode == TFK_WINDOW_AVG) {
                for (int64_t j = lo; j < hi; ++j) head += static_cast<double>(row[j]);
            } else {
                // The top t, largest first, by repeated selection of the next in the total order.
                float prev = 0.0f;
                int64_t prev_j = -1;
                for (int64_t i = 0; i < t; ++i) {
                    float best = 0.0f;
                    int64_t best_j = -1;
                    for (int64_t j = lo; j < hi; ++j) {
                        const float x = row[j];
                        if (prev_j >= 0 && !before(prev, prev_j, x, j)) continue;
                        if (best_j < 0 || before(x, j, best, best_j)) {
                            best = x;
                            best_j = j;
                        }
                    }
                    head += static_cast<double>(best);
                    prev = best;
                    prev_j = best_j;
                }
                head /= static_cast<double>(t);
            }
            total += head;
        }
        const double div = mode == TFK_WINDOW_AVG ? static_cast<double>(n_head) * static_cast<double>(len)
                                                  : static_cast<double>(n_head);
        out[m] = static_cast<float>(total / div);
    }
}

__global__ void pool_kernel(const float * __restrict__ in, int64_t n, int kernel, int mode, float * __restrict__ out) {
    const int64_t half = kernel / 2;
    const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
    for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
        const int64_t lo = i - half > 0 ? i - half : 0, hi = i + half < n - 1 ? i + half : n - 1;
        if (mode == TFK_POOL_AVG) {
            double s = 0.0;
            for (int64_t t = lo; t <= hi; ++t) s += static_cast<double>(in[t]);
            out[i] = static_cast<float>(s / static_cast<double>(kernel));
        } else {
            float mx = in[lo];
            for (int64_t t = lo + 1; t <= hi; ++t) mx = in[t] > mx ? in[t] : mx;
            out[i] = mx;
        }
    }
}

constexpr int kCombBlock = 256;  // combine_kernel: 8 warps, one (head, row) pair each

struct LaunchShape {
    dim3 grid;          // partial/accum: (cell tiles, heads)
    unsigned comb_grid; // combine
    int64_t n_tiles, n_pairs;
};

// window_scores' three launches for K of dtype KT; the first launch error, or cudaSuccess.
template <int KT>
cudaError_t launch_scores(const DevView & dv, const LaunchShape & sh, float2 * part, float2 * fin, float * out,
                          int accumulate, cudaStream_t s) {
    partial_kernel<KT><<<sh.grid, kCells, 0, s>>>(dv, sh.n_tiles, part);
    cudaError_t e = cudaGetLastError();
    if (e != cudaSuccess) return e;
    combine_kernel<<<sh.comb_grid, kCombBlock, 0, s>>>(part, sh.n_pairs, sh.n_tiles, fin);
    e = cudaGetLastError();
    if (e != cudaSuccess) return e;
    accum_kernel<KT><<<sh.grid, kCells, 0, s>>>(dv, sh.n_tiles, fin, out, accumulate);
    return cudaGetLastError();
}

unsigned grid_for(int64_t items, int block) {
    const int64_t b = (items + block - 1) / block;
    return static_cast<unsigned>(std::max<int64_t>(1, std::min<int64_t>(b, int64_t(1) << 20)));
}

} // namespace

int window_scores_cuda(const tfk_attn_view * v, float * out, int accumulate, void * stream) noexcept {
    detail::AttnTypes ty{};
    const int rc = detail::attn_validate(v, out, &ty);
    if (rc != TFK_OK) return rc;
    int dev = 0;
    TFK_CUDA_CHECK(cudaGetDevice(&dev));
    cudaStream_t s = static_cast<cudaStream_t>(stream);
    const int64_t n_kv = v->n_kv;
    if (v->n_rows == 0) {
        if (!accumulate) TFK_CUDA_CHECK(cudaMemsetAsync(out, 0, sizeof(float) * static_cast<size_t>(v->n_head * n_kv), s));
        return TFK_OK;
    }
    const int64_t n_tiles = (n_kv + kCells - 1) / kCells;
    const int64_t n_pairs = v->n_head * v->n_rows;
    // Scratch: part (n_pairs * n_tiles float2) then fin (n_pairs float2).
    if (static_cast<double>(n_pairs) * static_cast<double>(n_tiles + 1) * sizeof(float2) > 9.0e18) return TFK_ERR_BAD_SHAPE;

    DevView dv;
    dv.d = v->head_dim;
    dv.n_head = v->n_head;
    dv.n_rows = v->n_rows;
    dv.n_kv = n_kv;
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
    dv.scale = v->scale;

    detail::DeviceBuffer<float2> scratch(s);
    const int rc_alloc = scratch.alloc(static_cast<size_t>(n_pairs * (n_tiles + 1)));
    if (rc_alloc != TFK_OK) return rc_alloc;
    float2 * part = scratch.get();
    float2 * fin = part + n_pairs * n_tiles;

    const dim3 grid(static_cast<unsigned>(std::min<int64_t>(n_tiles, 0x7fffffff)),
                    static_cast<unsigned>(std::min<int64_t>(v->n_head, 65535)));
    const int64_t comb_blocks = (n_pairs + kCombBlock / 32 - 1) / (kCombBlock / 32);
    // > 2^34 (head, row) pairs: not a realistic input
    if (comb_blocks > 0x7fffffff) return detail::cuda_fail(cudaErrorInvalidConfiguration);
    const LaunchShape shape{grid, static_cast<unsigned>(comb_blocks), n_tiles, n_pairs};
    const cudaError_t e = ty.k == TFK_F16 ? launch_scores<TFK_F16>(dv, shape, part, fin, out, accumulate, s)
                                          : launch_scores<TFK_F32>(dv, shape, part, fin, out, accumulate, s);
    TFK_CUDA_CHECK(e);
    return scratch.release();  // stream-ordered: after the kernels that use it
}

int window_aggregate_cuda(const float * scores, int64_t n_head, int64_t n_tokens, int64_t row_stride, int w, int mode,
                          float * out, void * stream) noexcept {
    const int rc = detail::aggregate_validate(scores, n_head, n_tokens, row_stride, w, mode, out);
    if (rc != TFK_OK) return rc;
    int dev = 0;
    TFK_CUDA_CHECK(cudaGetDevice(&dev));
    const int64_t n_win = detail::n_windows(n_tokens, w);
    if (n_win == 0) return TFK_OK;
    const int block = 128;
    aggregate_kernel<<<grid_for(n_win, block), block, 0, static_cast<cudaStream_t>(stream)>>>(
        scores, n_head, n_tokens, row_stride, w, mode, n_win, out);
    TFK_CUDA_CHECK(cudaGetLastError());
    return TFK_OK;
}

int pool1d_cuda(const float * in, int64_t n, int kernel, int mode, float * out, void * stream) noexcept {
    const int rc = detail::pool_validate(in, n, kernel, mode, out);
    if (rc != TFK_OK) return rc;
    int dev = 0;
    TFK_CUDA_CHECK(cudaGetDevice(&dev));
    if (n == 0) return TFK_OK;
    const int block = 256;
    pool_kernel<<<grid_for(n, block), block, 0, static_cast<cudaStream_t>(stream)>>>(in, n, kernel, mode, out);
    TFK_CUDA_CHECK(cudaGetLastError());
    return TFK_OK;
}

} // namespace tfk

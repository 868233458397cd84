// CUDA versions of the sparse-attention kernels (same semantics and results as the *_ref versions).
//
//  - quest_page_meta: one thread per (page, key head, dimension), scanning the page's cells in
//    ascending order with the reference's comparisons (bit for bit). Threads of a warp read
//    consecutive dimensions of one K row (coalesced).
//  - quest_page_scores: one thread per (row, key head, page): for each query head of the group, the
//    double sum over dimensions in ascending order of max(q*m, q*M) (0 when q == 0), rounded toward
//    +inf to float (__double2float_ru), max over the heads: the reference's operations in its order.
//  - select_topk: one block per list. The qualifying values (not NaN, not -inf) are mapped to
//    order-preserving 32-bit keys (-0 as +0); a radix select (4 passes of 8 bits, shared-memory
//    histograms) finds the k-th largest key T and how many entries equal to T to take; a final pass
//    over the columns in tiles of the block size writes, via block-wide prefix sums, every key > T and
//    the first ones == T in ascending column order. Each list writes its slot of min(k, n_cols)
//    indices and its count; a one-block kernel then builds indptr (sequential prefix sum over
//    the lists' counts) and a third kernel compacts the slots into CSR order (a scratch copy).
#include "tfkernels.h"
#include "common/quest_common.h"
#include "cuda/cuda_check.cuh"
#include "cuda/device_buffer.cuh"

#include <cub/block/block_scan.cuh>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

namespace tfk {
namespace {

__device__ __forceinline__ float ninf() { return __uint_as_float(0xff800000u); }
__device__ __forceinline__ float pinf() { return __uint_as_float(0x7f800000u); }

__device__ __forceinline__ float load_elem(const unsigned char * p, int32_t t, int64_t i) {
    if (t == TFK_F32) return reinterpret_cast<const float *>(p)[i];
    return __half2float(__ushort_as_half(reinterpret_cast<const unsigned short *>(p)[i]));
}

unsigned grid_for(int64_t items, int block) {
    const int64_t g = (items + block - 1) / block;
    return static_cast<unsigned>(std::min<int64_t>(std::max<int64_t>(g, 1), 65535 * 16));
}

__global__ void meta_kernel(const unsigned char * __restrict__ k, int32_t kt, int64_t k_cs, int64_t k_hs,
                            const unsigned char * __restrict__ mask, int32_t mt, int64_t d, int64_t hkv, int64_t n_kv,
                            int64_t page_size, int64_t page_begin, int64_t n_items, float * __restrict__ mins,
                            float * __restrict__ maxs) {
    for (int64_t it = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; it < n_items;
         it += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const int64_t i = it % d, g = (it / d) % hkv, p = page_begin + it / (d * hkv);
        const int64_t j0 = p * page_size, j1 = min(n_kv, j0 + page_size);
        float lo = pinf(), hi = ninf();
        for (int64_t j = j0; j < j1; ++j) {
            if (mask != nullptr && load_elem(mask, mt, j) == ninf()) continue;
            const float x = load_elem(k + j * k_cs + g * k_hs, kt, i);
            lo = x < lo ? x : lo;
            hi = x > hi ? x : hi;
        }
        const int64_t o = (p * hkv + g) * d + i;
        mins[o] = lo;
        maxs[o] = hi;
    }
}

__global__ void scores_kernel(const unsigned char * __restrict__ q, int32_t qt, int64_t q_rs, int64_t q_hs,
                              const float * __restrict__ mins, const float * __restrict__ maxs, int64_t d,
                              int64_t hkv, int64_t group, int64_t n_pages, int64_t n_items, float * __restrict__ out) {
    for (int64_t it = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; it < n_items;
         it += static_cast<int64_t>(gridDim.x) * blockDim.x) {
        const int64_t p = it % n_pages, g = (it / n_pages) % hkv, r = it / (n_pages * hkv);
        const float * mn = mins + (p * hkv + g) * d;
        const float * mx = maxs + (p * hkv + g) * d;
        float best = ninf();
        if (mn[0] <= mx[0]) {  // else empty (detail::quest_page_empty)
            for (int64_t h = g * group; h < (g + 1) * group; ++h) {
                const unsigned char * qh = q + r * q_rs + h * q_hs;
                double u = 0.0;
                for (int64_t i = 0; i < d; ++i) {
                    const double qi = static_cast<double>(load_elem(qh, qt, i));
                    const double a = __dmul_rn(qi, static_cast<double>(mn[i]));
                    const double b = __dmul_rn(qi, static_cast<double>(mx[i]));
                    u = __dadd_rn(u, qi == 0.0 ? 0.0 : (a > b ? a : b));
                }
                const float s = __double2float_ru(u);
                best = s > best ? s : best;
            }
        }
        out[it] = best;
    }
}

// Order-preserving key of a qualifying float (not NaN, not -inf); -0 maps like +0. Larger float,
// larger key.
__device__ __forceinline__ uint32_t sort_key(float x) {
    uint32_t b = __float_as_uint(x);
    if (b == 0x80000000u) b = 0u;
    return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

__device__ __forceinline__ bool qualifies(float x) { return x == x && x != ninf(); }

constexpr int kSelBlock = 256;

__global__ void __launch_bounds__(kSelBlock)
select_kernel(const float * __restrict__ scores, int64_t n_cols, int64_t row_stride, int64_t k, int64_t kk,
              int32_t * __restrict__ slots, int64_t * __restrict__ counts) {
    using Scan = cub::BlockScan<int, kSelBlock>;
    __shared__ typename Scan::TempStorage scan_tmp;
    __shared__ unsigned hist[256];
    __shared__ unsigned long long s_count;
    __shared__ uint32_t s_prefix;
    __shared__ int64_t s_remaining;
    __shared__ int s_base, s_eq_base;

    const int64_t l = blockIdx.x;
    const float * s = scores + l * row_stride;
    int32_t * slot = slots + l * kk;

    // Count the qualifying entries.
    if (threadIdx.x == 0) s_count = 0;
    __syncthreads();
    unsigned long long local = 0;
    for (int64_t c = threadIdx.x; c < n_cols; c += blockDim.x) local += qualifies(s[c]) ? 1 : 0;
    atomicAdd(&s_count, local);
    __syncthreads();
    const int64_t n = static_cast<int64_t>(s_count);
    const bool take_all = n <= k;

    // Radix select of the k-th largest key (skipped when every qualifying entry is taken).
    uint32_t prefix = 0, pmask = 0;
    int64_t remaining = k;  // rank (1-based) of the wanted key among those matching the prefix
    if (!take_all) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            for (int b = threadIdx.x; b < 256; b += blockDim.x) hist[b] = 0;
            __syncthreads();
            for (int64_t c = threadIdx.x; c < n_cols; c += blockDim.x) {
                const float x = s[c];
                if (!qualifies(x)) continue;
                const uint32_t key = sort_key(x);
                if ((key & pmask) == prefix) atomicAdd(&hist[(key >> shift) & 255u], 1u);
            }
            __syncthreads();
            if (threadIdx.x == 0) {
                int64_t rem = remaining;
                int digit = 255;
                for (; digit > 0; --digit) {
                    if (static_cast<int64_t>(hist[digit]) >= rem) break;
                    rem -= hist[digit];
                }
                s_prefix = prefix | (static_cast<uint32_t>(digit) << shift);
                s_remaining = rem;
            }
            __syncthreads();
            prefix = s_prefix;
            remaining = s_remaining;
            pmask |= 255u << shift;
            __syncthreads();  // s_prefix/s_remaining/hist are rewritten in the next pass
        }
    }
    const uint32_t T = prefix;
    const int64_t eq_take = remaining;  // keys == T to take (lowest columns first)

    // Ordered output: per tile of blockDim columns, prefix sums of the "== T" and "selected" flags.
    if (threadIdx.x == 0) {
        s_base = 0;
        s_eq_base = 0;
    }
    __syncthreads();
    for (int64_t c0 = 0; c0 < n_cols; c0 += blockDim.x) {
        const int64_t c = c0 + threadIdx.x;
        int eq = 0, gt = 0;
        if (c < n_cols) {
            const float x = s[c];
            if (qualifies(x)) {
                if (take_all) {
                    gt = 1;
                } else {
                    const uint32_t key = sort_key(x);
                    gt = key > T;
                    eq = key == T;
                }
            }
        }
        int eq_rank = 0, eq_total = 0;
        Scan(scan_tmp).ExclusiveSum(eq, eq_rank, eq_total);
        __syncthreads();
        const int sel = gt || (eq && static_cast<int64_t>(s_eq_base) + eq_rank < eq_take);
        int pos = 0, total = 0;
        Scan(scan_tmp).ExclusiveSum(sel, pos, total);
        if (sel) slot[s_base + pos] = static_cast<int32_t>(c);
        __syncthreads();
        if (threadIdx.x == 0) {
            s_base += total;
            s_eq_base += eq_total;
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) counts[l] = s_base;
}

// indptr from the counts (one thread; the lists are few compared with the selection work).
__global__ void indptr_kernel(const int64_t * __restrict__ counts, int64_t n_lists, int64_t * __restrict__ indptr) {
    if (blockIdx.x != 0 || threadIdx.x != 0) return;
    int64_t acc = 0;
    indptr[0] = 0;
    for (int64_t l = 0; l < n_lists; ++l) {
        acc += counts[l];
        indptr[l + 1] = acc;
    }
}

// Copies each list's slot to its CSR place (one block per list).
__global__ void compact_kernel(const int32_t * __restrict__ slots, const int64_t * __restrict__ indptr, int64_t kk,
                               int32_t * __restrict__ indices) {
    const int64_t l = blockIdx.x;
    const int64_t b = indptr[l], n = indptr[l + 1] - b;
    for (int64_t i = threadIdx.x; i < n; i += blockDim.x) indices[b + i] = slots[l * kk + i];
}

} // namespace

int quest_page_meta_cuda(const tfk_attn_view * v, int64_t page_size, int64_t page_begin, int64_t page_end, float * mins,
                         float * maxs, void * stream) noexcept {
    detail::AttnTypes ty{};
    const int rc = detail::quest_meta_validate(v, page_size, page_begin, page_end, mins, maxs, &ty);
    if (rc != TFK_OK) return rc;
    int dev = 0;
    TFK_CUDA_CHECK(cudaGetDevice(&dev));
    const int64_t n_items = (page_end - page_begin) * v->n_head_kv * v->head_dim;
    if (n_items == 0) return TFK_OK;
    const int block = 128;
    meta_kernel<<<grid_for(n_items, block), block, 0, static_cast<cudaStream_t>(stream)>>>(
        static_cast<const unsigned char *>(v->k), ty.k, v->k_cell_stride, v->k_head_stride,
        static_cast<const unsigned char *>(v->mask), ty.mask, v->head_dim, v->n_head_kv, v->n_kv, page_size, page_begin,
        n_items, mins, maxs);
    TFK_CUDA_CHECK(cudaGetLastError());
    return TFK_OK;
}

int quest_page_scores_cuda(const tfk_attn_view * v, const float * mins, const float * maxs, int64_t page_size,
                           int64_t n_pages, float * out, void * stream) noexcept {
    detail::AttnTypes ty{};
    const int rc = detail::quest_scores_validate(v, mins, maxs, page_size, n_pages, out, &ty);
    if (rc != TFK_OK) return rc;
    int dev = 0;
    TFK_CUDA_CHECK(cudaGetDevice(&dev));
    const int64_t n_items = v->n_rows * v->n_head_kv * n_pages;
    if (n_items == 0) return TFK_OK;
    const int block = 128;
    scores_kernel<<<grid_for(n_items, block), block, 0, static_cast<cudaStream_t>(stream)>>>(
        static_cast<const unsigned char *>(v->q), ty.q, v->q_row_stride, v->q_head_stride, mins, maxs, v->head_dim,
        v->n_head_kv, v->n_head / v->n_head_kv, n_pages, n_items, out);
    TFK_CUDA_CHECK(cudaGetLastError());
    return TFK_OK;
}

int select_topk_cuda(const float * scores, int64_t n_lists, int64_t n_cols, int64_t row_stride, int64_t k,
                     int64_t * indptr, int32_t * indices, void * stream) noexcept {
    const int rc = detail::select_validate(scores, n_lists, n_cols, row_stride, k, indptr, indices);
    if (rc != TFK_OK) return rc;
    int dev = 0;
    TFK_CUDA_CHECK(cudaGetDevice(&dev));
    cudaStream_t s = static_cast<cudaStream_t>(stream);
    if (n_lists == 0) {
        TFK_CUDA_CHECK(cudaMemsetAsync(indptr, 0, sizeof(int64_t), s));
        return TFK_OK;
    }
    if (n_lists > 2147483647) return TFK_ERR_BAD_SHAPE;  // one block per list (grid x limit)
    const int64_t kk = std::min(k, n_cols);
    detail::DeviceBuffer<int32_t> slots(s);
    detail::DeviceBuffer<int64_t> counts(s);
    int e = slots.alloc(static_cast<size_t>(n_lists * kk));
    if (e != TFK_OK) return e;
    e = counts.alloc(static_cast<size_t>(n_lists));
    if (e != TFK_OK) return e;
    const unsigned grid = static_cast<unsigned>(n_lists);
    select_kernel<<<grid, kSelBlock, 0, s>>>(scores, n_cols, row_stride, k, kk, slots.get(), counts.get());
    TFK_CUDA_CHECK(cudaGetLastError());
    indptr_kernel<<<1, 1, 0, s>>>(counts.get(), n_lists, indptr);
    TFK_CUDA_CHECK(cudaGetLastError());
    compact_kernel<<<grid, 128, 0, s>>>(slots.get(), indptr, kk, indices);
    TFK_CUDA_CHECK(cudaGetLastError());
    e = slots.release();
    if (e != TFK_OK) return e;
    return counts.release();
}

} // namespace tfk

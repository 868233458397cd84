// CUDA top-k, same semantics as tfk::topk_ref. One block per (row, column chunk): each thread keeps
// a sorted local top-k of 64-bit keys (see common/topk_common.h), then the block merges the
// per-thread lists with k rounds of a block-wide max. When there are too few rows to fill the GPU,
// wide rows are split into chunks whose k-lists go to scratch, and a second launch merges them.
#include "tfkernels.h"
#include "common/topk_common.h"
#include "cuda/cuda_check.cuh"
#include "cuda/device_buffer.cuh"

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

namespace tfk {
namespace {

using u64 = unsigned long long;  // the type the shuffle intrinsics are overloaded for

thread_local cudaError_t g_last_error = cudaSuccess;

int fail(cudaError_t e) { return detail::cuda_fail(e); }

constexpr int kBlock = 256;
constexpr int kWarps = kBlock / 32;

__device__ __forceinline__ void insert_key(u64 * buf, int k, u64 key) {
    int p = k - 1;
    while (p > 0 && buf[p - 1] < key) {
        buf[p] = buf[p - 1];
        --p;
    }
    buf[p] = key;
}

__device__ __forceinline__ u64 max_u64(u64 a, u64 b) { return a > b ? a : b; }

// kKeysIn = false: input is row r's columns [blockIdx.y*chunk, +chunk) of logits.
// kKeysIn = true:  input is keys_in[r*keys_per_row .. +keys_per_row) (the chunk results).
// keys_out != nullptr: write the k keys to keys_out[(r*gridDim.y + blockIdx.y)*k ..];
// otherwise write ids and the exact value bits (read back from logits) to out_ids/out_vals.
template <bool kKeysIn>
__global__ void __launch_bounds__(kBlock)
topk_kernel(const float * __restrict__ logits, int64_t n_rows, int64_t n_cols, int64_t row_stride,
            const u64 * __restrict__ keys_in, int64_t keys_per_row, int64_t chunk, int k,
            u64 * __restrict__ keys_out, int32_t * __restrict__ out_ids, float * __restrict__ out_vals) {
    __shared__ u64 warp_best[2][kWarps];
    __shared__ u64 result[TFK_TOPK_MAX_K];
    const int tid  = threadIdx.x;
    const int lane = tid & 31;
    const int warp = tid >> 5;

    for (int64_t r = blockIdx.x; r < n_rows; r += gridDim.x) {
        const uint32_t * row_bits = reinterpret_cast<const uint32_t *>(logits + r * row_stride);

        // Local top-k. 0 is the empty-slot key (below every real key).
        u64 buf[TFK_TOPK_MAX_K];
        for (int i = 0; i < k; ++i) buf[i] = 0;
        u64 thr = 0;
        if constexpr (kKeysIn) {
            const u64 * in = keys_in + r * keys_per_row;
            for (int64_t i = tid; i < keys_per_row; i += kBlock) {
                const u64 key = in[i];
                if (key > thr) {
                    insert_key(buf, k, key);
                    thr = buf[k - 1];
                }
            }
        } else {
            const int64_t begin = static_cast<int64_t>(blockIdx.y) * chunk;
            const int64_t end   = begin + chunk < n_cols ? begin + chunk : n_cols;
            for (int64_t c = begin + tid; c < end; c += kBlock) {
                const u64 key = detail::make_key(__ldg(row_bits + c), static_cast<uint32_t>(c));
                if (key > thr) {
                    insert_key(buf, k, key);
                    thr = buf[k - 1];
                }
            }
        }

        // Merge: each round takes the largest head among all threads' lists. Real keys are unique,
        // so exactly one thread owns the winner and advances.
        int ptr = 0;
        for (int i = 0; i < k; ++i) {
            const u64 head = ptr < k ? buf[ptr] : 0;
            u64 m = head;
            for (int off = 16; off > 0; off >>= 1) m = max_u64(m, __shfl_xor_sync(0xffffffffu, m, off));
            if (lane == 0) warp_best[i & 1][warp] = m;
            __syncthreads();  // double-buffered warp_best: one barrier per round suffices
            u64 best = warp_best[i & 1][0];
            for (int w = 1; w < kWarps; ++w) best = max_u64(best, warp_best[i & 1][w]);
            if (best != 0 && head == best) ++ptr;
            if (tid == 0) result[i] = best;
        }
        __syncthreads();

        if (tid < k) {
            const u64 key = result[tid];
            if (keys_out != nullptr) {
                keys_out[(r * gridDim.y + blockIdx.y) * k + tid] = key;
            } else {
                // key == 0 cannot happen here (k <= n_cols real keys exist); guard anyway.
                int32_t  id   = -1;
                uint32_t bits = 0x7fc00000u;
                if (key != 0) {
                    id   = static_cast<int32_t>(detail::key_col(key));
                    bits = row_bits[id];
                }
                out_ids[r * k + tid] = id;
                reinterpret_cast<uint32_t *>(out_vals)[r * k + tid] = bits;  // exact bits
            }
        }
        __syncthreads();  // result/warp_best are reused by the next row
    }
}

} // namespace

// Records a failed CUDA call and maps it to a status; never aborts.
int detail::cuda_fail(cudaError_t e) {
    g_last_error = e;
    (void) cudaGetLastError();  // clear a non-sticky error so later calls start clean
    switch (e) {
        case cudaErrorNoDevice:
        case cudaErrorInsufficientDriver:
        case cudaErrorStubLibrary:
        case cudaErrorSystemDriverMismatch:
            return TFK_ERR_NO_CUDA;
        default:
            return TFK_ERR_CUDA;
    }
}

int topk_cuda(const float * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride, int k,
              int32_t * out_ids, float * out_vals, void * stream) noexcept {
    const int rc = detail::topk_validate(logits, n_rows, n_cols, row_stride, k, out_ids, out_vals);
    if (rc != TFK_OK) return rc;
    int dev = 0;
    TFK_CUDA_CHECK(cudaGetDevice(&dev));
    if (n_rows == 0) return TFK_OK;
    int sms = 0;
    TFK_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
    cudaStream_t s = static_cast<cudaStream_t>(stream);

    // Split wide rows only when rows alone leave SMs idle, and keep >= 8k columns per thread so the
    // local insertions stay rare compared to the scan.
    const int64_t target_blocks = 2 * static_cast<int64_t>(std::max(sms, 1));
    int64_t splits = 1;
    if (n_rows < target_blocks) {
        const int64_t min_chunk = static_cast<int64_t>(kBlock) * std::max(8 * k, 32);
        splits = std::min<int64_t>({(target_blocks + n_rows - 1) / n_rows, n_cols / min_chunk, 1024});
        splits = std::max<int64_t>(splits, 1);
    }
    const unsigned grid_rows = static_cast<unsigned>(std::min<int64_t>(n_rows, int64_t(1) << 30));

    if (splits > 1) {
        const int64_t chunk = (n_cols + splits - 1) / splits;
        detail::DeviceBuffer<u64> keys(s);
        if (keys.try_alloc_async(static_cast<size_t>(n_rows * splits * k))) {
            topk_kernel<false><<<dim3(grid_rows, static_cast<unsigned>(splits)), kBlock, 0, s>>>(
                logits, n_rows, n_cols, row_stride, nullptr, 0, chunk, k, keys.get(), nullptr, nullptr);
            TFK_CUDA_CHECK(cudaGetLastError());
            topk_kernel<true><<<dim3(grid_rows, 1), kBlock, 0, s>>>(
                logits, n_rows, n_cols, row_stride, keys.get(), splits * k, 0, k, nullptr, out_ids, out_vals);
            TFK_CUDA_CHECK(cudaGetLastError());
            return keys.release();  // stream-ordered: after the kernels
        }
        // No scratch (e.g. no memory pools): one block per row still works.
    }
    topk_kernel<false><<<dim3(grid_rows, 1), kBlock, 0, s>>>(
        logits, n_rows, n_cols, row_stride, nullptr, 0, n_cols, k, nullptr, out_ids, out_vals);
    TFK_CUDA_CHECK(cudaGetLastError());
    return TFK_OK;
}

bool cuda_available() noexcept { return tfk_cuda_available() != 0; }

} // namespace tfk

using tfk::fail;

extern "C" {

int tfk_cuda_available(void) {
    int n = 0;
    const cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        (void) fail(e);
        return 0;
    }
    return n > 0 ? 1 : 0;
}

const char * tfk_cuda_last_error(void) {
    return tfk::g_last_error == cudaSuccess ? "" : cudaGetErrorString(tfk::g_last_error);
}

int tfk_cuda_malloc(void ** ptr, size_t bytes) {
    if (ptr == nullptr) return TFK_ERR_NULL;
    *ptr = nullptr;
    TFK_CUDA_CHECK(cudaMalloc(ptr, bytes));
    return TFK_OK;
}

int tfk_cuda_free(void * ptr) {
    TFK_CUDA_CHECK(cudaFree(ptr));
    return TFK_OK;
}

int tfk_cuda_memcpy_h2d(void * dst, const void * src, size_t bytes) {
    if (bytes != 0 && (dst == nullptr || src == nullptr)) return TFK_ERR_NULL;
    TFK_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice));
    return TFK_OK;
}

int tfk_cuda_memcpy_d2h(void * dst, const void * src, size_t bytes) {
    if (bytes != 0 && (dst == nullptr || src == nullptr)) return TFK_ERR_NULL;
    TFK_CUDA_CHECK(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost));
    return TFK_OK;
}

int tfk_cuda_synchronize(void * stream) {
    TFK_CUDA_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)));
    return TFK_OK;
}

int tfk_cuda_set_device(int device) {
    TFK_CUDA_CHECK(cudaSetDevice(device));
    return TFK_OK;
}

int tfk_cuda_pointer_device(const void * ptr, int * device) {
    if (ptr == nullptr || device == nullptr) return TFK_ERR_NULL;
    cudaPointerAttributes attr{};
    const cudaError_t e = cudaPointerGetAttributes(&attr, ptr);
    if (e == cudaErrorInvalidValue) {  // runtimes before CUDA 11: a pointer CUDA does not know
        (void) cudaGetLastError();
        return TFK_ERR_BAD_ARG;
    }
    TFK_CUDA_CHECK(e);
    if (attr.type != cudaMemoryTypeDevice && attr.type != cudaMemoryTypeManaged) return TFK_ERR_BAD_ARG;
    *device = attr.device;
    return TFK_OK;
}

} // extern "C"

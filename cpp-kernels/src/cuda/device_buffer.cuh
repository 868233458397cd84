// Internal: RAII device scratch for the .cu files (not part of the API).
#pragma once

#include "tfkernels.h"
#include "cuda/cuda_check.cuh"

#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

namespace tfk {
namespace detail {

// A move-only buffer of n elements of T in device memory, allocated on a stream. Stream-ordered
// (cudaMallocAsync/cudaFreeAsync) so that freeing it right after a launch is safe without waiting;
// when memory pools are unavailable, alloc() falls back to cudaMalloc, and then the stream is
// synchronized before cudaFree (the kernels may still be reading it).
// release() reports a failed free. The destructor frees silently: it only runs unreleased on paths
// that already return an error, so it neither overwrites the error recorded for tfk_cuda_last_error
// nor leaves its own in cudaGetLastError for a later launch check to pick up.
template <typename T>
class DeviceBuffer {
public:
    explicit DeviceBuffer(cudaStream_t s) noexcept : s_(s) {}
    ~DeviceBuffer() { discard(); }

    DeviceBuffer(const DeviceBuffer &) = delete;
    DeviceBuffer & operator=(const DeviceBuffer &) = delete;
    DeviceBuffer(DeviceBuffer && o) noexcept
        : s_(o.s_), p_(std::exchange(o.p_, nullptr)), async_(o.async_) {}
    DeviceBuffer & operator=(DeviceBuffer && o) noexcept {
        if (this != &o) {
            discard();
            s_ = o.s_;
            p_ = std::exchange(o.p_, nullptr);
            async_ = o.async_;
        }
        return *this;
    }

    // Stream-ordered allocation only: false (the error cleared, nothing recorded) when memory pools
    // are unavailable, for callers that have a path without scratch.
    bool try_alloc_async(size_t n) noexcept {
        discard();
        void * p = nullptr;
        if (cudaMallocAsync(&p, n * sizeof(T), s_) != cudaSuccess) {
            (void) cudaGetLastError();
            return false;
        }
        p_ = static_cast<T *>(p);
        async_ = true;
        return true;
    }

    // Stream-ordered allocation, else a plain cudaMalloc. Returns TFK_OK or a CUDA status.
    int alloc(size_t n) noexcept {
        if (try_alloc_async(n)) return TFK_OK;
        void * p = nullptr;
        TFK_CUDA_CHECK(cudaMalloc(&p, n * sizeof(T)));
        p_ = static_cast<T *>(p);
        async_ = false;
        return TFK_OK;
    }

    // Frees now (stream-ordered where possible). Returns TFK_OK or a CUDA status.
    int release() noexcept {
        TFK_CUDA_CHECK(free_now());
        return TFK_OK;
    }

    T * get() const noexcept { return p_; }

private:
    void discard() noexcept {
        if (free_now() != cudaSuccess) (void) cudaGetLastError();
    }

    cudaError_t free_now() noexcept {
        if (p_ == nullptr) return cudaSuccess;
        void * p = std::exchange(p_, nullptr);
        if (async_) return cudaFreeAsync(p, s_);
        const cudaError_t e = cudaStreamSynchronize(s_);  // free only after the kernels that use it
        const cudaError_t e2 = cudaFree(p);
        return e != cudaSuccess ? e : e2;
    }

    cudaStream_t s_ = nullptr;
    T * p_ = nullptr;
    bool async_ = true;
};

} // namespace detail
} // namespace tfk

// Internal to libtokenflow: device memory an object keeps for kernel outputs (tfkernels' CUDA helpers), grown on
// demand and freed with its owner.
#ifndef TOKENFLOW_CUDA_SCRATCH_H
#define TOKENFLOW_CUDA_SCRATCH_H

#include "tfkernels.h"

#include <cstddef>

namespace tfi {

struct cuda_scratch {
    void * ptr = nullptr;
    size_t bytes = 0;

    // At least n bytes on the current CUDA device; returns a tfkernels status (the old buffer is kept when n fits).
    int reserve(size_t n) {
        if (n <= bytes) return TFK_OK;
        if (ptr != nullptr) tfk_cuda_free(ptr);
        ptr = nullptr;
        bytes = 0;
        const int rc = tfk_cuda_malloc(&ptr, n);
        if (rc == TFK_OK) bytes = n;
        return rc;
    }
    cuda_scratch() = default;
    cuda_scratch(const cuda_scratch &) = delete;
    cuda_scratch & operator=(const cuda_scratch &) = delete;
    ~cuda_scratch() {
        if (ptr != nullptr) tfk_cuda_free(ptr);
    }
};

} // namespace tfi

#endif

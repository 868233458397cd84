// Internal: CUDA error bookkeeping shared by the .cu files (not part of the API).
#pragma once

#include <cuda_runtime.h>

namespace tfk {
namespace detail {

// Records a failed CUDA call (for tfk_cuda_last_error) and maps it to a status; never aborts.
// Defined in topk.cu.
int cuda_fail(cudaError_t e);

} // namespace detail
} // namespace tfk

#define TFK_CUDA_CHECK(expr)                                                  \
    do {                                                                      \
        const cudaError_t tfk_err_ = (expr);                                  \
        if (tfk_err_ != cudaSuccess) return ::tfk::detail::cuda_fail(tfk_err_); \
    } while (0)

// tfkernels.h - the one public header of tfkernels, tokenflow's compute kernels.
//
// Conventions (see cpp-kernels/README.md):
//   - plain pointers + shapes + strides; no llama.cpp / ggml types;
//   - every kernel has a scalar reference (`*_ref`), an optimized CPU version (`*_cpu`) and a CUDA
//     twin (`*_cuda`) with the same leading parameters and exactly the same results;
//   - every entry point returns a tfk_status (0 or a negative code); nothing aborts, throws or prints;
//   - the extern "C" entries (tfk_*) are what Java binds to; namespace tfk is the C++ API.
//
// The C part of this header also compiles as C99.
#ifndef TFKERNELS_H
#define TFKERNELS_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#  if defined(TFK_BUILDING_LIBRARY)
#    define TFK_API __declspec(dllexport)
#  else
#    define TFK_API __declspec(dllimport)
#  endif
#else
#  define TFK_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

// Status codes returned by every entry point.
enum tfk_status {
    TFK_OK             =  0,
    TFK_ERR_BAD_K      = -1, // k < 1, k > TFK_TOPK_MAX_K or k > n_cols
    TFK_ERR_NULL       = -2, // a required pointer is NULL
    TFK_ERR_BAD_SHAPE  = -3, // n_rows < 0, n_cols < 1, n_cols > INT32_MAX, or the extent overflows int64
    TFK_ERR_BAD_STRIDE = -4, // row_stride < n_cols
    TFK_ERR_NO_CUDA    = -5, // built without CUDA (TF_CUDA=OFF), or no usable CUDA driver/device
    TFK_ERR_CUDA       = -6, // a CUDA call failed; tfk_cuda_last_error() says which error
    TFK_ERR_NO_MEMORY  = -7, // a host allocation failed
    TFK_ERR_INTERNAL   = -8, // unexpected exception caught at the API boundary (a bug)
};

// Largest k the top-k kernels accept.
#define TFK_TOPK_MAX_K 64

// Short English text for a status code (static storage; never NULL).
TFK_API const char * tfk_status_str(int status);

// ---------------------------------------------------------------------------------------------
// Top-k over logit rows.
//
// For each row r in [0, n_rows), selects the k largest of logits[r*row_stride + c], c in [0, n_cols),
// and writes them sorted in descending order:
//   out_ids [r*k + i] = column of the i-th largest value (0-based, < n_cols)
//   out_vals[r*k + i] = that value, copied bit for bit (NaN payloads and the sign of zero survive)
//
// Order (a strict total order, so every implementation returns identical results):
//   - larger value first, compared as IEEE floats: +inf first, -inf after every finite value;
//   - -0.0 and +0.0 are equal;
//   - NaN (any sign or payload) is smaller than every number, -inf included: a NaN is selected only
//     when a row has fewer than k non-NaN values;
//   - equal values (and NaN vs NaN): the smaller column index first.
//
// Parameters (shared by every top-k entry point below):
//   logits     [in]  first element of row 0; row r starts at logits + r*row_stride. Host memory for
//                    *_ref/*_cpu, device (or managed) memory for *_cuda. Never written.
//   n_rows     [in]  number of rows, >= 0 (0 is a no-op that still validates the arguments)
//   n_cols     [in]  values per row, 1 .. INT32_MAX (the kernels target up to ~256k)
//   row_stride [in]  distance between row starts, in elements (not bytes), >= n_cols. Elements
//                    between n_cols and row_stride are never read.
//   k          [in]  how many to keep per row, 1 .. min(TFK_TOPK_MAX_K, n_cols)
//   out_ids    [out] n_rows*k int32, row-major, contiguous; same memory kind as logits
//   out_vals   [out] n_rows*k float, row-major, contiguous; same memory kind as logits
//   n_threads  [in]  CPU threads to use; <= 0 means std::thread::hardware_concurrency(). Threads are
//                    started per call and joined before it returns; inputs under ~512k values per
//                    extra thread use fewer threads than asked (start-up would cost more than the scan).
//   stream     [in]  cudaStream_t to enqueue on, passed as void* (NULL: the legacy default stream)
//
// Outputs must not overlap logits. On an error return nothing has been written. All entry points
// are reentrant. Arguments are validated in this order: pointers, shape, stride, k.
// ---------------------------------------------------------------------------------------------

// Optimized CPU top-k (tfk::topk_cpu). This is the entry Java calls.
TFK_API int tfk_topk_f32(const float * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride,
                         int k, int32_t * out_ids, float * out_vals, int n_threads);

// Scalar reference top-k (tfk::topk_ref): slow, obviously correct; the oracle for tests.
TFK_API int tfk_topk_ref_f32(const float * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride,
                             int k, int32_t * out_ids, float * out_vals);

// CUDA top-k (tfk::topk_cuda) on device pointers. Asynchronous: returns once the work is enqueued
// on `stream`; synchronize before reading the outputs (errors raised while the kernel runs show up
// there). Returns TFK_ERR_NO_CUDA when built without CUDA or when no CUDA device is usable.
TFK_API int tfk_topk_cuda_f32(const float * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride,
                              int k, int32_t * out_ids, float * out_vals, void * stream);

// ---------------------------------------------------------------------------------------------
// CUDA helpers. All return TFK_ERR_NO_CUDA when built without CUDA.
// ---------------------------------------------------------------------------------------------

// 1 if built with CUDA and at least one CUDA device is usable, else 0. Never fails.
TFK_API int tfk_cuda_available(void);

// Text of the last CUDA error seen by this thread inside tfkernels ("" if none; a fixed note when
// built without CUDA). Static storage; never NULL.
TFK_API const char * tfk_cuda_last_error(void);

// Device memory helpers, so callers without the CUDA headers (Java, the tests) can stage data.
TFK_API int tfk_cuda_malloc(void ** ptr, size_t bytes);                        // *ptr = NULL on error
TFK_API int tfk_cuda_free(void * ptr);                                         // NULL is fine
TFK_API int tfk_cuda_memcpy_h2d(void * dst, const void * src, size_t bytes);  // synchronous
TFK_API int tfk_cuda_memcpy_d2h(void * dst, const void * src, size_t bytes);  // synchronous
TFK_API int tfk_cuda_synchronize(void * stream);                               // NULL: default stream

#ifdef __cplusplus
} // extern "C"

namespace tfk {

constexpr int kTopkMaxK = TFK_TOPK_MAX_K;

// Top-k over logit rows; parameters and semantics as documented above tfk_topk_f32.
TFK_API int topk_ref (const float * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride,
                      int k, int32_t * out_ids, float * out_vals) noexcept;
TFK_API int topk_cpu (const float * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride,
                      int k, int32_t * out_ids, float * out_vals, int n_threads) noexcept;
TFK_API int topk_cuda(const float * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride,
                      int k, int32_t * out_ids, float * out_vals, void * stream) noexcept;

// Same as tfk_cuda_available() != 0.
TFK_API bool cuda_available() noexcept;

} // namespace tfk
#endif // __cplusplus

#endif // TFKERNELS_H

#include "tfkernels.h"

extern "C" const char * tfk_status_str(int status) {
    switch (status) {
        case TFK_OK:             return "ok";
        case TFK_ERR_BAD_K:      return "bad k (need 1 <= k <= min(64, n_cols))";
        case TFK_ERR_NULL:       return "null pointer argument";
        case TFK_ERR_BAD_SHAPE:  return "bad shape (a count out of range, e.g. n_rows < 0 or n_cols < 1, or extent overflow)";
        case TFK_ERR_BAD_STRIDE: return "bad stride (smaller than the data it spans, e.g. row_stride < n_cols, or misaligned)";
        case TFK_ERR_NO_CUDA:    return "CUDA not available (built without CUDA or no usable device)";
        case TFK_ERR_CUDA:       return "CUDA call failed (see tfk_cuda_last_error)";
        case TFK_ERR_NO_MEMORY:  return "out of host memory";
        case TFK_ERR_INTERNAL:   return "internal error";
        case TFK_ERR_BAD_TREE:   return "bad tree (need parents[0] == -1 and 0 <= parents[i] < i)";
        case TFK_ERR_BAD_TOKEN:  return "bad token (a tree token outside [0, n_vocab))";
        case TFK_ERR_BAD_SAMPLING: return "bad sampling parameters (temperature not finite, top_p/min_p NaN, or a uniform outside [0, 1))";
        case TFK_ERR_BAD_LOGITS: return "bad logits (a sampled row has no finite maximum)";
        case TFK_ERR_BAD_ARG:    return "bad argument (head ratio, dtype, mode, scale, window, kernel, pointer alignment or kind)";
        default:                 return "unknown status";
    }
}

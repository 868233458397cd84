// libtokenflow: tfkernels entry points exposed through the facade's error convention.
#include "tokenflow.h"
#include "facade_internal.h"

#include "tfkernels.h"

#include <string>

extern "C" {

int32_t tf_topk_f32(const float * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride, int32_t k,
                    int32_t * out_ids, float * out_vals, int32_t n_threads) {
    const int rc = tfk_topk_f32(logits, n_rows, n_cols, row_stride, k, out_ids, out_vals, n_threads);
    if (rc != 0) return tfi::fail(TF_ERR_ARG, "topk: bad arguments (code " + std::to_string(rc) + ")");
    return TF_OK;
}

} // extern "C"

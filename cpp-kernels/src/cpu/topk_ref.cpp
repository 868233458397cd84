// Scalar reference top-k: a partial sort of (value, column) pairs. Deliberately written with plain
// float compares instead of the integer keys the fast versions use, so tests compare two
// independent encodings of the same order.
#include "tfkernels.h"
#include "common/topk_common.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <vector>

namespace tfk {
namespace {

struct Item {
    float   v;
    int32_t col;
};

// API order: non-NaN before NaN, larger value first (-0 == +0), then smaller column.
bool before(const Item & a, const Item & b) {
    const bool a_nan = std::isnan(a.v);
    const bool b_nan = std::isnan(b.v);
    if (a_nan != b_nan) return b_nan;
    if (!a_nan && a.v != b.v) return a.v > b.v;
    return a.col < b.col;
}

} // namespace

int topk_ref(const float * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride, int k,
             int32_t * out_ids, float * out_vals) noexcept {
    const int rc = detail::topk_validate(logits, n_rows, n_cols, row_stride, k, out_ids, out_vals);
    if (rc != TFK_OK) return rc;
    try {
        std::vector<Item> items(static_cast<size_t>(n_cols));
        for (int64_t r = 0; r < n_rows; ++r) {
            const float * row = logits + r * row_stride;
            for (int64_t c = 0; c < n_cols; ++c) items[c] = Item{row[c], static_cast<int32_t>(c)};
            std::partial_sort(items.begin(), items.begin() + k, items.end(), before);
            for (int i = 0; i < k; ++i) {
                out_ids[r * k + i] = items[i].col;
                std::memcpy(&out_vals[r * k + i], &row[items[i].col], sizeof(float));  // exact bits
            }
        }
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
    return TFK_OK;
}

} // namespace tfk

extern "C" int tfk_topk_ref_f32(const float * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride,
                                int k, int32_t * out_ids, float * out_vals) {
    return tfk::topk_ref(logits, n_rows, n_cols, row_stride, k, out_ids, out_vals);
}

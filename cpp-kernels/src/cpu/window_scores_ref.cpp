// Scalar references of the KV-cache scoring kernels (the test oracles): window_scores in double
// precision with the software binary16 conversion, window aggregation by full sorts, pooling by
// direct sums. Plain loops, obviously correct, slow.
#include "tfkernels.h"
#include "common/kv_common.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <new>
#include <vector>

namespace tfk {
namespace {

// Descending, NaN after every number (a strict weak order even with NaN, so std::sort is safe).
bool greater_nan_last(float a, float b) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
    return a > b;
}

} // namespace

int window_scores_ref(const tfk_attn_view * v, float * out, int accumulate) noexcept {
    detail::AttnTypes ty{};
    const int rc = detail::attn_validate(v, out, &ty);
    if (rc != TFK_OK) return rc;
    try {
        const int64_t d = v->head_dim, n_kv = v->n_kv, group = v->n_head / v->n_head_kv;
        const double scale = static_cast<double>(v->scale);
        const double neg_inf = -std::numeric_limits<double>::infinity();
        std::vector<double> acc(static_cast<size_t>(v->n_head * n_kv), 0.0);
        std::vector<double> logit(static_cast<size_t>(n_kv));
        std::vector<double> qd(static_cast<size_t>(d));
        const unsigned char * q = static_cast<const unsigned char *>(v->q);
        const unsigned char * k = static_cast<const unsigned char *>(v->k);
        const unsigned char * mask = static_cast<const unsigned char *>(v->mask);

        for (int64_t h = 0; h < v->n_head; ++h) {
            const int64_t g = h / group;
            for (int64_t r = 0; r < v->n_rows; ++r) {
                const unsigned char * qr = q + r * v->q_row_stride + h * v->q_head_stride;
                for (int64_t i = 0; i < d; ++i) qd[i] = detail::load_elem(qr, ty.q, i);
                double m = neg_inf;
                for (int64_t j = 0; j < n_kv; ++j) {
                    const unsigned char * kj = k + j * v->k_cell_stride + g * v->k_head_stride;
                    double dot = 0.0;
                    for (int64_t i = 0; i < d; ++i) dot += qd[i] * static_cast<double>(detail::load_elem(kj, ty.k, i));
                    double l = scale * dot;
                    if (mask != nullptr) l += static_cast<double>(detail::load_elem(mask + r * v->mask_row_stride, ty.mask, j));
                    logit[j] = l;
                    m = std::max(m, l);
                }
                if (m == neg_inf) continue;  // fully masked row: contributes nothing
                double sum = 0.0;
                for (int64_t j = 0; j < n_kv; ++j) {
                    logit[j] = std::exp(logit[j] - m);  // exp(-inf) == 0
                    sum += logit[j];
                }
                double * a = acc.data() + h * n_kv;
                for (int64_t j = 0; j < n_kv; ++j) a[j] += logit[j] / sum;
            }
        }
        for (size_t i = 0; i < acc.size(); ++i)
            out[i] = accumulate ? static_cast<float>(static_cast<double>(out[i]) + acc[i]) : static_cast<float>(acc[i]);
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
    return TFK_OK;
}

int window_aggregate_ref(const float * scores, int64_t n_head, int64_t n_tokens, int64_t row_stride, int w, int mode,
                         float * out) noexcept {
    const int rc = detail::aggregate_validate(scores, n_head, n_tokens, row_stride, w, mode, out);
    if (rc != TFK_OK) return rc;
    try {
        const int64_t n_win = detail::n_windows(n_tokens, w);
        std::vector<float> vals;
        std::vector<float> res(static_cast<size_t>(n_win));
        for (int64_t m = 0; m < n_win; ++m) {
            const int64_t lo = m * w, hi = std::min<int64_t>(lo + w, n_tokens), len = hi - lo;
            const int64_t t = std::min<int64_t>(std::max(1, w / 2), len);
            double total = 0.0;
            for (int64_t h = 0; h < n_head; ++h) {
                const float * row = scores + h * row_stride;
                double head = 0.0;
                if (mode == TFK_WINDOW_AVG) {
                    for (int64_t j = lo; j < hi; ++j) head += static_cast<double>(row[j]);
                } else {
                    vals.assign(row + lo, row + hi);
                    std::sort(vals.begin(), vals.end(), greater_nan_last);
                    for (int64_t i = 0; i < t; ++i) head += static_cast<double>(vals[i]);  // largest first
                    head /= static_cast<double>(t);
                }
                total += head;
            }
            const double div = mode == TFK_WINDOW_AVG ? static_cast<double>(n_head) * static_cast<double>(len)
                                                      : static_cast<double>(n_head);
            res[m] = static_cast<float>(total / div);
        }
        std::copy(res.begin(), res.end(), out);
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
    return TFK_OK;
}

int pool1d_ref(const float * in, int64_t n, int kernel, int mode, float * out) noexcept {
    const int rc = detail::pool_validate(in, n, kernel, mode, out);
    if (rc != TFK_OK) return rc;
    const int64_t half = kernel / 2;
    for (int64_t i = 0; i < n; ++i) {
        const int64_t lo = std::max<int64_t>(0, i - half), hi = std::min<int64_t>(n - 1, i + half);
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
    return TFK_OK;
}

} // namespace tfk

extern "C" {

int tfk_window_scores_ref(const tfk_attn_view * v, float * out, int accumulate) {
    return tfk::window_scores_ref(v, out, accumulate);
}

int tfk_window_aggregate_ref(const float * scores, int64_t n_head, int64_t n_tokens, int64_t row_stride, int w,
                             int mode, float * out) {
    return tfk::window_aggregate_ref(scores, n_head, n_tokens, row_stride, w, mode, out);
}

int tfk_pool1d_ref(const float * in, int64_t n, int kernel, int mode, float * out) {
    return tfk::pool1d_ref(in, n, kernel, mode, out);
}

} // extern "C"

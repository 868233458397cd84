// Scalar references of the sparse-attention scoring kernels (the test oracles): TidalDecode's
// per-key-head token scores and TokenSelect's soft-vote scores, in double precision with the
// software binary16 conversion, each output rounded to float once. Also the selection-cache
// helpers query_cosine / query_copy (host only, one version each). Plain loops, obviously correct, slow.
#include "tfkernels.h"
#include "common/sparse_common.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <new>
#include <vector>

namespace tfk {
namespace {

// Logit l[j] = scale * dot(q[r,h,:], k[j,g,:]) + mask[r][j] for all cells j, in double (the products
// of floats are exact in double; the dot product is summed in dimension order).
void logits_ref(const tfk_attn_view & v, const detail::AttnTypes & ty, int64_t r, int64_t h, int64_t g,
                std::vector<double> & qd, std::vector<double> & l) {
    const int64_t d = v.head_dim;
    const unsigned char * qr = static_cast<const unsigned char *>(v.q) + r * v.q_row_stride + h * v.q_head_stride;
    const unsigned char * k = static_cast<const unsigned char *>(v.k);
    const unsigned char * mrow = v.mask != nullptr ? static_cast<const unsigned char *>(v.mask) + r * v.mask_row_stride
                                                   : nullptr;
    for (int64_t i = 0; i < d; ++i) qd[i] = detail::load_elem(qr, ty.q, i);
    const double scale = static_cast<double>(v.scale);
    for (int64_t j = 0; j < v.n_kv; ++j) {
        const unsigned char * kj = k + j * v.k_cell_stride + g * v.k_head_stride;
        double dot = 0.0;
        for (int64_t i = 0; i < d; ++i) dot += qd[i] * static_cast<double>(detail::load_elem(kj, ty.k, i));
        double x = scale * dot;
        if (mrow != nullptr) x += static_cast<double>(detail::load_elem(mrow, ty.mask, j));
        l[j] = x;
    }
}

} // namespace

int tidal_scores_ref(const tfk_attn_view * v, float * out) noexcept {
    detail::AttnTypes ty{};
    const int rc = detail::sparse_validate(v, out, true, &ty);
    if (rc != TFK_OK) return rc;
    try {
        const int64_t n_kv = v->n_kv, group = v->n_head / v->n_head_kv;
        std::vector<double> qd(static_cast<size_t>(v->head_dim)), l(static_cast<size_t>(n_kv));
        std::vector<double> best(static_cast<size_t>(n_kv));
        for (int64_t r = 0; r < v->n_rows; ++r) {
            for (int64_t g = 0; g < v->n_head_kv; ++g) {
                std::fill(best.begin(), best.end(), -std::numeric_limits<double>::infinity());
                for (int64_t h = g * group; h < (g + 1) * group; ++h) {
                    logits_ref(*v, ty, r, h, g, qd, l);
                    for (int64_t j = 0; j < n_kv; ++j) best[j] = std::max(best[j], l[j]);
                }
                float * o = out + (r * v->n_head_kv + g) * n_kv;
                for (int64_t j = 0; j < n_kv; ++j) o[j] = static_cast<float>(best[j]);
            }
        }
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
    return TFK_OK;
}

int tokenselect_scores_ref(const tfk_attn_view * v, float * out) noexcept {
    detail::AttnTypes ty{};
    const int rc = detail::sparse_validate(v, out, false, &ty);
    if (rc != TFK_OK) return rc;
    try {
        const int64_t n_kv = v->n_kv, group = v->n_head / v->n_head_kv;
        const double neg_inf = -std::numeric_limits<double>::infinity();
        std::vector<double> qd(static_cast<size_t>(v->head_dim)), l(static_cast<size_t>(n_kv));
        std::vector<double> acc(static_cast<size_t>(n_kv));
        for (int64_t r = 0; r < v->n_rows; ++r) {
            std::fill(acc.begin(), acc.end(), 0.0);
            for (int64_t h = 0; h < v->n_head; ++h) {
                logits_ref(*v, ty, r, h, h / group, qd, l);
                double m = neg_inf;
                for (int64_t j = 0; j < n_kv; ++j) m = std::max(m, l[j]);
                if (m == neg_inf) continue;  // every cell masked: this head votes for nothing
                double sum = 0.0;
                for (int64_t j = 0; j < n_kv; ++j) {
                    l[j] = std::exp(l[j] - m);  // exp(-inf) == 0
                    sum += l[j];
                }
                for (int64_t j = 0; j < n_kv; ++j) acc[j] += l[j] / sum;
            }
            float * o = out + r * n_kv;
            for (int64_t j = 0; j < n_kv; ++j) o[j] = static_cast<float>(acc[j]);
        }
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
    return TFK_OK;
}

int query_cosine(const tfk_attn_view * v, int64_t row, const float * q_cached, double * out_cos) noexcept {
    detail::AttnTypes ty{};
    const int rc = detail::query_validate(v, row, q_cached, out_cos, &ty);
    if (rc != TFK_OK) return rc;
    const int64_t d = v->head_dim;
    double dot = 0.0, nq = 0.0, nc = 0.0;
    for (int64_t h = 0; h < v->n_head; ++h) {
        const unsigned char * qr = static_cast<const unsigned char *>(v->q) + row * v->q_row_stride + h * v->q_head_stride;
        const float * c = q_cached + h * d;
        for (int64_t i = 0; i < d; ++i) {
            const double a = detail::load_elem(qr, ty.q, i), b = c[i];
            dot += a * b;
            nq += a * a;
            nc += b * b;
        }
    }
    *out_cos = nq > 0.0 && nc > 0.0 ? dot / (std::sqrt(nq) * std::sqrt(nc)) : 0.0;
    return TFK_OK;
}

int query_copy(const tfk_attn_view * v, int64_t row, float * dst) noexcept {
    detail::AttnTypes ty{};
    const int rc = detail::query_validate(v, row, dst, dst, &ty);
    if (rc != TFK_OK) return rc;
    const int64_t d = v->head_dim;
    for (int64_t h = 0; h < v->n_head; ++h) {
        const unsigned char * qr = static_cast<const unsigned char *>(v->q) + row * v->q_row_stride + h * v->q_head_stride;
        for (int64_t i = 0; i < d; ++i) dst[h * d + i] = detail::load_elem(qr, ty.q, i);
    }
    return TFK_OK;
}

} // namespace tfk

extern "C" {

int tfk_tidal_scores_ref(const tfk_attn_view * v, float * out) { return tfk::tidal_scores_ref(v, out); }

int tfk_tokenselect_scores_ref(const tfk_attn_view * v, float * out) { return tfk::tokenselect_scores_ref(v, out); }

int tfk_query_cosine(const tfk_attn_view * v, int64_t row, const float * q_cached, double * out_cos) {
    return tfk::query_cosine(v, row, q_cached, out_cos);
}

int tfk_query_copy(const tfk_attn_view * v, int64_t row, float * dst) { return tfk::query_copy(v, row, dst); }

} // extern "C"

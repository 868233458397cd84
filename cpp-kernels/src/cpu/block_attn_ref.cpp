// Scalar reference of block attention (the test oracle): double precision, max-subtracted softmax over the visible
// keys, each output rounded once. Plain loops, obviously correct, slow.
#include "tfkernels.h"
#include "common/block_common.h"

#include <cmath>
#include <limits>
#include <new>
#include <vector>

namespace tfk {

int block_attn_ref(const tfk_block_view * v, float * out, float * lse) noexcept {
    const int rc = detail::block_validate(v, out, lse);
    if (rc != TFK_OK) return rc;
    try {
        const int64_t d = v->head_dim, dv = v->head_dim_v, group = v->n_head / v->n_head_kv;
        std::vector<double> s(static_cast<size_t>(v->n_kv)), acc(static_cast<size_t>(dv));
        for (int64_t i = 0; i < v->n_q; ++i) {
            const int64_t nv = detail::block_visible(v, i);
            for (int64_t h = 0; h < v->n_head; ++h) {
                const float * q = v->q + i * v->q_row_stride + h * v->q_head_stride;
                const int64_t g = h / group;
                float * o = out + (i * v->n_head + h) * dv;
                if (nv == 0) {
                    for (int64_t c = 0; c < dv; ++c) o[c] = 0.0f;
                    lse[i * v->n_head + h] = -std::numeric_limits<float>::infinity();
                    continue;
                }
                double mx = -std::numeric_limits<double>::infinity();
                for (int64_t j = 0; j < nv; ++j) {
                    const float * k = v->k + j * v->k_row_stride + g * v->k_head_stride;
                    double dot = 0.0;
                    for (int64_t c = 0; c < d; ++c) dot += static_cast<double>(q[c]) * static_cast<double>(k[c]);
                    s[static_cast<size_t>(j)] = static_cast<double>(v->scale) * dot;
                    if (s[static_cast<size_t>(j)] > mx) mx = s[static_cast<size_t>(j)];
                }
                double sum = 0.0;
                for (int64_t c = 0; c < dv; ++c) acc[static_cast<size_t>(c)] = 0.0;
                for (int64_t j = 0; j < nv; ++j) {
                    const double p = std::exp(s[static_cast<size_t>(j)] - mx);
                    sum += p;
                    const float * vr = v->v + j * v->v_row_stride + g * v->v_head_stride;
                    for (int64_t c = 0; c < dv; ++c) acc[static_cast<size_t>(c)] += p * static_cast<double>(vr[c]);
                }
                for (int64_t c = 0; c < dv; ++c) o[c] = static_cast<float>(acc[static_cast<size_t>(c)] / sum);
                lse[i * v->n_head + h] = static_cast<float>(mx + std::log(sum));
            }
        }
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
    return TFK_OK;
}

int attn_merge_cpu(float * out_a, float * lse_a, const float * out_b, const float * lse_b, int64_t n_rows,
                   int64_t dv) noexcept {
    const int rc = detail::merge_validate(out_a, lse_a, out_b, lse_b, n_rows, dv);
    if (rc != TFK_OK) return rc;
    for (int64_t r = 0; r < n_rows; ++r) {
        double wa, wb, l;
        detail::merge_weights(lse_a[r], lse_b[r], &wa, &wb, &l);
        float * a = out_a + r * dv;
        const float * b = out_b + r * dv;
        for (int64_t c = 0; c < dv; ++c) a[c] = static_cast<float>(wa * static_cast<double>(a[c]) + wb * static_cast<double>(b[c]));
        lse_a[r] = static_cast<float>(l);
    }
    return TFK_OK;
}

} // namespace tfk

extern "C" {

int tfk_block_attn_ref(const tfk_block_view * v, float * out, float * lse) { return tfk::block_attn_ref(v, out, lse); }

int tfk_attn_merge(float * out_a, float * lse_a, const float * out_b, const float * lse_b, int64_t n_rows, int64_t dv) {
    return tfk::attn_merge_cpu(out_a, lse_a, out_b, lse_b, n_rows, dv);
}

} // extern "C"

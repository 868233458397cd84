// Optimized CPU versions of the sparse-attention kernels. Portable C++ (no ISA dispatch): the inner
// loops are plain element-wise loops the compiler vectorizes; std::threads split the work.
//
//  - quest_page_meta_cpu: jobs = runs of pages (all key heads of a page in one job, so each cell's
//    K row is read once); per (page, key head) the cells are scanned in ascending order with
//    running min/max over the d dimensions (the reference's comparisons, so results are identical).
//  - quest_page_scores_cpu: see quest_scores_cpu.cpp (compiled per instruction set).
//  - select_topk_cpu: per list, the finite (non -inf, non NaN) values are copied and
//    std::nth_element finds the k-th largest value T; then one ascending scan keeps every value > T
//    and the first (k - #{> T}) values == T. Threads take lists from an atomic counter; each list
//    writes its slot of min(k, n_cols) indices, then the slots are compacted in order (CSR).
#include "tfkernels.h"
#include "common/quest_common.h"
#include "common/jobs.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <limits>
#include <new>
#include <thread>
#include <vector>

namespace tfk {
namespace {

constexpr double kMinWorkPerThread = 262144.0; // element operations below which an extra thread does not pay

int64_t pick_threads(int n_threads, double work, int64_t n_jobs) {
    return detail::pick_threads(n_threads, work, n_jobs, kMinWorkPerThread);
}

using detail::run_jobs;

} // namespace

int quest_page_meta_cpu(const tfk_attn_view * v, int64_t page_size, int64_t page_begin, int64_t page_end, float * mins,
                        float * maxs, int n_threads) noexcept {
    detail::AttnTypes ty{};
    const int rc = detail::quest_meta_validate(v, page_size, page_begin, page_end, mins, maxs, &ty);
    if (rc != TFK_OK) return rc;
    if (page_begin == page_end) return TFK_OK;
    try {
        const float inf = std::numeric_limits<float>::infinity();
        const int64_t d = v->head_dim, n_kv = v->n_kv, hkv = v->n_head_kv;
        const int64_t n_pages = page_end - page_begin;
        const double work = static_cast<double>(n_pages) * static_cast<double>(page_size) * static_cast<double>(hkv * d);
        const int64_t threads = pick_threads(n_threads, work, n_pages);
        const int64_t per_job = std::max<int64_t>(1, n_pages / (threads * 4));
        const int64_t n_jobs = (n_pages + per_job - 1) / per_job;
        std::vector<std::vector<float>> conv(static_cast<size_t>(threads));  // F16 -> F32 rows
        if (ty.k == TFK_F16)
            for (auto & c : conv) c.resize(static_cast<size_t>(d));
        const unsigned char * k = static_cast<const unsigned char *>(v->k);
        const unsigned char * mask = static_cast<const unsigned char *>(v->mask);

        run_jobs(threads, n_jobs, [&](int64_t t, int64_t job) {
            const int64_t pb = page_begin + job * per_job, pe = std::min(page_end, pb + per_job);
            float * row = conv[static_cast<size_t>(t)].data();
            for (int64_t p = pb; p < pe; ++p) {
                const int64_t j0 = p * page_size, j1 = std::min(n_kv, j0 + page_size);
                for (int64_t g = 0; g < hkv; ++g) {
                    float * __restrict__ mn = mins + (p * hkv + g) * d;
                    float * __restrict__ mx = maxs + (p * hkv + g) * d;
                    for (int64_t i = 0; i < d; ++i) {
                        mn[i] = inf;
                        mx[i] = -inf;
                    }
                    for (int64_t j = j0; j < j1; ++j) {
                        if (mask != nullptr && detail::load_elem(mask, ty.mask, j) == -inf) continue;
                        const unsigned char * kj = k + j * v->k_cell_stride + g * v->k_head_stride;
                        const float * x;
                        if (ty.k == TFK_F32) {
                            x = reinterpret_cast<const float *>(kj);  // aligned: validated
                        } else {
                            const uint16_t * h = reinterpret_cast<const uint16_t *>(kj);
                            for (int64_t i = 0; i < d; ++i) row[i] = detail::half_to_float(h[i]);
                            x = row;
                        }
                        for (int64_t i = 0; i < d; ++i) {
                            const float xi = x[i];
                            mn[i] = xi < mn[i] ? xi : mn[i];
                            mx[i] = xi > mx[i] ? xi : mx[i];
                        }
                    }
                }
            }
        });
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
    return TFK_OK;
}

int select_topk_cpu(const float * scores, int64_t n_lists, int64_t n_cols, int64_t row_stride, int64_t k,
                    int64_t * indptr, int32_t * indices, int n_threads) noexcept {
    const int rc = detail::select_validate(scores, n_lists, n_cols, row_stride, k, indptr, indices);
    if (rc != TFK_OK) return rc;
    try {
        const int64_t kk = std::min(k, n_cols);  // slot size per list
        const float neg_inf = -std::numeric_limits<float>::infinity();
        const double work = static_cast<double>(n_lists) * static_cast<double>(n_cols) * 4.0;
        const int64_t threads = pick_threads(n_threads, work, std::max<int64_t>(1, n_lists));
        std::vector<std::vector<float>> vals(static_cast<size_t>(threads));
        for (auto & w : vals) w.resize(static_cast<size_t>(n_cols));
        std::vector<int64_t> count(static_cast<size_t>(n_lists));

        run_jobs(threads, n_lists, [&](int64_t t, int64_t l) {
            const float * s = scores + l * row_stride;
            int32_t * slot = indices + l * kk;
            float * w = vals[static_cast<size_t>(t)].data();
            int64_t n = 0;
            for (int64_t c = 0; c < n_cols; ++c) {
                const float x = s[c];
                w[n] = x;
                n += (x == x && x != neg_inf) ? 1 : 0;  // branch-free compaction of the qualifying values
            }
            int64_t m = 0;
            if (n <= k) {  // every qualifying entry
                for (int64_t c = 0; c < n_cols; ++c) {
                    const float x = s[c];
                    if (x == x && x != neg_inf) slot[m++] = static_cast<int32_t>(c);
                }
            } else {
                std::nth_element(w, w + (k - 1), w + n, std::greater<float>());
                const float T = w[k - 1];
                int64_t gt = 0;
                for (int64_t i = 0; i < k - 1; ++i) gt += w[i] > T ? 1 : 0;
                int64_t eq_left = k - gt;  // values == T to take, lowest columns first
                for (int64_t c = 0; c < n_cols && m < k; ++c) {
                    const float x = s[c];
                    if (x > T) {
                        slot[m++] = static_cast<int32_t>(c);
                    } else if (x == T && eq_left > 0) {
                        slot[m++] = static_cast<int32_t>(c);
                        --eq_left;
                    }
                }
            }
            count[static_cast<size_t>(l)] = m;
        });
        // CSR: compact the slots in list order (destinations never pass their sources).
        indptr[0] = 0;
        for (int64_t l = 0; l < n_lists; ++l) {
            const int64_t c = count[static_cast<size_t>(l)];
            if (indptr[l] != l * kk && c > 0)
                std::memmove(indices + indptr[l], indices + l * kk, static_cast<size_t>(c) * sizeof(int32_t));
            indptr[l + 1] = indptr[l] + c;
        }
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
    return TFK_OK;
}

} // namespace tfk

extern "C" {

int tfk_quest_page_meta(const tfk_attn_view * v, int64_t page_size, int64_t page_begin, int64_t page_end, float * mins,
                        float * maxs, int n_threads) {
    return tfk::quest_page_meta_cpu(v, page_size, page_begin, page_end, mins, maxs, n_threads);
}

int tfk_quest_page_scores(const tfk_attn_view * v, const float * mins, const float * maxs, int64_t page_size,
                          int64_t n_pages, float * out, int n_threads) {
    return tfk::quest_page_scores_cpu(v, mins, maxs, page_size, n_pages, out, n_threads);
}

int tfk_select_topk(const float * scores, int64_t n_lists, int64_t n_cols, int64_t row_stride, int64_t k,
                    int64_t * indptr, int32_t * indices, int n_threads) {
    return tfk::select_topk_cpu(scores, n_lists, n_cols, row_stride, k, indptr, indices, n_threads);
}

} // extern "C"

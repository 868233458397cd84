// Optimized CPU versions of the sparse-attention scoring kernels (TidalDecode, TokenSelect).
//
// Portable C++ (no intrinsics, no ISA dispatch): the hot loop is written across a tile of kTile
// cells so the compiler vectorises it with whatever the build targets (SSE2 on the x86-64 baseline).
// Shared structure: K is read tile by tile (kTile cells of one key head), converted to double and
// transposed once (kt[i][c]), then reused by every query head of the key head's group that the job
// covers; a dot product is q[i] * kt[i][c] summed over i in dimension order, in double. Products of
// two floats are exact in double, so the logits scale*dot + mask are the reference's, up to the
// order of the double additions (here the same order: i ascending).
//
// tidal_scores: jobs = (row, key head, block of kCellBlock cells); each writes its own part of out:
//   the max over the group's query heads of the logit, rounded to float once.
// tokenselect_scores: jobs = (row, run of query heads of one key head); a job computes its heads'
//   logits over all n_kv cells into a double buffer (nh * n_kv * 8 bytes per thread), softmaxes
//   each head (max-subtracted, std::exp in double, 1/sum) and writes the sum over its heads of the
//   probabilities (double, rounded to float) into its own row of a partial buffer. The partials of
//   a row are then added in job order (double, rounded once), so the result does not depend on how
//   threads pick jobs. Rows are processed in batches that keep the partials under ~64 MiB.
// Jobs are taken from an atomic counter by std::threads started per call.
#include "tfkernels.h"
#include "common/jobs.h"
#include "common/sparse_common.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <thread>
#include <vector>

namespace tfk {
namespace {

constexpr int64_t kTile = 16;          // cells per K tile
constexpr int64_t kCellBlock = 1024;   // tidal: cells per job (a multiple of kTile)
// Below this much work (multiply-adds, ~8 per softmax element) per extra thread, starting and
// joining the thread costs more than it saves (as in window_scores_cpu).
constexpr int64_t kMinWorkPerThread = int64_t(1) << 21;
constexpr int64_t kMaxPartialFloats = int64_t(16) << 20;  // tokenselect partials per batch (64 MiB)

const double kNegInf = -std::numeric_limits<double>::infinity();

int64_t pick_threads(int n_threads, double work, int64_t n_jobs) {
    return detail::pick_threads(n_threads, work, n_jobs, static_cast<double>(kMinWorkPerThread));
}

// Runs fn(job, thread) for job in [0, n_jobs) on `threads` threads (this one included; common/jobs.h).
template <typename Fn>
void parallel_jobs(int64_t n_jobs, int64_t threads, const Fn & fn) {
    detail::run_jobs(threads, n_jobs, [&](int64_t t, int64_t job) { fn(job, t); });
}

// dst[0..n) = elements of dtype t at p, as double.
void convert_row(const unsigned char * p, int32_t t, int64_t n, double * dst) {
    if (t == TFK_F32) {
        for (int64_t i = 0; i < n; ++i) {
            float f;
            std::memcpy(&f, p + 4 * i, sizeof f);
            dst[i] = f;
        }
    } else {
        for (int64_t i = 0; i < n; ++i) dst[i] = detail::load_elem(p, t, i);
    }
}

// kt[i*kTile + c] = k[j0 + c, head at kbase, i] as double for c < nj, 0 for c >= nj.
void fill_kt(const unsigned char * kbase, int64_t cell_stride, int32_t t, int64_t j0, int64_t nj, int64_t d,
             double * kt) {
    for (int64_t c = 0; c < kTile; ++c) {
        if (c < nj) {
            const unsigned char * p = kbase + (j0 + c) * cell_stride;
            if (t == TFK_F32) {
                for (int64_t i = 0; i < d; ++i) {
                    float f;
                    std::memcpy(&f, p + 4 * i, sizeof f);
                    kt[i * kTile + c] = f;
                }
            } else {
                for (int64_t i = 0; i < d; ++i) kt[i * kTile + c] = detail::load_elem(p, t, i);
            }
        } else {
            for (int64_t i = 0; i < d; ++i) kt[i * kTile + c] = 0.0;
        }
    }
}

// o[c] = sum over i (ascending) of q[i] * kt[i][c], c < kTile. The c loop vectorises.
inline void tile_dots(const double * q, int64_t d, const double * kt, double * o) {
    double a[kTile];
    for (int64_t c = 0; c < kTile; ++c) a[c] = 0.0;
    for (int64_t i = 0; i < d; ++i) {
        const double qi = q[i];
        const double * kr = kt + i * kTile;
        for (int64_t c = 0; c < kTile; ++c) a[c] += qi * kr[c];
    }
    for (int64_t c = 0; c < kTile; ++c) o[c] = a[c];
}

} // namespace

int tidal_scores_cpu(const tfk_attn_view * v, float * out, int n_threads) noexcept {
    detail::AttnTypes ty{};
    const int rc = detail::sparse_validate(v, out, true, &ty);
    if (rc != TFK_OK) return rc;
    try {
        if (v->n_rows == 0) return TFK_OK;
        const int64_t d = v->head_dim, n_kv = v->n_kv, n_hkv = v->n_head_kv, group = v->n_head / n_hkv;
        const int64_t n_blocks = (n_kv + kCellBlock - 1) / kCellBlock;
        const int64_t n_jobs = v->n_rows * n_hkv * n_blocks;
        const double work = static_cast<double>(v->n_rows) * static_cast<double>(v->n_head) *
                            static_cast<double>(n_kv) * static_cast<double>(d + 2);
        const int64_t threads = pick_threads(n_threads, work, n_jobs);

        struct Scratch {
            std::vector<double> qd, kt;
        };
        std::vector<Scratch> scratch(static_cast<size_t>(threads));
        for (Scratch & s : scratch) {
            s.qd.resize(static_cast<size_t>(group * d));
            s.kt.resize(static_cast<size_t>(kTile * d));
        }
        const unsigned char * q = static_cast<const unsigned char *>(v->q);
        const unsigned char * k = static_cast<const unsigned char *>(v->k);
        const unsigned char * mask = static_cast<const unsigned char *>(v->mask);
        const double scale = static_cast<double>(v->scale);

        parallel_jobs(n_jobs, threads, [&](int64_t job, int64_t t) {
            const int64_t b = job % n_blocks, rg = job / n_blocks, g = rg % n_hkv, r = rg / n_hkv;
            Scratch & s = scratch[static_cast<size_t>(t)];
            double * qd = s.qd.data();
            double * kt = s.kt.data();
            for (int64_t hi = 0; hi < group; ++hi)
                convert_row(q + r * v->q_row_stride + (g * group + hi) * v->q_head_stride, ty.q, d, qd + hi * d);
            const unsigned char * kbase = k + g * v->k_head_stride;
            const unsigned char * mrow = mask != nullptr ? mask + r * v->mask_row_stride : nullptr;
            float * o = out + (r * n_hkv + g) * n_kv;
            const int64_t jb = b * kCellBlock, je = std::min(n_kv, jb + kCellBlock);
            for (int64_t j0 = jb; j0 < je; j0 += kTile) {
                const int64_t nj = std::min(kTile, je - j0);
                fill_kt(kbase, v->k_cell_stride, ty.k, j0, nj, d, kt);
                double mk[kTile], best[kTile], dots[kTile];
                for (int64_t c = 0; c < kTile; ++c) {
                    mk[c] = mrow != nullptr && c < nj ? static_cast<double>(detail::load_elem(mrow, ty.mask, j0 + c)) : 0.0;
                    best[c] = kNegInf;
                }
                for (int64_t hi = 0; hi < group; ++hi) {
                    tile_dots(qd + hi * d, d, kt, dots);
                    for (int64_t c = 0; c < kTile; ++c) {
                        double x = scale * dots[c];
                        if (mrow != nullptr) x += mk[c];
                        best[c] = std::max(best[c], x);
                    }
                }
                for (int64_t c = 0; c < nj; ++c) o[j0 + c] = static_cast<float>(best[c]);
            }
        });
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
    return TFK_OK;
}

int tokenselect_scores_cpu(const tfk_attn_view * v, float * out, int n_threads) noexcept {
    detail::AttnTypes ty{};
    const int rc = detail::sparse_validate(v, out, false, &ty);
    if (rc != TFK_OK) return rc;
    try {
        if (v->n_rows == 0) return TFK_OK;
        const int64_t d = v->head_dim, n_kv = v->n_kv, n_hkv = v->n_head_kv, group = v->n_head / n_hkv;
        const int64_t ldl = (n_kv + kTile - 1) / kTile * kTile;
        const double work = static_cast<double>(v->n_rows) * static_cast<double>(v->n_head) *
                            static_cast<double>(n_kv) * static_cast<double>(d + 8);
        int64_t threads = pick_threads(n_threads, work, v->n_rows * v->n_head);
        // Jobs per row: every key head's query heads split into `parts` runs, enough for the threads.
        const int64_t parts = std::min(group, std::max<int64_t>(1, (threads + n_hkv * v->n_rows - 1) / (n_hkv * v->n_rows)));
        const int64_t jobs_per_row = n_hkv * parts;
        const int64_t max_nh = (group + parts - 1) / parts;
        const int64_t batch_rows =
            std::max<int64_t>(1, std::min<int64_t>(v->n_rows, kMaxPartialFloats / (jobs_per_row * n_kv)));
        threads = std::min(threads, batch_rows * jobs_per_row);

        // Everything is allocated before any output is written, so an error leaves out untouched.
        struct Scratch {
            std::vector<double> qd, kt, md, x, inv;
        };
        std::vector<Scratch> scratch(static_cast<size_t>(threads));
        for (Scratch & s : scratch) {
            s.qd.resize(static_cast<size_t>(max_nh * d));
            s.kt.resize(static_cast<size_t>(kTile * d));
            s.md.resize(static_cast<size_t>(ldl));
            s.x.resize(static_cast<size_t>(max_nh * ldl));
            s.inv.resize(static_cast<size_t>(max_nh));
        }
        std::vector<float> partial(static_cast<size_t>(batch_rows * jobs_per_row * n_kv));
        const unsigned char * q = static_cast<const unsigned char *>(v->q);
        const unsigned char * k = static_cast<const unsigned char *>(v->k);
        const unsigned char * mask = static_cast<const unsigned char *>(v->mask);
        const double scale = static_cast<double>(v->scale);

        for (int64_t r0 = 0; r0 < v->n_rows; r0 += batch_rows) {
            const int64_t nr = std::min(batch_rows, v->n_rows - r0);
            parallel_jobs(nr * jobs_per_row, threads, [&](int64_t job, int64_t t) {
                const int64_t ri = job / jobs_per_row, jr = job % jobs_per_row, g = jr / parts, p = jr % parts;
                const int64_t r = r0 + ri;
                const int64_t h0 = g * group + group * p / parts, nh = group * (p + 1) / parts - group * p / parts;
                Scratch & s = scratch[static_cast<size_t>(t)];
                double * qd = s.qd.data();
                double * kt = s.kt.data();
                double * md = s.md.data();
                double * x = s.x.data();
                for (int64_t hi = 0; hi < nh; ++hi)
                    convert_row(q + r * v->q_row_stride + (h0 + hi) * v->q_head_stride, ty.q, d, qd + hi * d);
                if (mask != nullptr) convert_row(mask + r * v->mask_row_stride, ty.mask, n_kv, md);
                else std::fill(md, md + n_kv, 0.0);
                std::fill(md + n_kv, md + ldl, kNegInf);  // tile padding: never a maximum, exp gives 0
                const unsigned char * kbase = k + g * v->k_head_stride;
                for (int64_t j0 = 0; j0 < n_kv; j0 += kTile) {
                    fill_kt(kbase, v->k_cell_stride, ty.k, j0, std::min(kTile, n_kv - j0), d, kt);
                    double dots[kTile];
                    for (int64_t hi = 0; hi < nh; ++hi) {
                        tile_dots(qd + hi * d, d, kt, dots);
                        double * xr = x + hi * ldl + j0;
                        for (int64_t c = 0; c < kTile; ++c) {
                            double xc = scale * dots[c];  // not fused with the mask: the reference's rounding
                            xc += md[j0 + c];
                            xr[c] = xc;
                        }
                    }
                }
                // Per head: max-subtracted softmax over the row's cells; heads with every cell masked vote 0.
                double * invp = s.inv.data();
                for (int64_t hi = 0; hi < nh; ++hi) {
                    double * xr = x + hi * ldl;
                    double m = kNegInf;
                    for (int64_t j = 0; j < n_kv; ++j) m = std::max(m, xr[j]);
                    if (m == kNegInf) {
                        invp[hi] = 0.0;
                        std::fill(xr, xr + n_kv, 0.0);
                        continue;
                    }
                    double sum = 0.0;
                    for (int64_t j = 0; j < n_kv; ++j) {
                        xr[j] = std::exp(xr[j] - m);  // exp(-inf) == 0
                        sum += xr[j];
                    }
                    invp[hi] = 1.0 / sum;
                }
                float * po = partial.data() + job * n_kv;
                for (int64_t j = 0; j < n_kv; ++j) {
                    double acc = 0.0;
                    for (int64_t hi = 0; hi < nh; ++hi) acc += x[hi * ldl + j] * invp[hi];
                    po[j] = static_cast<float>(acc);
                }
            });
            for (int64_t ri = 0; ri < nr; ++ri) {
                const float * pr = partial.data() + ri * jobs_per_row * n_kv;
                float * o = out + (r0 + ri) * n_kv;
                for (int64_t j = 0; j < n_kv; ++j) {
                    double acc = 0.0;
                    for (int64_t jr = 0; jr < jobs_per_row; ++jr) acc += static_cast<double>(pr[jr * n_kv + j]);
                    o[j] = static_cast<float>(acc);
                }
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

extern "C" {

int tfk_tidal_scores(const tfk_attn_view * v, float * out, int n_threads) {
    return tfk::tidal_scores_cpu(v, out, n_threads);
}

int tfk_tokenselect_scores(const tfk_attn_view * v, float * out, int n_threads) {
    return tfk::tokenselect_scores_cpu(v, out, n_threads);
}

} // extern "C"

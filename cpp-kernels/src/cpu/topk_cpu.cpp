// Optimized CPU top-k. Per row (or column chunk), two exact strategies:
//  - block maxima (rows wide enough): pass 1 takes the max of each of 4k..512 blocks (SIMD); the
//    k-th largest block max T is a lower bound on the k-th largest value (k blocks each hold a
//    value >= T), so pass 2 revisits only blocks whose max >= T, collects values >= T and sorts
//    those few. Pass 2 reads ~k blocks, mostly from cache.
//  - streaming threshold filter (narrow rows, and the fallback when pass 2 finds too many
//    candidates, e.g. massive ties, or T is -inf): a sorted buffer of the k best so far; AVX2
//    compares reject 32 values per step against the current k-th; the rest are inserted.
// Rows are split across std::threads; with fewer rows than threads, very wide rows are also split
// by columns and the per-chunk top-k lists merged.
//
// Compiled twice (AVX2 and x86-64 baseline) into tfk::TFK_ISA_NS; tfk::topk_cpu and tfk_topk_f32 are
// in isa_dispatch.cpp, which picks a variant at run time (common/isa_ns.h).
#include "tfkernels.h"
#include "common/topk_common.h"
#include "cpu/isa_kernels.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <limits>
#include <new>
#include <thread>
#include <vector>

#if defined(__AVX2__)
#  include <immintrin.h>
#endif

namespace tfk {
namespace TFK_ISA_NS {
namespace {

using detail::key_col;
using detail::key_is_nan;
using detail::make_key;

// Below these sizes a thread costs more to start and join (~50 us measured on a 2-vCPU VM) than
// it saves; tune per machine if threads are cheaper.
constexpr int64_t kMinElemsPerThread = int64_t(1) << 19;
constexpr int64_t kMinColsPerSplit   = int64_t(1) << 18;

// Block-maxima path: about one block per kBlockTarget values, but at least 4k blocks (pass 2 then
// rereads ~1/4 of the row at worst) and at most kMaxBlocks (the selection of T stays cheap);
// blocks hold >= kMinBlock values (a multiple of 32). More than kMaxCand candidates: stream.
constexpr int64_t kBlockTarget   = 256;
constexpr int64_t kMinBlock      = 64;
constexpr int     kMinBlocksPerK = 4;
constexpr int     kMaxBlocks     = 512;
constexpr int     kMaxCand       = 16 * TFK_TOPK_MAX_K;
static_assert(kMinBlocksPerK * TFK_TOPK_MAX_K <= kMaxBlocks, "block arrays too small");

inline uint32_t bits_of(const float * p) {
    uint32_t b;
    std::memcpy(&b, p, sizeof b);
    return b;
}

// keys[0..k) sorted descending; precondition: key > keys[k-1]. Drops the old k-th.
inline void insert_key(uint64_t * keys, int k, uint64_t key) {
    int p = k - 1;
    while (p > 0 && keys[p - 1] < key) {
        keys[p] = keys[p - 1];
        --p;
    }
    keys[p] = key;
}

// Streaming top-k of row[begin, end) into keys[0..k), descending; slots past the length stay 0.
void scan_stream(const float * row, int64_t begin, int64_t end, int k, uint64_t * keys) noexcept {
    std::fill(keys, keys + k, uint64_t(0));
    int64_t j = begin;
    const int64_t fill_end = std::min(end, begin + k);
    for (; j < fill_end; ++j) insert_key(keys, k, make_key(bits_of(row + j), static_cast<uint32_t>(j)));
    if (j >= end) return;

    // Later columns lose ties, so a value equal to the k-th never enters: "x > thr".
    // While the k-th is NaN, any non-NaN value enters.
    float thr     = 0.0f;
    bool  thr_nan = false;
    auto refresh = [&]() {
        thr_nan = key_is_nan(keys[k - 1]);
        thr     = row[key_col(keys[k - 1])];
    };
    auto consider = [&](int64_t c) {
        const uint64_t key = make_key(bits_of(row + c), static_cast<uint32_t>(c));
        if (key > keys[k - 1]) {
            insert_key(keys, k, key);
            refresh();
        }
    };
    refresh();

#if defined(__AVX2__)
    for (; j + 32 <= end; j += 32) {
        const float * p = row + j;
        const __m256 x0 = _mm256_loadu_ps(p);
        const __m256 x1 = _mm256_loadu_ps(p + 8);
        const __m256 x2 = _mm256_loadu_ps(p + 16);
        const __m256 x3 = _mm256_loadu_ps(p + 24);
        __m256 m0, m1, m2, m3;
        if (!thr_nan) {
            const __m256 t = _mm256_set1_ps(thr);
            m0 = _mm256_cmp_ps(x0, t, _CMP_GT_OQ);
            m1 = _mm256_cmp_ps(x1, t, _CMP_GT_OQ);
            m2 = _mm256_cmp_ps(x2, t, _CMP_GT_OQ);
            m3 = _mm256_cmp_ps(x3, t, _CMP_GT_OQ);
        } else {
            m0 = _mm256_cmp_ps(x0, x0, _CMP_ORD_Q);
            m1 = _mm256_cmp_ps(x1, x1, _CMP_ORD_Q);
            m2 = _mm256_cmp_ps(x2, x2, _CMP_ORD_Q);
            m3 = _mm256_cmp_ps(x3, x3, _CMP_ORD_Q);
        }
        uint32_t mask = static_cast<uint32_t>(_mm256_movemask_ps(m0))
                      | static_cast<uint32_t>(_mm256_movemask_ps(m1)) << 8
                      | static_cast<uint32_t>(_mm256_movemask_ps(m2)) << 16
                      | static_cast<uint32_t>(_mm256_movemask_ps(m3)) << 24;
        // The mask used the threshold from before this block; consider() re-checks exactly.
        while (mask != 0) {
            const int b = __builtin_ctz(mask);
            mask &= mask - 1;
            consider(j + b);
        }
    }
#endif
    for (; j < end; ++j) {
        const float x = row[j];
        if (thr_nan ? (x == x) : (x > thr)) consider(j);
    }
}

// Max of the non-NaN values of p[0, n); -inf if there are none.
inline float block_max(const float * p, int64_t n) {
    float m = -std::numeric_limits<float>::infinity();
    int64_t i = 0;
#if defined(__AVX2__)
    if (n >= 32) {
        // max_ps(x, acc) returns acc when x is NaN: NaNs are skipped.
        __m256 a0 = _mm256_set1_ps(m), a1 = a0, a2 = a0, a3 = a0;
        for (; i + 32 <= n; i += 32) {
            a0 = _mm256_max_ps(_mm256_loadu_ps(p + i), a0);
            a1 = _mm256_max_ps(_mm256_loadu_ps(p + i + 8), a1);
            a2 = _mm256_max_ps(_mm256_loadu_ps(p + i + 16), a2);
            a3 = _mm256_max_ps(_mm256_loadu_ps(p + i + 24), a3);
        }
        __m256 a = _mm256_max_ps(_mm256_max_ps(a0, a1), _mm256_max_ps(a2, a3));
        __m128 h = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
        h = _mm_max_ps(h, _mm_movehl_ps(h, h));
        h = _mm_max_ps(h, _mm_shuffle_ps(h, h, 0x55));
        m = _mm_cvtss_f32(h);
    }
#endif
    for (; i < n; ++i)
        if (p[i] > m) m = p[i];
    return m;
}

// Appends keys of the values >= t in p[0, n) (columns col0..) to cand; false if more than kMaxCand.
inline bool collect_ge(const float * p, int64_t n, int64_t col0, float t, uint64_t * cand, int & n_cand) {
    int64_t i = 0;
#if defined(__AVX2__)
    const __m256 tv = _mm256_set1_ps(t);
    for (; i + 8 <= n; i += 8) {
        uint32_t mask = static_cast<uint32_t>(_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(p + i), tv, _CMP_GE_OQ)));
        while (mask != 0) {
            const int b = __builtin_ctz(mask);
            mask &= mask - 1;
            if (n_cand == kMaxCand) return false;
            cand[n_cand++] = make_key(bits_of(p + i + b), static_cast<uint32_t>(col0 + i + b));
        }
    }
#endif
    for (; i < n; ++i) {
        if (p[i] >= t) {
            if (n_cand == kMaxCand) return false;
            cand[n_cand++] = make_key(bits_of(p + i), static_cast<uint32_t>(col0 + i));
        }
    }
    return true;
}

// Block-maxima top-k of row[begin, end) into keys[0..k); false means "use scan_stream".
bool scan_blocks(const float * row, int64_t begin, int64_t end, int k, uint64_t * keys) noexcept {
    const int64_t len = end - begin;
    const int64_t want = std::clamp<int64_t>(len / kBlockTarget, int64_t(kMinBlocksPerK) * k, kMaxBlocks);
    const int64_t bsz  = ((len + want - 1) / want + 31) / 32 * 32;  // rounded up: nb <= want
    if (bsz < kMinBlock || len < bsz * k) return false;            // need nb >= k blocks
    const int nb = static_cast<int>((len + bsz - 1) / bsz);
    float bmax[kMaxBlocks], sorted[kMaxBlocks];
    for (int b = 0; b < nb; ++b) {
        const int64_t lo = begin + b * bsz;
        bmax[b] = sorted[b] = block_max(row + lo, std::min(bsz, end - lo));
    }
    // T = k-th largest block max (nb >= k). -inf may come from all-NaN blocks: no bound then.
    std::nth_element(sorted, sorted + (k - 1), sorted + nb, std::greater<float>());
    const float t = sorted[k - 1];
    if (t == -std::numeric_limits<float>::infinity()) return false;

    uint64_t cand[kMaxCand];
    int n_cand = 0;
    for (int b = 0; b < nb; ++b) {
        if (!(bmax[b] >= t)) continue;
        const int64_t lo = begin + b * bsz;
        if (!collect_ge(row + lo, std::min(bsz, end - lo), lo, t, cand, n_cand)) return false;
    }
    // >= k values >= t guarantee the top k are all >= t, hence among cand; true for a correct t.
    if (n_cand < k) return false;
    // n_cand is usually k + a few: select, then sort only k (partial_sort's heap is slower here).
    if (n_cand > k) std::nth_element(cand, cand + (k - 1), cand + n_cand, std::greater<uint64_t>());
    std::sort(cand, cand + k, std::greater<uint64_t>());
    std::copy(cand, cand + k, keys);
    return true;
}

// Top-k keys of row[begin, end) into keys[0..k), descending; slots past the length are 0.
void scan_range(const float * row, int64_t begin, int64_t end, int k, uint64_t * keys) noexcept {
    if (!scan_blocks(row, begin, end, k, keys)) scan_stream(row, begin, end, k, keys);
}

void write_row(const float * row, const uint64_t * keys, int k, int32_t * ids, float * vals) noexcept {
    for (int i = 0; i < k; ++i) {
        const uint32_t c = key_col(keys[i]);
        ids[i] = static_cast<int32_t>(c);
        std::memcpy(&vals[i], row + c, sizeof(float));  // exact bits
    }
}

} // namespace

int topk_cpu(const float * logits, int64_t n_rows, int64_t n_cols, int64_t row_stride, int k,
             int32_t * out_ids, float * out_vals, int n_threads) noexcept {
    const int rc = detail::topk_validate(logits, n_rows, n_cols, row_stride, k, out_ids, out_vals);
    if (rc != TFK_OK) return rc;
    if (n_rows == 0) return TFK_OK;
    try {
        int64_t threads = n_threads > 0 ? n_threads : std::max(1u, std::thread::hardware_concurrency());
        threads = std::min(threads, std::max<int64_t>(1, n_rows * n_cols / kMinElemsPerThread));
        int64_t splits = 1;  // column chunks per row
        if (n_rows < threads) splits = std::max<int64_t>(1, std::min(threads / n_rows, n_cols / kMinColsPerSplit));
        const int64_t items = n_rows * splits;
        threads = std::min(threads, items);

        // Allocate everything before any output is written, so an error leaves outputs untouched.
        std::vector<uint64_t> scratch(splits > 1 ? static_cast<size_t>(items * k) : 0);
        std::vector<std::thread> pool;
        pool.reserve(static_cast<size_t>(threads - 1));

        auto run_items = [&](int64_t first, int64_t last) noexcept {
            uint64_t keys[TFK_TOPK_MAX_K];
            for (int64_t it = first; it < last; ++it) {
                const int64_t r   = it / splits;
                const int64_t s   = it % splits;
                const float * row = logits + r * row_stride;
                if (splits == 1) {
                    scan_range(row, 0, n_cols, k, keys);
                    write_row(row, keys, k, out_ids + r * k, out_vals + r * k);
                } else {
                    scan_range(row, s * n_cols / splits, (s + 1) * n_cols / splits, k, scratch.data() + it * k);
                }
            }
        };
        for (int64_t t = 1; t < threads; ++t) {
            const int64_t lo = items * t / threads, hi = items * (t + 1) / threads;
            try {
                pool.emplace_back(run_items, lo, hi);
            } catch (...) {  // no thread (system_error, bad_alloc): do its share here
                run_items(lo, hi);
            }
        }
        run_items(0, items / threads);
        for (std::thread & th : pool) th.join();

        if (splits > 1) {
            // Keys are unique per row, so a sort by key is exactly the API order.
            for (int64_t r = 0; r < n_rows; ++r) {
                uint64_t * cand = scratch.data() + r * splits * k;
                std::partial_sort(cand, cand + k, cand + splits * k, std::greater<uint64_t>());
                write_row(logits + r * row_stride, cand, k, out_ids + r * k, out_vals + r * k);
            }
        }
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
    return TFK_OK;
}

} // namespace TFK_ISA_NS
} // namespace tfk

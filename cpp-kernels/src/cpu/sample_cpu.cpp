// Optimized llama.cpp sampler chain (top_k -> top_p -> min_p -> temp -> dist); same results as
// sample_ref.cpp. Differences from the reference are only in how the candidate order is found:
//  - top_k <= 64 uses the block-maximum top-k (tfk::topk_cpu), larger top_k a key selection
//    (nth_element over 64-bit order keys) plus a sort of k entries, instead of a full sort;
//  - top_p on an unsorted row sorts only the 256 best keys (then more if the running sum has not
//    reached top_p), like llama.cpp's adaptive path, instead of the whole row;
//  - until a step shrinks the candidate set, the row itself is the candidate list (no copy).
// The float/double arithmetic (expf, running sums, divisions) is the reference's, in the same order.
#include "tfkernels.h"
#include "common/topk_common.h"
#include "common/sample_top.h"
#include "common/tree_common.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <functional>
#include <new>
#include <vector>

namespace tfk {
namespace {

inline float clean(float x) { return std::isnan(x) ? -INFINITY : x; }

inline uint32_t bits_of(const float * p) {
    uint32_t b;
    std::memcpy(&b, p, sizeof b);
    return b;
}

// The candidate list at some point of the chain: either the whole row in id order ("full", unsorted)
// or explicit (id, logit) pairs, NaN already replaced by -inf.
struct List {
    bool                 full = true;
    bool                 sorted = false;
    std::vector<int32_t> id;
    std::vector<float>   logit;
};

// Largest non-NaN value of the row, -inf if none.
float row_max(const float * row, int64_t n) {
    float m = -INFINITY;
    for (int64_t i = 0; i < n; ++i)
        if (row[i] > m) m = row[i];
    return m;
}

// Fills `l` with the `count` best entries of the row in the tfkernels order, sorted.
int take_top(const float * row, int64_t n_vocab, int64_t count, List & l) {
    l.full = false;
    l.sorted = true;
    l.id.resize(static_cast<size_t>(count));
    l.logit.resize(static_cast<size_t>(count));
    if (count <= TFK_TOPK_MAX_K) {
        const int rc = topk_cpu(row, 1, n_vocab, n_vocab, static_cast<int>(count), l.id.data(), l.logit.data(), 1);
        if (rc != TFK_OK) return rc;
        for (float & x : l.logit) x = clean(x);
        return TFK_OK;
    }
    std::vector<uint64_t> keys(static_cast<size_t>(n_vocab));
    for (int64_t i = 0; i < n_vocab; ++i) keys[i] = detail::make_key(bits_of(row + i), static_cast<uint32_t>(i));
    if (count < n_vocab) std::nth_element(keys.begin(), keys.begin() + (count - 1), keys.end(), std::greater<uint64_t>());
    std::sort(keys.begin(), keys.begin() + count, std::greater<uint64_t>());
    for (int64_t i = 0; i < count; ++i) {
        const int32_t c = static_cast<int32_t>(detail::key_col(keys[i]));
        l.id[i] = c;
        l.logit[i] = clean(row[c]);
    }
    return TFK_OK;
}

// top_p on the whole (unsorted) row: softmax in id order, then the sorted prefix.
void top_p_full(const float * row, int64_t n_vocab, float max_l, float top_p, List & l) {
    std::vector<float> p(static_cast<size_t>(n_vocab));
    float cum_sum = 0.0f;
    for (int64_t i = 0; i < n_vocab; ++i) {
        const float e = expf(clean(row[i]) - max_l);
        p[i] = e;
        cum_sum += e;
    }
    for (float & x : p) x /= cum_sum;

    std::vector<uint64_t> keys(static_cast<size_t>(n_vocab));
    for (int64_t i = 0; i < n_vocab; ++i) keys[i] = detail::make_key(bits_of(row + i), static_cast<uint32_t>(i));
    // Sorted in two stages: the best 256 first; the rest only if the running sum needs them.
    const int64_t first = std::min<int64_t>(256, n_vocab);
    if (first < n_vocab) std::nth_element(keys.begin(), keys.begin() + (first - 1), keys.end(), std::greater<uint64_t>());
    std::sort(keys.begin(), keys.begin() + first, std::greater<uint64_t>());
    float cum = 0.0f;
    int64_t last_idx = n_vocab;
    for (int64_t i = 0; i < n_vocab; ++i) {
        if (i == first) std::sort(keys.begin() + first, keys.end(), std::greater<uint64_t>());
        cum += p[detail::key_col(keys[i])];
        if (cum >= top_p) {
            last_idx = i + 1;
            break;
        }
    }
    l.full = false;
    l.sorted = true;
    l.id.resize(static_cast<size_t>(last_idx));
    l.logit.resize(static_cast<size_t>(last_idx));
    for (int64_t i = 0; i < last_idx; ++i) {
        const int32_t c = static_cast<int32_t>(detail::key_col(keys[i]));
        l.id[i] = c;
        l.logit[i] = clean(row[c]);
    }
}

// top_p on an explicit sorted list.
void top_p_list(float top_p, List & l) {
    const size_t n = l.id.size();
    std::vector<float> p(n);
    const float max_l = l.logit[0];
    float cum_sum = 0.0f;
    for (size_t i = 0; i < n; ++i) {
        const float e = expf(l.logit[i] - max_l);
        p[i] = e;
        cum_sum += e;
    }
    float cum = 0.0f;
    size_t last_idx = n;
    for (size_t i = 0; i < n; ++i) {
        cum += p[i] / cum_sum;
        if (cum >= top_p) {
            last_idx = i + 1;
            break;
        }
    }
    l.id.resize(last_idx);
    l.logit.resize(last_idx);
}

// min_p (min_keep 1). `max_full` is the row maximum (used only for the whole row).
void min_p_step(const float * row, int64_t n_vocab, float max_full, float min_p, List & l) {
    if (l.full) {
        const float max_logit = std::max(-FLT_MAX, max_full);
        const float min_logit = max_logit + logf(min_p);
        std::vector<int32_t> ids;
        std::vector<float> lg;
        for (int64_t i = 0; i < n_vocab; ++i) {
            const float x = clean(row[i]);
            if (x >= min_logit) {
                ids.push_back(static_cast<int32_t>(i));
                lg.push_back(x);
            }
        }
        if (!ids.empty()) {
            l.full = false;  // stays unsorted, in id order
            l.id = std::move(ids);
            l.logit = std::move(lg);
            return;
        }
        // Nothing reaches max + logf(min_p) (min_p > 1): the sorted path keeps the first token.
        (void) take_top(row, n_vocab, 1, l);
        return;
    }
    // Explicit lists are sorted here (only min_p itself leaves an explicit list unsorted).
    const float min_logit = l.logit[0] + logf(min_p);
    size_t i = 1;
    for (; i < l.id.size(); ++i)
        if (l.logit[i] < min_logit) break;
    l.id.resize(i);
    l.logit.resize(i);
}

// temp + dist. Returns the selected position; fills probs (if not null) with dist's final p.
template <class LogitAt>
size_t dist_step(size_t n, bool sorted, LogitAt && logit_at, float temperature, double uniform, std::vector<float> & e,
                 float * probs) {
    if (n == 1) {
        if (probs) probs[0] = 1.0f;
        return 0;
    }
    const bool scale = temperature != 1.0f;
    auto tl = [&](size_t i) { return scale ? logit_at(i) / temperature : logit_at(i); };
    float max_l = tl(0);
    if (!sorted)
        for (size_t i = 1; i < n; ++i) max_l = std::max(max_l, tl(i));
    e.resize(n);
    double sum_cum = 0.0;
    for (size_t i = 0; i < n; ++i) {
        const float p = expf(tl(i) - max_l);
        e[i] = p;
        sum_cum += p;
    }
    const double sum_tgt = sum_cum * uniform;
    double sum_run = 0.0;
    size_t selected = n - 1;
    for (size_t i = 0; i < n; ++i) {
        sum_run += e[i];
        if (sum_run >= sum_tgt) {
            selected = i;
            break;
        }
    }
    if (probs)
        for (size_t i = 0; i < n; ++i) probs[i] = static_cast<float>(e[i] / sum_cum);
    return selected;
}

// The whole chain for temperature > 0. *out_token = chosen token; when ids/probs are given, the
// final candidate list and its probabilities (room for n_vocab entries), count in *out_n.
int chain_cpu(const float * row, int64_t n_vocab, const tfk_sampling_params & sp, double uniform, int32_t * out_token,
              int32_t * ids, float * probs, int32_t * out_n) {
    List l;
    float max_full = 0.0f;
    if (sp.top_k > 0) {
        const int rc = take_top(row, n_vocab, std::min<int64_t>(sp.top_k, n_vocab), l);
        if (rc != TFK_OK) return rc;
        // The first entry is the row maximum (NaN only if the row is all NaN: clean() made it -inf).
        if (!std::isfinite(l.logit[0])) return TFK_ERR_BAD_LOGITS;
    } else {
        max_full = row_max(row, n_vocab);
        if (!std::isfinite(max_full)) return TFK_ERR_BAD_LOGITS;
    }
    if (sp.top_p < 1.0f) {
        if (l.full) top_p_full(row, n_vocab, max_full, sp.top_p, l);
        else top_p_list(sp.top_p, l);
    }
    if (sp.min_p > 0.0f) min_p_step(row, n_vocab, max_full, sp.min_p, l);

    std::vector<float> e;
    size_t sel;
    if (l.full) {
        sel = dist_step(static_cast<size_t>(n_vocab), false, [&](size_t i) { return clean(row[i]); }, sp.temperature,
                        uniform, e, probs);
        *out_token = static_cast<int32_t>(sel);
        if (ids) {
            for (int64_t i = 0; i < n_vocab; ++i) ids[i] = static_cast<int32_t>(i);
            *out_n = static_cast<int32_t>(n_vocab);
        }
    } else {
        const float * lg = l.logit.data();
        sel = dist_step(l.id.size(), l.sorted, [lg](size_t i) { return lg[i]; }, sp.temperature, uniform, e, probs);
        *out_token = l.id[sel];
        if (ids) {
            std::copy(l.id.begin(), l.id.end(), ids);
            *out_n = static_cast<int32_t>(l.id.size());
        }
    }
    return TFK_OK;
}

int argmax_cpu(const float * row, int64_t n_vocab, int32_t * out) {
    float v;
    return topk_cpu(row, 1, n_vocab, n_vocab, 1, out, &v, 1);
}

} // namespace

namespace detail {

// See common/sample_top.h. Each branch is the corresponding part of chain_cpu on data that equals
// what chain_cpu would compute from the whole row.
int sample_from_top(const int32_t * ids, const float * vals, int64_t n_top, int64_t n_vocab,
                    const tfk_sampling_params & sp, double uniform, int32_t * out_token) {
    // The first entry is the row maximum (-inf after clean() only if the row is all NaN): the value
    // chain_cpu checks, whether it comes from take_top or from row_max.
    const float top = clean(vals[0]);
    if (!std::isfinite(top)) return TFK_ERR_BAD_LOGITS;
    if (n_top == n_vocab) {
        // Every token is present: rebuild the row bit for bit in id order and run the whole chain.
        std::vector<float> row(static_cast<size_t>(n_vocab));
        for (int64_t i = 0; i < n_vocab; ++i) row[static_cast<size_t>(ids[i])] = vals[i];
        return chain_cpu(row.data(), n_vocab, sp, uniform, out_token, nullptr, nullptr, nullptr);
    }
    List l;
    l.full = false;
    const int64_t kk = sp.top_k > 0 ? std::min<int64_t>(sp.top_k, n_vocab) : 0;
    if (kk > 0) {
        // top_k: take_top's list is the first kk entries (a prefix of the top-n order).
        if (kk > n_top) return kNeedRow;
        l.sorted = true;
        l.id.assign(ids, ids + kk);
        l.logit.resize(static_cast<size_t>(kk));
        for (int64_t i = 0; i < kk; ++i) l.logit[i] = clean(vals[i]);
        if (sp.top_p < 1.0f) top_p_list(sp.top_p, l);
        if (sp.min_p > 0.0f) min_p_step(nullptr, 0, 0.0f, sp.min_p, l);  // explicit list: row unused
    } else {
        // Only min_p on the whole row is decidable from the best entries: it keeps the tokens with
        // logit >= max + logf(min_p) in id order. When the n_top-th best is below that bound, every
        // token outside the entries is too (it is <= that value, or NaN, i.e. -inf here).
        if (sp.top_p < 1.0f || !(sp.min_p > 0.0f)) return kNeedRow;
        const float max_logit = std::max(-FLT_MAX, top);
        const float min_logit = max_logit + logf(sp.min_p);
        if (!(clean(vals[n_top - 1]) < min_logit)) return kNeedRow;
        std::vector<std::pair<int32_t, float>> kept;
        for (int64_t i = 0; i < n_top; ++i) {
            const float x = clean(vals[i]);
            if (x >= min_logit) kept.emplace_back(ids[i], x);
        }
        if (!kept.empty()) {
            std::sort(kept.begin(), kept.end());  // id order (ids are distinct)
            l.sorted = false;
            for (const auto & kv : kept) {
                l.id.push_back(kv.first);
                l.logit.push_back(kv.second);
            }
        } else {
            // Nothing reaches the bound (min_p > 1): min_p_step's take_top(row, 1) is the argmax.
            l.sorted = true;
            l.id.assign(1, ids[0]);
            l.logit.assign(1, top);
        }
    }
    std::vector<float> e;
    const float * lg = l.logit.data();
    const size_t sel = dist_step(l.id.size(), l.sorted, [lg](size_t i) { return lg[i]; }, sp.temperature, uniform, e,
                                 nullptr);
    *out_token = l.id[sel];
    return TFK_OK;
}

} // namespace detail

int sample_cpu(const float * row, int64_t n_vocab, const tfk_sampling_params * sp, double uniform,
               int32_t * out_token) noexcept {
    int rc = detail::row_validate(row, n_vocab, sp, out_token, out_token, out_token);
    if (rc != TFK_OK) return rc;
    if (!detail::uniform_ok(uniform)) return TFK_ERR_BAD_SAMPLING;
    try {
        int32_t tok = 0;
        rc = sp->temperature <= 0.0f ? argmax_cpu(row, n_vocab, &tok)
                                     : chain_cpu(row, n_vocab, *sp, uniform, &tok, nullptr, nullptr, nullptr);
        if (rc == TFK_OK) *out_token = tok;
        return rc;
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
}

int sampling_probs_cpu(const float * row, int64_t n_vocab, const tfk_sampling_params * sp, int32_t * out_ids,
                       float * out_probs, int32_t * out_n) noexcept {
    int rc = detail::row_validate(row, n_vocab, sp, out_ids, out_probs, out_n);
    if (rc != TFK_OK) return rc;
    try {
        if (sp->temperature <= 0.0f) {
            int32_t tok = 0;
            rc = argmax_cpu(row, n_vocab, &tok);
            if (rc != TFK_OK) return rc;
            out_ids[0] = tok;
            out_probs[0] = 1.0f;
            *out_n = 1;
            return TFK_OK;
        }
        // Computed into scratch so that an error leaves the outputs untouched.
        std::vector<int32_t> ids(static_cast<size_t>(n_vocab));
        std::vector<float> probs(static_cast<size_t>(n_vocab));
        int32_t tok = 0, n = 0;
        rc = chain_cpu(row, n_vocab, *sp, 0.5, &tok, ids.data(), probs.data(), &n);
        if (rc != TFK_OK) return rc;
        std::copy(ids.begin(), ids.begin() + n, out_ids);
        std::copy(probs.begin(), probs.begin() + n, out_probs);
        *out_n = n;
        return TFK_OK;
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
}

} // namespace tfk

extern "C" int tfk_sample_f32(const float * row, int64_t n_vocab, const tfk_sampling_params * sp, double uniform,
                              int32_t * out_token) {
    return tfk::sample_cpu(row, n_vocab, sp, uniform, out_token);
}

extern "C" int tfk_sampling_probs_f32(const float * row, int64_t n_vocab, const tfk_sampling_params * sp,
                                      int32_t * out_ids, float * out_probs, int32_t * out_n) {
    return tfk::sampling_probs_cpu(row, n_vocab, sp, out_ids, out_probs, out_n);
}

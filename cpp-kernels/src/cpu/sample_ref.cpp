// Scalar reference of llama.cpp's sampler chain top_k -> top_p -> min_p -> temp -> dist
// (src/llama-sampler.cpp: llama_sampler_top_k_impl, llama_sampler_top_p_apply,
// llama_sampler_min_p_apply, llama_sampler_temp_impl, llama_sampler_dist_apply), transcribed step by
// step on a materialized candidate array with llama.cpp's `sorted` flag. Wherever llama.cpp sorts
// (fully or partially), this sorts the whole array with std::sort in the tfkernels order and
// truncates: the sequence of values is then the one llama.cpp produces (see the header for ties/NaN).
// Slow and obvious: the oracle for the optimized version.
#include "tfkernels.h"
#include "common/tree_common.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <new>
#include <vector>

namespace tfk {
namespace {

struct Cand {
    int32_t id;
    float   logit;  // NaN replaced by -inf
    bool    nan;    // the original value was NaN (ordered after every number)
    float   p;
};

// tfkernels order: numbers before NaN, larger first (-0 == +0), then the smaller id.
bool before(const Cand & a, const Cand & b) {
    if (a.nan != b.nan) return b.nan;
    if (a.logit != b.logit) return a.logit > b.logit;
    return a.id < b.id;
}

struct Array {
    std::vector<Cand> data;
    bool sorted = false;
    void sort_desc() {
        std::sort(data.begin(), data.end(), before);
        sorted = true;
    }
};

// Greedy pick: the first candidate in the tfkernels order.
int32_t argmax_ref(const float * row, int64_t n_vocab) {
    int32_t best = 0;
    for (int64_t i = 1; i < n_vocab; ++i) {
        const float x = row[i], b = row[best];
        if (!std::isnan(x) && (std::isnan(b) || x > b)) best = static_cast<int32_t>(i);
    }
    return best;
}

// Runs the chain; returns the selected index into a.data (and leaves llama.cpp's dist probabilities
// in a.data[i].p). Precondition: validated params, temperature > 0, finite row maximum.
size_t run_chain(const float * row, int64_t n_vocab, const tfk_sampling_params & sp, double uniform, Array & a) {
    a.data.resize(static_cast<size_t>(n_vocab));
    for (int64_t i = 0; i < n_vocab; ++i) {
        const bool nan = std::isnan(row[i]);
        a.data[i] = Cand{static_cast<int32_t>(i), nan ? -INFINITY : row[i], nan, 0.0f};
    }
    a.sorted = false;

    // top_k
    if (sp.top_k > 0) {
        const size_t k = std::min<size_t>(static_cast<size_t>(sp.top_k), a.data.size());
        a.sort_desc();
        a.data.resize(k);
    }

    // top_p (min_keep 1)
    if (sp.top_p < 1.0f) {
        // llama_sampler_softmax_impl(cur_p, false)
        float max_l = a.data[0].logit;
        if (!a.sorted)
            for (size_t i = 1; i < a.data.size(); ++i) max_l = std::max(max_l, a.data[i].logit);
        float cum_sum = 0.0f;
        for (Cand & c : a.data) {
            const float p = expf(c.logit - max_l);
            c.p = p;
            cum_sum += p;
        }
        for (Cand & c : a.data) c.p /= cum_sum;

        if (!a.sorted) a.sort_desc();
        float cum = 0.0f;
        size_t last_idx = a.data.size();
        for (size_t i = 0; i < a.data.size(); ++i) {
            cum += a.data[i].p;
            if (cum >= sp.top_p && i + 1 >= 1) {
                last_idx = i + 1;
                break;
            }
        }
        a.data.resize(last_idx);
    }

    // min_p (min_keep 1)
    if (sp.min_p > 0.0f && !a.data.empty()) {
        bool applied = false;
        if (!a.sorted) {
            float max_logit = -FLT_MAX;
            for (const Cand & c : a.data) max_logit = std::max(max_logit, c.logit);
            const float min_logit = max_logit + logf(sp.min_p);
            std::vector<Cand> kept;
            for (const Cand & c : a.data)
                if (c.logit >= min_logit) kept.push_back(c);
            if (!kept.empty()) {
                a.data = std::move(kept);  // stays unsorted
                applied = true;
            }
        }
        if (!applied) {
            if (!a.sorted) a.sort_desc();
            const float min_logit = a.data[0].logit + logf(sp.min_p);
            size_t i = 1;
            for (; i < a.data.size(); ++i)
                if (a.data[i].logit < min_logit && i >= 1) break;
            a.data.resize(i);
        }
    }

    // temp (llama.cpp skips the sampler when temperature == 1; x / 1 == x anyway)
    if (sp.temperature != 1.0f)
        for (Cand & c : a.data) c.logit /= sp.temperature;

    // dist
    if (a.data.size() == 1) {
        a.data[0].p = 1.0f;
        return 0;
    }
    float max_l = a.data[0].logit;
    if (!a.sorted)
        for (size_t i = 1; i < a.data.size(); ++i) max_l = std::max(max_l, a.data[i].logit);
    double sum_cum = 0.0;
    for (Cand & c : a.data) {
        const float p = expf(c.logit - max_l);
        c.p = p;
        sum_cum += p;
    }
    const double sum_tgt = sum_cum * uniform;
    double sum_run = 0.0;
    size_t selected = a.data.size() - 1;
    bool found = false;
    for (size_t i = 0; i < a.data.size(); ++i) {
        if (!found) {
            sum_run += a.data[i].p;
            if (sum_run >= sum_tgt) {
                selected = i;
                found = true;
            }
        }
        a.data[i].p /= sum_cum;
    }
    return selected;
}

bool finite_max(const float * row, int64_t n_vocab) {
    float m = -INFINITY;
    bool any = false;
    for (int64_t i = 0; i < n_vocab; ++i) {
        if (std::isnan(row[i])) continue;
        if (!any || row[i] > m) m = row[i];
        any = true;
    }
    return any && std::isfinite(m);
}

} // namespace

int sample_ref(const float * row, int64_t n_vocab, const tfk_sampling_params * sp, double uniform,
               int32_t * out_token) noexcept {
    int rc = detail::row_validate(row, n_vocab, sp, out_token, out_token, out_token);
    if (rc != TFK_OK) return rc;
    if (!detail::uniform_ok(uniform)) return TFK_ERR_BAD_SAMPLING;
    if (sp->temperature <= 0.0f) {
        *out_token = argmax_ref(row, n_vocab);
        return TFK_OK;
    }
    if (!finite_max(row, n_vocab)) return TFK_ERR_BAD_LOGITS;
    try {
        Array a;
        const size_t sel = run_chain(row, n_vocab, *sp, uniform, a);
        *out_token = a.data[sel].id;
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
    return TFK_OK;
}

int sampling_probs_ref(const float * row, int64_t n_vocab, const tfk_sampling_params * sp, int32_t * out_ids,
                       float * out_probs, int32_t * out_n) noexcept {
    int rc = detail::row_validate(row, n_vocab, sp, out_ids, out_probs, out_n);
    if (rc != TFK_OK) return rc;
    if (sp->temperature <= 0.0f) {
        out_ids[0] = argmax_ref(row, n_vocab);
        out_probs[0] = 1.0f;
        *out_n = 1;
        return TFK_OK;
    }
    if (!finite_max(row, n_vocab)) return TFK_ERR_BAD_LOGITS;
    try {
        Array a;
        (void) run_chain(row, n_vocab, *sp, 0.5, a);
        for (size_t i = 0; i < a.data.size(); ++i) {
            out_ids[i] = a.data[i].id;
            out_probs[i] = a.data[i].p;
        }
        *out_n = static_cast<int32_t>(a.data.size());
    } catch (const std::bad_alloc &) {
        return TFK_ERR_NO_MEMORY;
    } catch (...) {
        return TFK_ERR_INTERNAL;
    }
    return TFK_OK;
}

} // namespace tfk

extern "C" int tfk_sample_ref_f32(const float * row, int64_t n_vocab, const tfk_sampling_params * sp, double uniform,
                                  int32_t * out_token) {
    return tfk::sample_ref(row, n_vocab, sp, uniform, out_token);
}

extern "C" int tfk_sampling_probs_ref_f32(const float * row, int64_t n_vocab, const tfk_sampling_params * sp,
                                          int32_t * out_ids, float * out_probs, int32_t * out_n) {
    return tfk::sampling_probs_ref(row, n_vocab, sp, out_ids, out_probs, out_n);
}

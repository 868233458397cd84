// Helpers shared by the sampler and tree-verification tests: special floats, the sampling-parameter
// grid both walk, and a brute-force double-precision model of the sampling chain.
#pragma once

#include "tfkernels.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

namespace tfk_test {

inline const float kInf  = std::numeric_limits<float>::infinity();
inline const float kQNaN = std::numeric_limits<float>::quiet_NaN();

inline uint32_t bits(float x) {
    uint32_t b;
    std::memcpy(&b, &x, sizeof b);
    return b;
}

// Brute-force chain in double precision: p over token ids (0 for removed tokens). Also reports the
// smallest relative margin of the top_p / min_p decisions, so borderline rows can be skipped.
inline std::vector<double> brute_force_probs(const float * row, int64_t V, const tfk_sampling_params & sp, double * margin) {
    std::vector<int32_t> order(static_cast<size_t>(V));
    for (int64_t i = 0; i < V; ++i) order[i] = static_cast<int32_t>(i);
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return row[a] > row[b]; });
    size_t keep = order.size();
    *margin = 1.0;
    if (sp.top_k > 0) keep = std::min<size_t>(keep, static_cast<size_t>(sp.top_k));
    if (sp.top_p < 1.0f) {
        const double mx = row[order[0]];
        double z = 0.0;
        for (size_t i = 0; i < keep; ++i) z += std::exp(static_cast<double>(row[order[i]]) - mx);
        double cum = 0.0;
        size_t cut = keep;
        for (size_t i = 0; i < keep; ++i) {
            const double prev = cum;
            cum += std::exp(static_cast<double>(row[order[i]]) - mx) / z;
            if (cum >= sp.top_p) {
                cut = i + 1;
                *margin = std::min({*margin, std::fabs(cum - sp.top_p), std::fabs(prev - sp.top_p)});
                break;
            }
        }
        keep = cut;
    }
    if (sp.min_p > 0.0f) {
        const double thr = static_cast<double>(row[order[0]]) + std::log(static_cast<double>(sp.min_p));
        size_t cut = 1;
        while (cut < keep && row[order[cut]] >= thr) ++cut;
        for (size_t i = 1; i < keep; ++i) *margin = std::min(*margin, std::fabs(row[order[i]] - thr));
        keep = cut;
    }
    std::vector<double> p(static_cast<size_t>(V), 0.0);
    const double mx = static_cast<double>(row[order[0]]) / sp.temperature;
    double z = 0.0;
    for (size_t i = 0; i < keep; ++i) z += std::exp(static_cast<double>(row[order[i]]) / sp.temperature - mx);
    for (size_t i = 0; i < keep; ++i)
        p[order[i]] = std::exp(static_cast<double>(row[order[i]]) / sp.temperature - mx) / z;
    return p;
}

inline std::string params_str(const tfk_sampling_params & sp) {
    char b[128];
    std::snprintf(b, sizeof b, "T=%g top_k=%d top_p=%g min_p=%g", sp.temperature, sp.top_k, sp.top_p, sp.min_p);
    return b;
}

inline std::vector<tfk_sampling_params> param_grid() {
    return {
        {1.0f, 0, 1.0f, 0.0f},       // plain dist over the whole row (id order)
        {0.8f, 40, 0.95f, 0.05f},    // llama.cpp defaults
        {0.7f, 0, 0.9f, 0.0f},       // top_p on the whole row (adaptive sort when V > 1024)
        {1.3f, 0, 1.0f, 0.1f},       // min_p on the whole row: stays in id order
        {0.5f, 0, 1.0f, 0.02f},
        {1.0f, 8, 1.0f, 0.0f},       // top_k only
        {0.9f, 200, 1.0f, 0.0f},     // top_k > 128 (bucket sort in llama.cpp; > 64 here)
        {1.1f, 100, 0.8f, 0.0f},
        {0.6f, 0, 0.999f, 0.0f},     // top_p needing more than 256 candidates on flat rows
        {2.0f, 0, 0.5f, 0.3f},       // top_p then min_p on a sorted list
        {1.0f, 1, 0.9f, 0.1f},       // single candidate
        {0.9f, 5, 0.0f, 0.0f},       // top_p <= 0: keeps one
        {0.9f, 0, -1.0f, 0.0f},
        {1.0f, 0, 1.0f, 1.5f},       // min_p > 1: nothing reaches max + log(min_p) -> sorted path, 1 token
        {0.25f, 30, 0.97f, 0.0f},
        {1.0f, 100000, 1.0f, 0.0f},  // top_k > n_vocab
    };
}

} // namespace tfk_test

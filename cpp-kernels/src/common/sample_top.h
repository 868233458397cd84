// Internal: the llama.cpp sampler chain run from a row's best entries only, and the host side of
// the CUDA twins of the row sampler and of the stochastic tree verification (not part of the API).
//
// Why: the CUDA twins must return exactly what tfk::sample_cpu returns on the host, with glibc's
// expf/logf, so every floating-point step of the chain runs on the host. The device only does the
// order-insensitive selection (each row's top-n, copied bit for bit); the host then runs the chain
// on those entries whenever they determine the result, and otherwise on a copy of the whole row.
#pragma once

#include "tfkernels.h"
#include "common/tree_common.h"

#include <algorithm>
#include <stdint.h>

namespace tfk {
namespace detail {

// Returned by sample_from_top when the best entries do not determine the chain's result.
constexpr int kNeedRow = 1;

// How many best entries per row (at most `cap`, <= TFK_TOPK_MAX_K) sample_from_top needs to
// decide without the whole row, for temperature > 0; 0 when the whole row is always needed:
//   - top_k in 1..cap (after clamping to n_vocab): top_k entries; every later step works on them;
//   - n_vocab <= cap: the whole row, rebuilt from its n_vocab best entries;
//   - top_k off, top_p off, min_p on: cap entries; enough when the cap-th best logit is below
//     max + logf(min_p) (else sample_from_top answers kNeedRow);
//   - otherwise (top_p on the whole row: its softmax sums expf over every token in id order;
//     plain dist over the whole vocabulary; top_k > cap): 0.
inline int64_t sample_top_count(int64_t n_vocab, const tfk_sampling_params & sp, int64_t cap) {
    const int64_t kk = sp.top_k > 0 ? std::min<int64_t>(sp.top_k, n_vocab) : 0;
    if (kk > 0 && kk <= cap) return kk;
    if (n_vocab <= cap) return n_vocab;
    if (sp.top_k <= 0 && !(sp.top_p < 1.0f) && sp.min_p > 0.0f) return cap;
    return 0;
}

// The token tfk::sample_cpu(row, n_vocab, &sp, uniform) returns (temperature > 0, validated
// parameters), given only the row's n_top best entries in the tfk_topk_f32 order: ids[i] and the
// value bits vals[i]. Returns TFK_OK (*out_token set), TFK_ERR_BAD_LOGITS (no finite maximum),
// kNeedRow (the entries do not determine the result; nothing set), or throws std::bad_alloc.
// Defined in src/cpu/sample_cpu.cpp, next to the chain it reuses.
int sample_from_top(const int32_t * ids, const float * vals, int64_t n_top, int64_t n_vocab,
                    const tfk_sampling_params & sp, double uniform, int32_t * out_token);

// Backends supply the rows of the sampling below (the CUDA twins: copies from device memory):
//   int top(int32_t u, const int32_t ** ids, const float ** vals): row u's n_top best entries
//       (only called when n_top > 0);
//   int row(int32_t u, const float ** row): row u itself (n_vocab values in host memory).

// Row u sampled as tfk::sample_cpu samples it (temperature > 0, validated parameters): from its n_top
// best entries when they decide it (n_top = sample_top_count(...); 0: never), else from the whole
// row. Returns TFK_OK (*y set), TFK_ERR_BAD_LOGITS, a backend error, or throws std::bad_alloc.
template <class Backend>
int sample_row_on(Backend & be, int32_t u, int64_t n_vocab, const tfk_sampling_params & sp, double uniform,
                  int64_t n_top, int32_t * y) {
    int rc = kNeedRow;
    if (n_top > 0) {
        const int32_t * ids = nullptr;
        const float * vals = nullptr;
        rc = be.top(u, &ids, &vals);
        if (rc != TFK_OK) return rc;
        rc = sample_from_top(ids, vals, n_top, n_vocab, sp, uniform, y);
    }
    if (rc == kNeedRow) {
        const float * row = nullptr;
        rc = be.row(u, &row);
        if (rc != TFK_OK) return rc;
        rc = sample_cpu(row, n_vocab, &sp, uniform, y);
    }
    return rc;
}

// The sample-and-match walk (temperature > 0, arguments validated) on a backend as above, each
// visited row sampled by sample_row_on. Writes path[0..*len), *len and *bonus (host memory) only
// on success.
template <class Backend>
int tree_sample_walk(int32_t n_nodes, int64_t n_vocab, const int32_t * tokens, const int32_t * parents,
                     const tfk_sampling_params & sp, const float * uniforms, int64_t n_top, Backend & be,
                     int32_t * path, int32_t * len_out, int32_t * bonus_out) {
    int32_t tmp[TFK_TREE_MAX_NODES];
    int32_t len = 1, u = 0, y = 0;
    tmp[0] = 0;
    for (;;) {
        const double uniform = static_cast<double>(uniforms[len - 1]);
        const int rc = sample_row_on(be, u, n_vocab, sp, uniform, n_top, &y);
        if (rc != TFK_OK) return rc;
        const int32_t c = find_child(n_nodes, tokens, parents, u, y);
        if (c < 0) break;
        tmp[len++] = c;
        u = c;
    }
    std::copy(tmp, tmp + len, path);
    *len_out = len;
    *bonus_out = y;
    return TFK_OK;
}

} // namespace detail
} // namespace tfk

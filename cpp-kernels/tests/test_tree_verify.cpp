// Tests of tree verification (greedy + sample-and-match).
//
//  1. Greedy on random trees (random, chain, star, bushy, duplicate sibling tokens) with random
//     nonzero logits where the argmax of the rows along a chosen path is planted: the reference must
//     accept exactly the planted path, and agree with an independent oracle (acceptance defined per
//     node instead of by a walk); _cpu (several thread counts), the flat C entries and, with a GPU,
//     _cuda must equal the reference exactly (path, bonus, candidates). Also NaN/inf/tie rows.
//  2. Stochastic tree verification: cpu == ref (and, with a GPU, cuda == ref) for the same uniforms on
//     random trees, including a grid over top_k 0/1/8/40/100, top_p 1/0.9/0.5, min_p 0/0.05,
//     temperature 0.5/1/1.5 and greedy, with NaN/-inf/tie/flat rows.
//  3. Losslessness: V = 8, root with 2 children (each with children): 200000 seeded verifications;
//     the histogram of the FIRST emitted token must match p_root, and the second emitted token given
//     that the first child was accepted must match that child's p: Pearson chi-square, rejected when
//     the p-value < 1e-3 (fixed significance level; the seed is fixed, so the outcome is deterministic).
//  4. Error codes (every tree entry point; outputs untouched on error).
// The row sampler the stochastic rule uses has its own test, test_sample.cpp.
#include "tfkernels.h"
#include "check.h"
#include "sampling_util.h"

#include <algorithm>
#include <cfloat>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

using tfk_test::brute_force_probs;
using tfk_test::kInf;
using tfk_test::kQNaN;
using tfk_test::param_grid;
using tfk_test::params_str;

bool g_cuda    = false;

// ------------------------------------------------------------------------------------------------
// Trees

enum class Shape { Random, Chain, Star, Bushy, Binary };

const char * shape_name(Shape s) {
    switch (s) {
        case Shape::Random: return "random";
        case Shape::Chain:  return "chain";
        case Shape::Star:   return "star";
        case Shape::Bushy:  return "bushy";
        case Shape::Binary: return "binary";
    }
    return "?";
}

struct Tree {
    int32_t n;
    std::vector<int32_t> tokens, parents;
};

// dup_pct: percentage of nodes that copy the token of an earlier sibling (duplicates are legal).
Tree make_tree(Shape shape, int32_t n, int64_t n_vocab, int dup_pct, std::mt19937 & rng) {
    Tree t{n, std::vector<int32_t>(n), std::vector<int32_t>(n)};
    std::uniform_int_distribution<int64_t> tok(0, n_vocab - 1);
    std::uniform_int_distribution<int> pct(0, 99);
    t.parents[0] = -1;
    t.tokens[0] = static_cast<int32_t>(tok(rng));
    for (int32_t i = 1; i < n; ++i) {
        switch (shape) {
            case Shape::Random: t.parents[i] = std::uniform_int_distribution<int32_t>(0, i - 1)(rng); break;
            case Shape::Chain:  t.parents[i] = i - 1; break;
            case Shape::Star:   t.parents[i] = 0; break;
            case Shape::Bushy:  t.parents[i] = std::uniform_int_distribution<int32_t>(std::max(0, i - 4), i - 1)(rng); break;
            case Shape::Binary: t.parents[i] = (i - 1) / 2; break;
        }
        t.tokens[i] = static_cast<int32_t>(tok(rng));
        if (pct(rng) < dup_pct) {
            for (int32_t j = 1; j < i; ++j) {
                if (t.parents[j] == t.parents[i]) {
                    t.tokens[i] = t.tokens[j];
                    break;
                }
            }
        }
    }
    return t;
}

std::vector<int32_t> children_of(const Tree & t, int32_t u) {
    std::vector<int32_t> c;
    for (int32_t i = 1; i < t.n; ++i)
        if (t.parents[i] == u) c.push_back(i);
    return c;
}

// Random nonzero N(0, 2) logits; rows padded with +inf up to the stride (must never be read).
std::vector<float> make_logits(int32_t n, int64_t n_vocab, int64_t stride, std::mt19937 & rng) {
    std::vector<float> x(static_cast<size_t>(n) * stride, kInf);
    std::normal_distribution<float> normal(0.0f, 2.0f);
    for (int32_t r = 0; r < n; ++r)
        for (int64_t j = 0; j < n_vocab; ++j) {
            float v;
            do v = normal(rng); while (v == 0.0f);
            x[r * stride + j] = v;
        }
    return x;
}

float row_max(const float * row, int64_t n) {
    float m = row[0];
    for (int64_t i = 1; i < n; ++i) m = std::max(m, row[i]);
    return m;
}

// Plants a path: from the root, with probability 85% descends to a random child c by making
// tokens[c] the strict argmax of the row; the walk then goes to the FIRST child carrying that token.
// At the last node the argmax is set to a token no child carries. Returns the expected path.
std::vector<int32_t> plant_path(const Tree & t, std::vector<float> & x, int64_t n_vocab, int64_t stride,
                                std::mt19937 & rng, int32_t * bonus) {
    std::vector<int32_t> path{0};
    std::uniform_int_distribution<int> pct(0, 99);
    int32_t u = 0;
    for (;;) {
        float * row = x.data() + u * stride;
        const float top = row_max(row, n_vocab) + 1.0f + 0.25f * static_cast<float>(pct(rng));
        std::vector<int32_t> ch = children_of(t, u);
        if (!ch.empty() && pct(rng) < 85) {
            const int32_t c = ch[std::uniform_int_distribution<size_t>(0, ch.size() - 1)(rng)];
            row[t.tokens[c]] = top;
            int32_t first = c;
            for (int32_t d : ch)
                if (t.tokens[d] == t.tokens[c]) {
                    first = d;
                    break;
                }
            path.push_back(first);
            u = first;
            continue;
        }
        std::set<int32_t> taken;
        for (int32_t d : ch) taken.insert(t.tokens[d]);
        if (static_cast<int64_t>(taken.size()) == n_vocab) {
            // every token is a child's: the walk must continue; take the first child of the argmax
            const int32_t c = ch[0];
            row[t.tokens[c]] = top;
            path.push_back(c);
            u = c;
            continue;
        }
        int32_t y;
        do y = static_cast<int32_t>(std::uniform_int_distribution<int64_t>(0, n_vocab - 1)(rng)); while (taken.count(y));
        row[y] = top;
        *bonus = y;
        return path;
    }
}

// Independent greedy oracle: node v is accepted iff its parent is accepted, tokens[v] equals the
// parent's argmax and no earlier sibling carries that token. The accepted nodes form the path.
void oracle_greedy(const Tree & t, const float * x, int64_t n_vocab, int64_t stride, std::vector<int32_t> & path,
                   int32_t & bonus) {
    std::vector<int32_t> y(t.n);
    for (int32_t u = 0; u < t.n; ++u) {
        const float * row = x + u * stride;
        int32_t b = 0;
        for (int64_t i = 1; i < n_vocab; ++i)
            if (row[i] > row[b]) b = static_cast<int32_t>(i);
        y[u] = b;
    }
    std::vector<char> acc(t.n, 0);
    acc[0] = 1;
    for (int32_t v = 1; v < t.n; ++v) {
        const int32_t p = t.parents[v];
        if (!acc[p] || t.tokens[v] != y[p]) continue;
        bool earlier = false;
        for (int32_t w = 1; w < v; ++w) earlier = earlier || (t.parents[w] == p && t.tokens[w] == y[p]);
        acc[v] = !earlier;
    }
    path.clear();
    for (int32_t v = 0; v < t.n; ++v)
        if (acc[v]) path.push_back(v);
    bonus = y[path.back()];
}

struct Out {
    std::vector<int32_t> path, cand;
    int32_t len = -7, bonus = -7;
    Out(int32_t n, int32_t k) : path(n, -7), cand(static_cast<size_t>(n) * std::max(k, 1), -7) {}
    bool operator==(const Out & o) const {
        return len == o.len && bonus == o.bonus && cand == o.cand &&
               std::equal(path.begin(), path.begin() + std::max(len, 0), o.path.begin());
    }
};

std::string describe(const Out & o) {
    std::string s = "len " + std::to_string(o.len) + " path [";
    for (int32_t i = 0; i < std::max(o.len, 0) && i < static_cast<int32_t>(o.path.size()); ++i)
        s += (i ? " " : "") + std::to_string(o.path[i]);
    return s + "] bonus " + std::to_string(o.bonus);
}

// Device copies of the logits and of an Out (its pre-filled values included, so outputs a call leaves untouched
// read back unchanged); freed on scope exit.
class DeviceOut {
  public:
    DeviceOut() = default;
    DeviceOut(const DeviceOut &) = delete;
    DeviceOut & operator=(const DeviceOut &) = delete;
    ~DeviceOut() {
        for (void * p : {x_, path_, len_, bonus_, cand_}) tfk_cuda_free(p);
    }

    int upload(const std::vector<float> & x, const Out & o) {
        int e = tfk_cuda_malloc(&x_, x.size() * sizeof(float));
        if (e == TFK_OK) e = tfk_cuda_malloc(&path_, o.path.size() * sizeof(int32_t));
        if (e == TFK_OK) e = tfk_cuda_malloc(&len_, sizeof(int32_t));
        if (e == TFK_OK) e = tfk_cuda_malloc(&bonus_, sizeof(int32_t));
        if (e == TFK_OK) e = tfk_cuda_malloc(&cand_, o.cand.size() * sizeof(int32_t));
        if (e == TFK_OK) e = tfk_cuda_memcpy_h2d(x_, x.data(), x.size() * sizeof(float));
        if (e == TFK_OK) e = tfk_cuda_memcpy_h2d(path_, o.path.data(), o.path.size() * sizeof(int32_t));
        if (e == TFK_OK) e = tfk_cuda_memcpy_h2d(len_, &o.len, sizeof(int32_t));
        if (e == TFK_OK) e = tfk_cuda_memcpy_h2d(bonus_, &o.bonus, sizeof(int32_t));
        if (e == TFK_OK) e = tfk_cuda_memcpy_h2d(cand_, o.cand.data(), o.cand.size() * sizeof(int32_t));
        return e;
    }

    int download(Out & o) const {
        int e = tfk_cuda_memcpy_d2h(o.path.data(), path_, o.path.size() * sizeof(int32_t));
        if (e == TFK_OK) e = tfk_cuda_memcpy_d2h(&o.len, len_, sizeof(int32_t));
        if (e == TFK_OK) e = tfk_cuda_memcpy_d2h(&o.bonus, bonus_, sizeof(int32_t));
        if (e == TFK_OK) e = tfk_cuda_memcpy_d2h(o.cand.data(), cand_, o.cand.size() * sizeof(int32_t));
        return e;
    }

    const float * x() const { return static_cast<const float *>(x_); }
    int32_t * path() const { return static_cast<int32_t *>(path_); }
    int32_t * len() const { return static_cast<int32_t *>(len_); }
    int32_t * bonus() const { return static_cast<int32_t *>(bonus_); }
    int32_t * cand(int32_t k) const { return k > 0 ? static_cast<int32_t *>(cand_) : nullptr; }

  private:
    void *x_ = nullptr, *path_ = nullptr, *len_ = nullptr, *bonus_ = nullptr, *cand_ = nullptr;
};

int run_greedy_cuda(const std::vector<float> & x, const Tree & t, int64_t n_vocab, int64_t stride, int32_t k, Out & o) {
    DeviceOut d;
    int e = d.upload(x, o);
    if (e == TFK_OK)
        e = tfk::tree_verify_greedy_cuda(d.x(), t.n, n_vocab, stride, t.tokens.data(), t.parents.data(), k, d.path(),
                                         d.len(), d.bonus(), d.cand(k), nullptr);
    if (e == TFK_OK) e = tfk_cuda_synchronize(nullptr);
    if (e == TFK_OK) e = d.download(o);
    return e;
}

// The CUDA sample verification on device copies of x (outputs pre-filled with -7, read back).
// flat: through the C entry instead of tfk::tree_verify_sample_cuda.
int run_sample_cuda(const std::vector<float> & x, const Tree & t, int64_t n_vocab, int64_t stride, int32_t k,
                    const tfk_sampling_params & sp, const std::vector<float> & uni, Out & o, bool flat = false) {
    DeviceOut d;
    const int e = d.upload(x, o);
    if (e != TFK_OK) return e;
    const int rc = flat ? tfk_tree_verify_sample_cuda_f32(d.x(), t.n, n_vocab, stride, t.tokens.data(), t.parents.data(), k,
                                                          &sp, uni.data(), d.path(), d.len(), d.bonus(), d.cand(k), nullptr)
                        : tfk::tree_verify_sample_cuda(d.x(), t.n, n_vocab, stride, t.tokens.data(), t.parents.data(), k,
                                                       &sp, uni.data(), d.path(), d.len(), d.bonus(), d.cand(k), nullptr);
    // synchronous entry: the outputs are final on return (read back even on error: untouched)
    const int back = d.download(o);
    return rc != TFK_OK ? rc : back;
}

// One greedy case: planted path; ref vs oracle vs planted; cpu/flat/cuda vs ref.
void greedy_case(Shape shape, int32_t n, int64_t n_vocab, int64_t stride, int32_t k, int dup_pct, std::mt19937 & rng,
                 bool verbose) {
    const Tree t = make_tree(shape, n, n_vocab, dup_pct, rng);
    std::vector<float> x = make_logits(n, n_vocab, stride, rng);
    int32_t planted_bonus = -1;
    const std::vector<int32_t> planted = plant_path(t, x, n_vocab, stride, rng, &planted_bonus);

    Out ref(n, k);
    int rc = tfk::tree_verify_greedy_ref(x.data(), n, n_vocab, stride, t.tokens.data(), t.parents.data(), k,
                                         ref.path.data(), &ref.len, &ref.bonus, k > 0 ? ref.cand.data() : nullptr);
    EXPECT(rc == TFK_OK, "greedy_ref rc=%d", rc);
    bool ok = rc == TFK_OK;

    std::vector<int32_t> opath;
    int32_t obonus = -1;
    oracle_greedy(t, x.data(), n_vocab, stride, opath, obonus);
    const bool planted_ok = ref.len == static_cast<int32_t>(planted.size()) &&
                            std::equal(planted.begin(), planted.end(), ref.path.begin()) && ref.bonus == planted_bonus;
    const bool oracle_ok = opath == planted && obonus == planted_bonus;
    EXPECT(planted_ok, "ref %s != planted (len %zu, bonus %d)", describe(ref).c_str(), planted.size(), planted_bonus);
    EXPECT(oracle_ok, "oracle disagrees with the planted path");
    ok = ok && planted_ok && oracle_ok;

    if (k > 0) {  // candidates == tfk_topk_ref of every row
        std::vector<int32_t> ids(static_cast<size_t>(n) * k);
        std::vector<float> vals(ids.size());
        tfk::topk_ref(x.data(), n, n_vocab, stride, k, ids.data(), vals.data());
        const bool c_ok = std::equal(ids.begin(), ids.end(), ref.cand.begin());
        EXPECT(c_ok, "ref candidates differ from topk_ref");
        ok = ok && c_ok;
    }

    for (int th : {1, 2, 3, 8, 0}) {
        Out got(n, k);
        rc = tfk::tree_verify_greedy_cpu(x.data(), n, n_vocab, stride, t.tokens.data(), t.parents.data(), k,
                                         got.path.data(), &got.len, &got.bonus, k > 0 ? got.cand.data() : nullptr, th);
        const bool same = rc == TFK_OK && got == ref;
        EXPECT(same, "greedy_cpu(threads=%d) rc=%d %s vs ref %s", th, rc, describe(got).c_str(), describe(ref).c_str());
        ok = ok && same;
    }
    {
        Out got(n, k), got2(n, k);
        rc = tfk_tree_verify_greedy_f32(x.data(), n, n_vocab, stride, t.tokens.data(), t.parents.data(), k,
                                        got.path.data(), &got.len, &got.bonus, k > 0 ? got.cand.data() : nullptr, 2);
        int rc2 = tfk_tree_verify_greedy_ref_f32(x.data(), n, n_vocab, stride, t.tokens.data(), t.parents.data(), k,
                                                 got2.path.data(), &got2.len, &got2.bonus, k > 0 ? got2.cand.data() : nullptr);
        const bool same = rc == TFK_OK && rc2 == TFK_OK && got == ref && got2 == ref;
        EXPECT(same, "flat C entries differ from ref");
        ok = ok && same;
        // temperature <= 0: the sampling entries are the greedy verification
        const tfk_sampling_params g{0.0f, 40, 0.9f, 0.05f};
        std::vector<float> u(n, 0.5f);
        Out s1(n, k), s2(n, k);
        rc = tfk::tree_verify_sample_cpu(x.data(), n, n_vocab, stride, t.tokens.data(), t.parents.data(), k, &g, u.data(),
                                         s1.path.data(), &s1.len, &s1.bonus, k > 0 ? s1.cand.data() : nullptr, 2);
        rc2 = tfk::tree_verify_sample_ref(x.data(), n, n_vocab, stride, t.tokens.data(), t.parents.data(), k, &g, u.data(),
                                          s2.path.data(), &s2.len, &s2.bonus, k > 0 ? s2.cand.data() : nullptr);
        const bool same_t0 = rc == TFK_OK && rc2 == TFK_OK && s1 == ref && s2 == ref;
        EXPECT(same_t0, "sampling with temperature 0 differs from greedy");
        ok = ok && same_t0;
    }
    if (g_cuda) {
        Out got(n, k);
        rc = run_greedy_cuda(x, t, n_vocab, stride, k, got);
        const bool same = rc == TFK_OK && got == ref;
        EXPECT(same, "greedy_cuda rc=%d (%s; %s) %s vs ref %s", rc, tfk_status_str(rc), tfk_cuda_last_error(),
               describe(got).c_str(), describe(ref).c_str());
        ok = ok && same;
    }
    if (verbose || !ok)
        std::printf("  %-4s greedy %-6s n=%-3d V=%-6" PRId64 " stride=%-6" PRId64 " k_cand=%-2d dup=%d%% -> %s\n",
                    ok ? "ok" : "FAIL", shape_name(shape), n, n_vocab, stride, k, dup_pct, describe(ref).c_str());
}

// Greedy cpu == ref (and cuda) on rows with NaN / inf / ties, unplanted.
void greedy_special_case(std::mt19937 & rng) {
    const int64_t V = 300;
    const int32_t n = 40;
    const Tree t = make_tree(Shape::Random, n, V, 30, rng);
    std::vector<float> x(static_cast<size_t>(n) * V);
    const float vals[] = {kQNaN, -kQNaN, kInf, -kInf, 0.0f, -0.0f, 1.0f, 2.0f};
    std::uniform_int_distribution<int> pick(0, 7);
    for (float & v : x) v = vals[pick(rng)];
    for (int32_t r = 0; r < 3; ++r)
        for (int64_t j = 0; j < V; ++j) x[r * V + j] = kQNaN;  // all-NaN rows: argmax = column 0
    // make some children match so the walk descends through ties
    for (int32_t i = 1; i < n; ++i) x[t.parents[i] * V + t.tokens[i]] = 3.0f;
    for (int32_t k : {0, 8}) {
        Out ref(n, k);
        int rc = tfk::tree_verify_greedy_ref(x.data(), n, V, V, t.tokens.data(), t.parents.data(), k, ref.path.data(),
                                             &ref.len, &ref.bonus, k ? ref.cand.data() : nullptr);
        EXPECT(rc == TFK_OK, "rc %d", rc);
        for (int th : {1, 2, 0}) {
            Out got(n, k);
            rc = tfk::tree_verify_greedy_cpu(x.data(), n, V, V, t.tokens.data(), t.parents.data(), k, got.path.data(),
                                             &got.len, &got.bonus, k ? got.cand.data() : nullptr, th);
            EXPECT(rc == TFK_OK && got == ref, "special rows: cpu %s vs ref %s", describe(got).c_str(), describe(ref).c_str());
        }
        if (g_cuda) {
            Out got(n, k);
            rc = run_greedy_cuda(x, t, V, V, k, got);
            EXPECT(rc == TFK_OK && got == ref, "special rows: cuda rc=%d %s vs ref %s", rc, describe(got).c_str(),
                   describe(ref).c_str());
        }
        std::printf("  ok?  greedy NaN/inf/ties n=%d V=%" PRId64 " k_cand=%d -> %s\n", n, V, k, describe(ref).c_str());
    }
}



// ------------------------------------------------------------------------------------------------
// Stochastic tree verification: cpu == ref.

void sample_tree_case(Shape shape, int32_t n, int64_t V, int64_t stride, int32_t k, const tfk_sampling_params & sp,
                      std::mt19937 & rng, int * descended) {
    const Tree t = make_tree(shape, n, V, 20, rng);
    std::vector<float> x = make_logits(n, V, stride, rng);
    // Make descending likely: in each row, the tokens of its first child gets a big logit.
    for (int32_t u = 0; u < n; ++u) {
        const std::vector<int32_t> ch = children_of(t, u);
        if (!ch.empty()) x[u * stride + t.tokens[ch[0]]] = row_max(x.data() + u * stride, V) + 4.0f;
    }
    std::uniform_real_distribution<float> unif(0.0f, 1.0f);
    for (int rep = 0; rep < 5; ++rep) {
        std::vector<float> uni(n);
        for (float & u : uni) {
            u = unif(rng);
            if (u >= 1.0f) u = 0.0f;
        }
        Out ref(n, k);
        int rc = tfk::tree_verify_sample_ref(x.data(), n, V, stride, t.tokens.data(), t.parents.data(), k, &sp, uni.data(),
                                             ref.path.data(), &ref.len, &ref.bonus, k ? ref.cand.data() : nullptr);
        EXPECT(rc == TFK_OK, "sample_ref rc=%d", rc);
        if (ref.len > 1) ++*descended;
        // the path is a valid root-to-node chain whose edges carry the sampled tokens
        bool valid = rc == TFK_OK && ref.len >= 1 && ref.path[0] == 0;
        for (int32_t i = 1; valid && i < ref.len; ++i) valid = t.parents[ref.path[i]] == ref.path[i - 1];
        EXPECT(valid, "sampled path is not a chain: %s", describe(ref).c_str());
        // the last node has no child carrying the bonus token
        if (valid) {
            const int32_t last = ref.path[ref.len - 1];
            for (int32_t c : children_of(t, last)) EXPECT(t.tokens[c] != ref.bonus, "bonus token is a child's");
            for (int32_t i = 1; i < ref.len; ++i) {  // each step's token = sample_ref of the parent row
                int32_t y = -1;
                tfk::sample_ref(x.data() + ref.path[i - 1] * stride, V, &sp, uni[i - 1], &y);
                EXPECT(y == t.tokens[ref.path[i]], "step %d token mismatch", i);
            }
        }
        for (int th : {1, 2, 0}) {
            Out got(n, k);
            rc = tfk::tree_verify_sample_cpu(x.data(), n, V, stride, t.tokens.data(), t.parents.data(), k, &sp, uni.data(),
                                             got.path.data(), &got.len, &got.bonus, k ? got.cand.data() : nullptr, th);
            EXPECT(rc == TFK_OK && got == ref, "sample_cpu(threads=%d) %s n=%d V=%" PRId64 " %s: %s vs ref %s", th,
                   shape_name(shape), n, V, params_str(sp).c_str(), describe(got).c_str(), describe(ref).c_str());
        }
        Out flat(n, k), flat_ref(n, k);
        rc = tfk_tree_verify_sample_f32(x.data(), n, V, stride, t.tokens.data(), t.parents.data(), k, &sp, uni.data(),
                                        flat.path.data(), &flat.len, &flat.bonus, k ? flat.cand.data() : nullptr, 2);
        const int rc2 = tfk_tree_verify_sample_ref_f32(x.data(), n, V, stride, t.tokens.data(), t.parents.data(), k, &sp,
                                                       uni.data(), flat_ref.path.data(), &flat_ref.len, &flat_ref.bonus,
                                                       k ? flat_ref.cand.data() : nullptr);
        EXPECT(rc == TFK_OK && rc2 == TFK_OK && flat == ref && flat_ref == ref, "flat sampling entries differ");
        if (g_cuda) {
            Out got(n, k);
            rc = run_sample_cuda(x, t, V, stride, k, sp, uni, got, rep % 2 == 1);
            EXPECT(rc == TFK_OK && got == ref, "sample_cuda %s n=%d V=%" PRId64 " k=%d %s: rc=%d (%s; %s) %s vs ref %s",
                   shape_name(shape), n, V, k, params_str(sp).c_str(), rc, tfk_status_str(rc), tfk_cuda_last_error(),
                   describe(got).c_str(), describe(ref).c_str());
        }
    }
}

// The sampling-parameter grid of the CUDA twin's test: top_k 0/1/8/40/100 x top_p 1/0.9/0.5 x
// min_p 0/0.05 x temperature 0.5/1/1.5, plus greedy (temperature 0 and -1). On random trees with
// rows whose first child is likely (descending), with NaN/-inf/tie rows mixed in: cpu == ref always,
// cuda == ref (path, bonus, candidates, bit for bit) with a GPU.
void test_sample_tree_grid() {
    std::printf("stochastic tree verification, parameter grid: cpu%s == ref\n", g_cuda ? " + cuda" : "");
    std::vector<tfk_sampling_params> grid;
    for (float T : {0.5f, 1.0f, 1.5f})
        for (int32_t top_k : {0, 1, 8, 40, 100})
            for (float top_p : {1.0f, 0.9f, 0.5f})
                for (float min_p : {0.0f, 0.05f}) grid.push_back({T, top_k, top_p, min_p});
    grid.push_back({0.0f, 40, 0.9f, 0.05f});
    grid.push_back({-1.0f, 0, 1.0f, 0.0f});
    std::mt19937 rng(20250u);
    const Shape shapes[] = {Shape::Random, Shape::Chain, Shape::Star, Shape::Bushy, Shape::Binary};
    std::uniform_real_distribution<float> unif(0.0f, 1.0f);
    int cases = 0, descended = 0, cuda_cases = 0;
    for (int64_t V : {12, 64, 300, 5000}) {
        for (const tfk_sampling_params & sp : grid) {
            const int32_t n = (cases % 3 == 0) ? 1 : (cases % 3 == 1 ? 9 : 40);
            const Shape shape = shapes[cases % 5];
            const int32_t k = cases % 4 == 0 ? 0 : static_cast<int32_t>(std::min<int64_t>(cases % 4 == 1 ? 5 : 64, V));
            const int64_t stride = V + (cases % 2) * 3;
            const Tree t = make_tree(shape, n, V, 20, rng);
            std::vector<float> x = make_logits(n, V, stride, rng);
            // rows: 0 plain, 1 a few NaN / -inf, 2 quantized (ties), 3 flat (min_p keeps many tokens)
            const int kind = (cases / 5) % 4;
            std::uniform_int_distribution<int> pct(0, 99);
            for (int32_t u = 0; u < n; ++u) {
                float * row = x.data() + u * stride;
                for (int64_t j = 0; j < V; ++j) {
                    if (kind == 1 && pct(rng) < 5) row[j] = pct(rng) < 50 ? kQNaN : -kInf;
                    if (kind == 2) row[j] = std::round(row[j] * 2.0f) / 2.0f;
                    if (kind == 3) row[j] *= 0.01f;
                }
                const std::vector<int32_t> ch = children_of(t, u);
                if (!ch.empty() && pct(rng) < 80) {
                    float m = -kInf;
                    for (int64_t j = 0; j < V; ++j)
                        if (row[j] > m) m = row[j];
                    row[t.tokens[ch[0]]] = m + (kind == 3 ? 0.02f : 3.0f);
                }
            }
            std::vector<float> uni(n);
            for (float & u : uni) {
                u = unif(rng);
                if (u >= 1.0f) u = 0.0f;
            }
            if (cases % 7 == 0) uni[0] = 0.0f;
            Out ref(n, k), cpu(n, k);
            int rc = tfk::tree_verify_sample_ref(x.data(), n, V, stride, t.tokens.data(), t.parents.data(), k, &sp,
                                                 uni.data(), ref.path.data(), &ref.len, &ref.bonus,
                                                 k ? ref.cand.data() : nullptr);
            EXPECT(rc == TFK_OK, "grid: sample_ref rc=%d", rc);
            if (ref.len > 1) ++descended;
            rc = tfk::tree_verify_sample_cpu(x.data(), n, V, stride, t.tokens.data(), t.parents.data(), k, &sp, uni.data(),
                                             cpu.path.data(), &cpu.len, &cpu.bonus, k ? cpu.cand.data() : nullptr, 2);
            EXPECT(rc == TFK_OK && cpu == ref, "grid: sample_cpu V=%" PRId64 " n=%d kind %d %s: %s vs ref %s", V, n, kind,
                   params_str(sp).c_str(), describe(cpu).c_str(), describe(ref).c_str());
            if (g_cuda) {
                Out got(n, k);
                rc = run_sample_cuda(x, t, V, stride, k, sp, uni, got, cases % 2 == 1);
                EXPECT(rc == TFK_OK && got == ref, "grid: sample_cuda V=%" PRId64 " n=%d k=%d kind %d %s: rc=%d (%s; %s) %s vs ref %s",
                       V, n, k, kind, params_str(sp).c_str(), rc, tfk_status_str(rc), tfk_cuda_last_error(),
                       describe(got).c_str(), describe(ref).c_str());
                ++cuda_cases;
            }
            ++cases;
        }
    }
    std::printf("  %d trees (%zu parameter sets x 4 vocabularies), %d accepted >= 1 draft token; %d compared on CUDA\n",
                cases, grid.size(), descended, cuda_cases);
    EXPECT(descended > 60, "grid: too few accepted drafts (%d)", descended);
    if (g_cuda) {
        // A sampled row without a finite maximum: TFK_ERR_BAD_LOGITS and nothing written, as on the CPU.
        const int64_t V = 300;
        const Tree t = make_tree(Shape::Chain, 4, V, 0, rng);
        std::vector<float> x = make_logits(4, V, V, rng);
        for (int64_t j = 0; j < V; ++j) x[j] = kQNaN;
        const std::vector<float> uni(4, 0.5f);
        for (const tfk_sampling_params & sp : {tfk_sampling_params{0.8f, 40, 0.9f, 0.05f},
                                               tfk_sampling_params{1.0f, 0, 1.0f, 0.0f},
                                               tfk_sampling_params{1.0f, 0, 1.0f, 0.05f}}) {
            Out got(4, 8);
            const int rc = run_sample_cuda(x, t, V, V, 8, sp, uni, got);
            bool untouched = got.len == -7 && got.bonus == -7;
            for (int32_t v : got.path) untouched = untouched && v == -7;
            for (int32_t v : got.cand) untouched = untouched && v == -7;
            EXPECT(rc == TFK_ERR_BAD_LOGITS && untouched, "sample_cuda on an all-NaN root row (%s): rc=%d, untouched %d",
                   params_str(sp).c_str(), rc, untouched ? 1 : 0);
        }
    }
}

void test_sample_tree() {
    std::printf("stochastic tree verification: cpu == ref for the same uniforms\n");
    std::mt19937 rng(99u);
    int descended = 0, cases = 0;
    const Shape shapes[] = {Shape::Random, Shape::Chain, Shape::Star, Shape::Bushy, Shape::Binary};
    const std::vector<tfk_sampling_params> grid = param_grid();
    for (int64_t V : {16, 512, 32000}) {
        for (int32_t n : {1, 2, 9, 81, 256}) {
            if (V == 32000 && n == 256) continue;  // the reference sorts each visited row: keep the test quick
            for (Shape s : shapes) {
                const tfk_sampling_params & sp = grid[static_cast<size_t>(cases) % grid.size()];
                const int32_t k = cases % 3 == 0 ? 0 : (cases % 3 == 1 ? 8 : std::min<int32_t>(64, static_cast<int32_t>(V)));
                sample_tree_case(s, n, V, V + (cases % 2) * 3, k, sp, rng, &descended);
                ++cases;
            }
        }
    }
    std::printf("  %d trees x 5 uniform vectors; %d verifications accepted >= 1 draft token\n", cases, descended);
    EXPECT(descended > 50, "too few accepted drafts (%d): the test does not exercise descending", descended);
}

// ------------------------------------------------------------------------------------------------
// Losslessness: chi-square.

// Regularized upper incomplete gamma Q(a, x) (Numerical Recipes: series / continued fraction).
double gamma_q(double a, double x) {
    if (x <= 0.0) return 1.0;
    const double gln = std::lgamma(a);
    if (x < a + 1.0) {
        double ap = a, sum = 1.0 / a, del = sum;
        for (int n = 0; n < 1000; ++n) {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if (std::fabs(del) < std::fabs(sum) * 1e-15) break;
        }
        return 1.0 - sum * std::exp(-x + a * std::log(x) - gln);
    }
    double b = x + 1.0 - a, c = 1.0 / 1e-300, d = 1.0 / b, h = d;
    for (int i = 1; i < 1000; ++i) {
        const double an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if (std::fabs(d) < 1e-300) d = 1e-300;
        c = b + an / c;
        if (std::fabs(c) < 1e-300) c = 1e-300;
        d = 1.0 / d;
        const double del = d * c;
        h *= del;
        if (std::fabs(del - 1.0) < 1e-15) break;
    }
    return std::exp(-x + a * std::log(x) - gln) * h;
}

// Pearson chi-square of counts vs probabilities p (categories with p == 0 must have count 0).
// Returns the p-value; prints the table.
double chi_square(const char * what, const std::vector<long> & counts, const std::vector<double> & p) {
    long total = 0;
    for (long c : counts) total += c;
    double chi2 = 0.0;
    int df = -1;
    bool zero_ok = true;
    std::printf("  %s: %ld draws\n    token:", what, total);
    for (size_t i = 0; i < p.size(); ++i) std::printf(" %7zu", i);
    std::printf("\n    p    :");
    for (double q : p) std::printf(" %7.4f", q);
    std::printf("\n    freq :");
    for (long c : counts) std::printf(" %7.4f", total ? static_cast<double>(c) / total : 0.0);
    std::printf("\n");
    for (size_t i = 0; i < p.size(); ++i) {
        if (p[i] == 0.0) {
            zero_ok = zero_ok && counts[i] == 0;
            continue;
        }
        const double e = p[i] * total;
        chi2 += (counts[i] - e) * (counts[i] - e) / e;
        ++df;
    }
    const double pv = df > 0 ? gamma_q(df / 2.0, chi2 / 2.0) : 1.0;
    std::printf("    chi2 = %.3f, df = %d, p-value = %.4f (reject below 1e-3)%s\n", chi2, df, pv,
                zero_ok ? "" : "; a zero-probability token was emitted");
    return zero_ok ? pv : 0.0;
}

void test_lossless() {
    std::printf("losslessness: emitted-token distributions vs the target distribution (V = 8)\n");
    const int64_t V = 8;
    // Tree: root 0 with children 1 (token 2) and 2 (token 5); node 1 has children 3 (token 0) and
    // 4 (token 2); node 2 has child 5 (token 7). Rows chosen so that drafts are accepted often.
    const Tree t{6, {4, 2, 5, 0, 2, 7}, {-1, 0, 0, 1, 1, 2}};
    const std::vector<float> x = {
        0.3f, -1.0f, 1.9f, 0.0625f, -2.5f, 1.4f, 0.7f, -0.4f,   // root: tokens 2 and 5 likely
        1.2f, 0.25f, 0.9f, -0.7f, 0.1f, -3.0f, 0.5f, -1.5f,     // node 1
        -0.2f, 0.6f, -1.1f, 0.35f, 1.5f, -0.9f, 0.05f, 1.1f,    // node 2
        0.5f, 0.4f, 0.3f, 0.2f, 0.1f, 0.0625f, -0.1f, -0.2f,    // leaves
        -0.5f, 0.4f, 0.3f, 1.2f, 0.1f, 0.9f, -0.1f, -0.2f,
        0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f,
    };
    const tfk_sampling_params sp{0.8f, 7, 0.97f, 0.03f};
    double margin = 1.0;
    const std::vector<double> p_root = brute_force_probs(x.data(), V, sp, &margin);
    const std::vector<double> p_n1 = brute_force_probs(x.data() + 1 * V, V, sp, &margin);
    EXPECT(margin > 1e-4, "test rows too close to a cut (%g)", margin);

    std::mt19937 rng(20250101u);
    const int draws = 200000;
    std::vector<long> first(V, 0), second(V, 0);
    std::vector<float> uni(t.n);
    std::vector<int32_t> path(t.n);
    int32_t len = 0, bonus = 0;
    int accepted = 0, rc_bad = 0;
    for (int i = 0; i < draws; ++i) {
        for (float & u : uni) u = static_cast<float>(rng() >> 8) * 0x1.0p-24f;  // [0, 1), 24-bit
        const int rc = tfk::tree_verify_sample_cpu(x.data(), t.n, V, V, t.tokens.data(), t.parents.data(), 0, &sp,
                                                   uni.data(), path.data(), &len, &bonus, nullptr, 1);
        if (rc != TFK_OK) {
            ++rc_bad;
            continue;
        }
        const int32_t tok1 = len > 1 ? t.tokens[path[1]] : bonus;
        ++first[tok1];
        if (len > 1) ++accepted;
        if (len > 1 && path[1] == 1) ++second[len > 2 ? t.tokens[path[2]] : bonus];
    }
    EXPECT(rc_bad == 0, "%d verifications failed", rc_bad);
    std::printf("  %d of %d verifications accepted the first draft level (%.1f%%)\n", accepted, draws,
                100.0 * accepted / draws);
    const double pv1 = chi_square("first emitted token vs p_root", first, p_root);
    EXPECT(pv1 >= 1e-3, "first-token distribution differs from p_root (p-value %.3g)", pv1);
    const double pv2 = chi_square("second emitted token, given node 1 accepted, vs p_node1", second, p_n1);
    EXPECT(pv2 >= 1e-3, "second-token distribution differs from p_node1 (p-value %.3g)", pv2);
    // Sanity of the test itself: a wrong target (the untempered softmax) must be rejected.
    const tfk_sampling_params plain{1.0f, 0, 1.0f, 0.0f};
    const std::vector<double> wrong = brute_force_probs(x.data(), V, plain, &margin);
    std::printf("  (control: the same histogram against the untempered, unfiltered softmax)\n");
    const double pv_wrong = chi_square("first emitted token vs a wrong target", first, wrong);
    EXPECT(pv_wrong < 1e-3, "chi-square test has no power: a wrong target passed (p-value %.3g)", pv_wrong);
}

// ------------------------------------------------------------------------------------------------
// Error codes.

void test_errors() {
    std::printf("error codes\n");
    const int64_t V = 16;
    std::vector<float> x(4 * V);
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7) + 0.5f;
    const int32_t tok[] = {1, 2, 3, 4};
    const int32_t par[] = {-1, 0, 0, 1};
    const int32_t par_bad0[] = {0, 0, 0, 1};
    const int32_t par_self[] = {-1, 0, 2, 1};
    const int32_t par_neg[] = {-1, 0, -1, 1};
    const int32_t tok_big[] = {1, 2, 16, 4};
    const int32_t tok_neg[] = {1, 2, 3, -1};
    const float uni[] = {0.5f, 0.5f, 0.5f, 0.5f};
    const float uni_one[] = {0.5f, 0.5f, 0.5f, 1.0f};   // the last entry is still validated
    const float uni_nan[] = {0.5f, kQNaN, 0.5f, 0.5f};
    const float uni_neg[] = {-0.0001f, 0.5f, 0.5f, 0.5f};
    const tfk_sampling_params good{0.8f, 4, 0.9f, 0.05f};
    const tfk_sampling_params t_nan{kQNaN, 4, 0.9f, 0.05f};
    const tfk_sampling_params t_inf{kInf, 4, 0.9f, 0.05f};
    const tfk_sampling_params p_nan{0.8f, 4, kQNaN, 0.05f};
    const tfk_sampling_params m_nan{0.8f, 4, 0.9f, kQNaN};
    int32_t path[8], len, bonus, cand[4 * 64];

    struct Bad {
        const char * what;
        const float * x;
        int32_t n;
        int64_t v, stride;
        const int32_t *tok, *par;
        int32_t k;
        const tfk_sampling_params * sp;
        const float * uni;
        int32_t *path, *len, *bonus, *cand;
        int want;
        bool sample_only;
    };
    const Bad bad[] = {
        {"null logits", nullptr, 4, V, V, tok, par, 4, &good, uni, path, &len, &bonus, cand, TFK_ERR_NULL, false},
        {"null tokens", x.data(), 4, V, V, nullptr, par, 4, &good, uni, path, &len, &bonus, cand, TFK_ERR_NULL, false},
        {"null parents", x.data(), 4, V, V, tok, nullptr, 4, &good, uni, path, &len, &bonus, cand, TFK_ERR_NULL, false},
        {"null out_path", x.data(), 4, V, V, tok, par, 4, &good, uni, nullptr, &len, &bonus, cand, TFK_ERR_NULL, false},
        {"null out_path_len", x.data(), 4, V, V, tok, par, 4, &good, uni, path, nullptr, &bonus, cand, TFK_ERR_NULL, false},
        {"null out_bonus", x.data(), 4, V, V, tok, par, 4, &good, uni, path, &len, nullptr, cand, TFK_ERR_NULL, false},
        {"null cand, k>0", x.data(), 4, V, V, tok, par, 4, &good, uni, path, &len, &bonus, nullptr, TFK_ERR_NULL, false},
        {"null params", x.data(), 4, V, V, tok, par, 4, nullptr, uni, path, &len, &bonus, cand, TFK_ERR_NULL, true},
        {"null uniforms", x.data(), 4, V, V, tok, par, 4, &good, nullptr, path, &len, &bonus, cand, TFK_ERR_NULL, true},
        {"n_nodes=0", x.data(), 0, V, V, tok, par, 4, &good, uni, path, &len, &bonus, cand, TFK_ERR_BAD_SHAPE, false},
        {"n_nodes=257", x.data(), 257, V, V, tok, par, 4, &good, uni, path, &len, &bonus, cand, TFK_ERR_BAD_SHAPE, false},
        {"n_nodes<0", x.data(), -3, V, V, tok, par, 4, &good, uni, path, &len, &bonus, cand, TFK_ERR_BAD_SHAPE, false},
        {"n_vocab=0", x.data(), 4, 0, V, tok, par, 0, &good, uni, path, &len, &bonus, cand, TFK_ERR_BAD_SHAPE, false},
        {"n_vocab>INT32_MAX", x.data(), 4, int64_t(1) << 31, int64_t(1) << 31, tok, par, 4, &good, uni, path, &len, &bonus,
         cand, TFK_ERR_BAD_SHAPE, false},
        {"extent overflows", x.data(), 4, V, INT64_MAX / 2, tok, par, 4, &good, uni, path, &len, &bonus, cand,
         TFK_ERR_BAD_SHAPE, false},
        {"stride<n_vocab", x.data(), 4, V, V - 1, tok, par, 4, &good, uni, path, &len, &bonus, cand, TFK_ERR_BAD_STRIDE, false},
        {"k_cand<0", x.data(), 4, V, V, tok, par, -1, &good, uni, path, &len, &bonus, cand, TFK_ERR_BAD_K, false},
        {"k_cand=65", x.data(), 4, V, V, tok, par, 65, &good, uni, path, &len, &bonus, cand, TFK_ERR_BAD_K, false},
        {"k_cand>n_vocab", x.data(), 4, V, V, tok, par, 17, &good, uni, path, &len, &bonus, cand, TFK_ERR_BAD_K, false},
        {"parents[0]!=-1", x.data(), 4, V, V, tok, par_bad0, 4, &good, uni, path, &len, &bonus, cand, TFK_ERR_BAD_TREE, false},
        {"parents[i]>=i", x.data(), 4, V, V, tok, par_self, 4, &good, uni, path, &len, &bonus, cand, TFK_ERR_BAD_TREE, false},
        {"parents[i]<0", x.data(), 4, V, V, tok, par_neg, 4, &good, uni, path, &len, &bonus, cand, TFK_ERR_BAD_TREE, false},
        {"bad tree+token", x.data(), 4, V, V, tok_big, par_bad0, 4, &good, uni, path, &len, &bonus, cand, TFK_ERR_BAD_TREE, false},
        {"token>=n_vocab", x.data(), 4, V, V, tok_big, par, 4, &good, uni, path, &len, &bonus, cand, TFK_ERR_BAD_TOKEN, false},
        {"token<0", x.data(), 4, V, V, tok_neg, par, 4, &good, uni, path, &len, &bonus, cand, TFK_ERR_BAD_TOKEN, false},
        {"temperature NaN", x.data(), 4, V, V, tok, par, 4, &t_nan, uni, path, &len, &bonus, cand, TFK_ERR_BAD_SAMPLING, true},
        {"temperature inf", x.data(), 4, V, V, tok, par, 4, &t_inf, uni, path, &len, &bonus, cand, TFK_ERR_BAD_SAMPLING, true},
        {"top_p NaN", x.data(), 4, V, V, tok, par, 4, &p_nan, uni, path, &len, &bonus, cand, TFK_ERR_BAD_SAMPLING, true},
        {"min_p NaN", x.data(), 4, V, V, tok, par, 4, &m_nan, uni, path, &len, &bonus, cand, TFK_ERR_BAD_SAMPLING, true},
        {"uniform 1.0", x.data(), 4, V, V, tok, par, 4, &good, uni_one, path, &len, &bonus, cand, TFK_ERR_BAD_SAMPLING, true},
        {"uniform NaN", x.data(), 4, V, V, tok, par, 4, &good, uni_nan, path, &len, &bonus, cand, TFK_ERR_BAD_SAMPLING, true},
        {"uniform < 0", x.data(), 4, V, V, tok, par, 4, &good, uni_neg, path, &len, &bonus, cand, TFK_ERR_BAD_SAMPLING, true},
    };
    for (const Bad & b : bad) {
        auto reset = [&]() {
            for (int32_t & v : path) v = -7;
            for (int32_t & v : cand) v = -7;
            len = bonus = -7;
        };
        auto untouched = [&]() {
            bool u = len == -7 && bonus == -7;
            for (int32_t v : path) u = u && v == -7;
            for (int32_t v : cand) u = u && v == -7;
            return u;
        };
        std::vector<int> got;
        bool clean = true;
        if (!b.sample_only) {
            reset();
            got.push_back(tfk::tree_verify_greedy_ref(b.x, b.n, b.v, b.stride, b.tok, b.par, b.k, b.path, b.len, b.bonus, b.cand));
            got.push_back(tfk::tree_verify_greedy_cpu(b.x, b.n, b.v, b.stride, b.tok, b.par, b.k, b.path, b.len, b.bonus, b.cand, 2));
            got.push_back(tfk_tree_verify_greedy_f32(b.x, b.n, b.v, b.stride, b.tok, b.par, b.k, b.path, b.len, b.bonus, b.cand, 2));
            got.push_back(tfk_tree_verify_greedy_ref_f32(b.x, b.n, b.v, b.stride, b.tok, b.par, b.k, b.path, b.len, b.bonus, b.cand));
            // validation precedes any CUDA call: host pointers are fine even with a GPU
            got.push_back(tfk::tree_verify_greedy_cuda(b.x, b.n, b.v, b.stride, b.tok, b.par, b.k, b.path, b.len, b.bonus, b.cand, nullptr));
            got.push_back(tfk_tree_verify_greedy_cuda_f32(b.x, b.n, b.v, b.stride, b.tok, b.par, b.k, b.path, b.len, b.bonus, b.cand, nullptr));
            clean = clean && untouched();
        }
        reset();
        got.push_back(tfk::tree_verify_sample_ref(b.x, b.n, b.v, b.stride, b.tok, b.par, b.k, b.sp, b.uni, b.path, b.len, b.bonus, b.cand));
        got.push_back(tfk::tree_verify_sample_cpu(b.x, b.n, b.v, b.stride, b.tok, b.par, b.k, b.sp, b.uni, b.path, b.len, b.bonus, b.cand, 2));
        got.push_back(tfk_tree_verify_sample_f32(b.x, b.n, b.v, b.stride, b.tok, b.par, b.k, b.sp, b.uni, b.path, b.len, b.bonus, b.cand, 2));
        got.push_back(tfk_tree_verify_sample_ref_f32(b.x, b.n, b.v, b.stride, b.tok, b.par, b.k, b.sp, b.uni, b.path, b.len, b.bonus, b.cand));
        // validation precedes any CUDA call: host pointers are fine even with a GPU
        got.push_back(tfk::tree_verify_sample_cuda(b.x, b.n, b.v, b.stride, b.tok, b.par, b.k, b.sp, b.uni, b.path, b.len, b.bonus, b.cand, nullptr));
        got.push_back(tfk_tree_verify_sample_cuda_f32(b.x, b.n, b.v, b.stride, b.tok, b.par, b.k, b.sp, b.uni, b.path, b.len, b.bonus, b.cand, nullptr));
        clean = clean && untouched();
        bool ok = true;
        std::string s;
        for (int g : got) {
            ok = ok && g == b.want;
            s += " " + std::to_string(g);
        }
        EXPECT(ok, "%s: want %d, got%s", b.what, b.want, s.c_str());
        EXPECT(clean, "%s: output written on error", b.what);
        std::printf("  %-4s %-20s -> %d (%s)\n", ok && clean ? "ok" : "FAIL", b.what, b.want, tfk_status_str(b.want));
    }
    // Greedy ignores sampling parameters; temperature <= 0 still validates the uniforms.
    {
        const tfk_sampling_params g{0.0f, 4, 0.9f, 0.05f};
        EXPECT(tfk::tree_verify_sample_cpu(x.data(), 4, V, V, tok, par, 0, &g, uni_nan, path, &len, &bonus, nullptr, 1) ==
                   TFK_ERR_BAD_SAMPLING, "greedy via sample: uniforms validated");
        EXPECT(tfk::tree_verify_sample_cpu(x.data(), 4, V, V, tok, par, 0, &g, uni, path, &len, &bonus, nullptr, 1) == TFK_OK,
               "greedy via sample, k_cand 0, NULL cand");
        EXPECT(tfk::tree_verify_greedy_cpu(x.data(), 4, V, V, tok, par, 0, path, &len, &bonus, nullptr, 1) == TFK_OK,
               "k_cand 0 with NULL cand");
    }
    // A sampled row without a finite maximum: TFK_ERR_BAD_LOGITS, nothing written.
    {
        std::vector<float> y = x;
        for (int64_t j = 0; j < V; ++j) y[j] = kQNaN;  // the root row
        for (int32_t & v : path) v = -7;
        for (int32_t & v : cand) v = -7;
        len = bonus = -7;
        const int r1 = tfk::tree_verify_sample_ref(y.data(), 4, V, V, tok, par, 4, &good, uni, path, &len, &bonus, cand);
        const int r2 = tfk::tree_verify_sample_cpu(y.data(), 4, V, V, tok, par, 4, &good, uni, path, &len, &bonus, cand, 2);
        bool u = len == -7 && bonus == -7 && path[0] == -7 && cand[0] == -7;
        EXPECT(r1 == TFK_ERR_BAD_LOGITS && r2 == TFK_ERR_BAD_LOGITS && u, "all-NaN root row: ref %d cpu %d", r1, r2);
        // ...while greedy verification of the same logits is fine (NaN rows: argmax column 0).
        EXPECT(tfk::tree_verify_greedy_cpu(y.data(), 4, V, V, tok, par, 4, path, &len, &bonus, cand, 2) == TFK_OK,
               "greedy on NaN rows");
    }
    for (int s : {TFK_ERR_BAD_TREE, TFK_ERR_BAD_TOKEN, TFK_ERR_BAD_SAMPLING, TFK_ERR_BAD_LOGITS})
        EXPECT(std::string(tfk_status_str(s)) != "unknown status", "status string for %d", s);
    if (!g_cuda) {
        const int r = tfk::tree_verify_greedy_cuda(x.data(), 4, V, V, tok, par, 4, path, &len, &bonus, cand, nullptr);
        EXPECT(r == TFK_ERR_NO_CUDA, "tree_verify_greedy_cuda without GPU: want %d got %d", TFK_ERR_NO_CUDA, r);
        for (const tfk_sampling_params & sp : {good, tfk_sampling_params{0.0f, 0, 1.0f, 0.0f}}) {
            const int r2 = tfk::tree_verify_sample_cuda(x.data(), 4, V, V, tok, par, 4, &sp, uni, path, &len, &bonus, cand,
                                                        nullptr);
            const int r3 = tfk_tree_verify_sample_cuda_f32(x.data(), 4, V, V, tok, par, 4, &sp, uni, path, &len, &bonus,
                                                           cand, nullptr);
            EXPECT(r2 == TFK_ERR_NO_CUDA && r3 == TFK_ERR_NO_CUDA, "tree_verify_sample_cuda without GPU: want %d got %d %d",
                   TFK_ERR_NO_CUDA, r2, r3);
        }
    }
}

void test_greedy() {
    std::printf("greedy: planted paths; ref vs oracle; cpu (threads 1,2,3,8,auto) + flat entries%s vs ref\n",
                g_cuda ? " + cuda" : "");
    std::mt19937 rng(424242u);
    const Shape shapes[] = {Shape::Random, Shape::Chain, Shape::Star, Shape::Bushy, Shape::Binary};
    int cases = 0;
    for (int64_t V : {3, 64, 512, 32000}) {
        for (int32_t n : {1, 2, 5, 32, 81, 256}) {
            for (Shape s : shapes) {
                const int32_t kmax = static_cast<int32_t>(std::min<int64_t>(64, V));
                const int32_t ks[] = {0, 1, std::min<int32_t>(8, kmax), kmax};
                const int32_t k = ks[cases % 4];
                const int64_t stride = V + (cases % 3 == 0 ? 5 : 0);
                const int dup = cases % 2 ? 30 : 0;
                greedy_case(s, n, V, stride, k, dup, rng, n == 81 || n == 256 || V == 3);
                ++cases;
            }
        }
    }
    // Many small random cases.
    for (int i = 0; i < 400; ++i) {
        const int64_t V = std::uniform_int_distribution<int64_t>(2, 40)(rng);
        const int32_t n = std::uniform_int_distribution<int32_t>(1, 60)(rng);
        const int32_t k = std::uniform_int_distribution<int32_t>(0, static_cast<int32_t>(std::min<int64_t>(V, 64)))(rng);
        greedy_case(shapes[i % 5], n, V, V, k, 40, rng, false);
        ++cases;
    }
    std::printf("  %d greedy cases\n", cases);
    greedy_special_case(rng);
}

} // namespace

int main() {
    g_cuda = tfk_cuda_available() != 0;
    std::printf("tfkernels tree verification test (CUDA device: %s)\n", g_cuda ? "yes" : "no");
    test_errors();
    test_greedy();
    test_sample_tree();
    test_sample_tree_grid();
    test_lossless();
    if (!g_cuda)
        std::printf("CUDA: skipped (no GPU): tfk_tree_verify_greedy_cuda_f32 and tfk_tree_verify_sample_cuda_f32 checked "
                    "for argument errors only\n");
    std::printf("%d checks, %d failures\n", g_checks, g_failures);
    std::printf("%s\n", g_failures == 0 ? "PASS" : "FAIL");
    return g_failures == 0 ? 0 : 1;
}

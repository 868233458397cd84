// Block attention with log-sum-exp and the merge of partial results (tfk_block_attn, tfk_attn_merge): the optimized
// CPU version (threads 1, 2, 3, auto) and the CUDA twin (when a GPU is present) against the double-precision
// reference on random inputs (never zeros): shapes with GQA, odd lengths, padded strides, causal blocks at offsets
// (including rows that see no key); merging the partials of any split of the keys gives the attention over all keys;
// the merge is commutative bit for bit and associative within rounding; bad arguments give the documented codes.
#include "tfkernels.h"
#include "check.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace {

bool g_cuda = false;
const float kInf = std::numeric_limits<float>::infinity();

struct Case {
    int64_t d, dv, H, Hkv, nq, nkv;
    bool causal;
    int64_t q_pos0, k_pos0, pad;
};

struct Data {
    std::vector<float> q, k, v;
    tfk_block_view view{};
};

Data make(const Case & c, std::mt19937 & rng) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    Data x;
    auto fill = [&](std::vector<float> & a, size_t n) {
        a.resize(std::max<size_t>(n, 1));
        for (float & f : a) f = normal(rng);
    };
    const int64_t qs = c.d + c.pad, ks = c.d + c.pad, vs = c.dv + c.pad;
    fill(x.q, static_cast<size_t>(c.nq * c.H * qs));
    fill(x.k, static_cast<size_t>(c.nkv * c.Hkv * ks));
    fill(x.v, static_cast<size_t>(c.nkv * c.Hkv * vs));
    tfk_block_view & v = x.view;
    v.head_dim = c.d;
    v.head_dim_v = c.dv;
    v.n_head = c.H;
    v.n_head_kv = c.Hkv;
    v.n_q = c.nq;
    v.n_kv = c.nkv;
    v.q = x.q.data();
    v.q_head_stride = qs;
    v.q_row_stride = c.H * qs;
    v.k = x.k.data();  // head-major keys for variety: row j of head g at g*(nkv*ks) + j*ks
    v.k_row_stride = ks;
    v.k_head_stride = c.nkv * ks;
    v.v = x.v.data();
    v.v_head_stride = vs;
    v.v_row_stride = c.Hkv * vs;
    v.causal = c.causal ? 1 : 0;
    v.q_pos0 = c.q_pos0;
    v.k_pos0 = c.k_pos0;
    v.scale = 1.0f / std::sqrt(static_cast<float>(c.d));
    return x;
}

// out within 1e-5 relative (+1e-6 * max|v| absolute), lse within 1e-5 absolute; -inf rows exactly (0, -inf).
bool close(const std::vector<float> & o, const std::vector<float> & l, const std::vector<float> & ro,
           const std::vector<float> & rl, int64_t dv, float vmax, double * worst) {
    *worst = 0;
    for (size_t r = 0; r < rl.size(); ++r) {
        if (rl[r] == -kInf) {
            if (l[r] != -kInf) return false;
            for (int64_t c = 0; c < dv; ++c)
                if (o[r * dv + c] != 0.0f) return false;
            continue;
        }
        if (!(std::fabs(static_cast<double>(l[r]) - rl[r]) <= 1e-5)) return false;
        for (int64_t c = 0; c < dv; ++c) {
            const double a = o[r * dv + c], b = ro[r * dv + c];
            const double err = std::fabs(a - b), tol = 1e-5 * std::fabs(b) + 1e-6 * vmax;
            *worst = std::max(*worst, err / (std::fabs(b) + 1e-30));
            if (!(err <= tol)) return false;
        }
    }
    return true;
}

float max_abs(const std::vector<float> & a) {
    float m = 0;
    for (float x : a) m = std::max(m, std::fabs(x));
    return m;
}

void run_case(const Case & c, std::mt19937 & rng) {
    Data x = make(c, rng);
    const tfk_block_view & v = x.view;
    const size_t no = static_cast<size_t>(c.nq * c.H * c.dv), nl = static_cast<size_t>(c.nq * c.H);
    // outputs are never NULL, even for no rows (reserve gives an empty vector a buffer)
    std::vector<float> ro(no + 1, 7.0f), rl(nl + 1, 7.0f);
    ro.resize(no);
    rl.resize(nl);  // capacity stays: data() is not NULL
    EXPECT(tfk_block_attn_ref(&v, ro.data(), rl.data()) == TFK_OK, "ref");
    const float vmax = max_abs(x.v);
    std::vector<float> first;
    for (int t : {1, 2, 3, 0}) {
        std::vector<float> o(no, 7.0f), l(nl, 7.0f);
        o.reserve(no + 1);
        l.reserve(nl + 1);
        EXPECT(tfk::block_attn_cpu(&v, o.data(), l.data(), t) == TFK_OK, "cpu");
        double worst = 0;
        EXPECT(close(o, l, ro, rl, c.dv, vmax, &worst), "cpu threads=%d d=%" PRId64 " H=%" PRId64 "/%" PRId64 " nq=%" PRId64
               " nkv=%" PRId64 " causal=%d", t, c.d, c.H, c.Hkv, c.nq, c.nkv, c.causal ? 1 : 0);
        if (first.empty()) first = o;
        EXPECT(first.size() == o.size() && (o.empty() || std::memcmp(first.data(), o.data(), o.size() * 4) == 0),
               "cpu results depend on the thread count");
    }
    // the causal rows: a row sees exactly the keys at or before its position
    if (c.causal) {
        int bad = 0;
        for (int64_t i = 0; i < c.nq; ++i) {
            const bool none = c.k_pos0 > c.q_pos0 + i;
            for (int64_t h = 0; h < c.H; ++h) bad += none != (rl[i * c.H + h] == -kInf);
        }
        EXPECT(bad == 0, "rows without a visible key: %d mismatches", bad);
    }
    // a split of the keys into blocks, merged in random order, gives the whole attention
    if (c.nkv >= 2 && !c.causal) {
        std::vector<int64_t> cuts = {0, c.nkv};
        for (int i = 0; i < 3; ++i) cuts.push_back(std::uniform_int_distribution<int64_t>(1, c.nkv - 1)(rng));
        std::sort(cuts.begin(), cuts.end());
        cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
        std::vector<float> acc_o, acc_l;
        std::vector<size_t> order(cuts.size() - 1);
        for (size_t b = 0; b < order.size(); ++b) order[b] = b;
        std::shuffle(order.begin(), order.end(), rng);
        for (size_t b : order) {
            tfk_block_view w = v;
            w.n_kv = cuts[b + 1] - cuts[b];
            w.k = v.k + cuts[b] * v.k_row_stride;
            w.v = v.v + cuts[b] * v.v_row_stride;
            std::vector<float> o(no), l(nl);
            o.reserve(no + 1);
            l.reserve(nl + 1);
            const int brc = tfk_block_attn(&w, o.data(), l.data(), 2);
            EXPECT(brc == TFK_OK, "block rc=%d", brc);
            if (acc_o.empty()) {
                acc_o = o;
                acc_l = l;
            } else {
                EXPECT(tfk_attn_merge(acc_o.data(), acc_l.data(), o.data(), l.data(), static_cast<int64_t>(nl), c.dv) == TFK_OK, "merge");
            }
        }
        double worst = 0;
        EXPECT(close(acc_o, acc_l, ro, rl, c.dv, vmax, &worst), "merged blocks (%zu) differ from one block", order.size());
    }
    if (g_cuda) {
        void *dq = nullptr, *dk = nullptr, *dvp = nullptr, *dout = nullptr, *dl = nullptr;
        int e = tfk_cuda_malloc(&dq, x.q.size() * 4);
        if (e == TFK_OK) e = tfk_cuda_malloc(&dk, x.k.size() * 4);
        if (e == TFK_OK) e = tfk_cuda_malloc(&dvp, x.v.size() * 4);
        if (e == TFK_OK) e = tfk_cuda_malloc(&dout, std::max<size_t>(no, 1) * 4);
        if (e == TFK_OK) e = tfk_cuda_malloc(&dl, std::max<size_t>(nl, 1) * 4);
        if (e == TFK_OK) e = tfk_cuda_memcpy_h2d(dq, x.q.data(), x.q.size() * 4);
        if (e == TFK_OK) e = tfk_cuda_memcpy_h2d(dk, x.k.data(), x.k.size() * 4);
        if (e == TFK_OK) e = tfk_cuda_memcpy_h2d(dvp, x.v.data(), x.v.size() * 4);
        tfk_block_view w = v;
        w.q = static_cast<const float *>(dq);
        w.k = static_cast<const float *>(dk);
        w.v = static_cast<const float *>(dvp);
        if (e == TFK_OK) e = tfk_block_attn_cuda(&w, static_cast<float *>(dout), static_cast<float *>(dl), nullptr);
        if (e == TFK_OK) e = tfk_cuda_synchronize(nullptr);
        std::vector<float> o(no), l(nl);
        if (e == TFK_OK && no > 0) e = tfk_cuda_memcpy_d2h(o.data(), dout, no * 4);
        if (e == TFK_OK && nl > 0) e = tfk_cuda_memcpy_d2h(l.data(), dl, nl * 4);
        EXPECT(e == TFK_OK, "CUDA rc=%d (%s)", e, tfk_cuda_last_error());
        double worst = 0;
        if (e == TFK_OK) EXPECT(close(o, l, ro, rl, c.dv, vmax, &worst), "cuda differs from ref");
        for (void * p : {dq, dk, dvp, dout, dl}) tfk_cuda_free(p);
    }
}

void merge_properties(std::mt19937 & rng) {
    std::normal_distribution<float> normal(0.0f, 3.0f);
    const int64_t rows = 37, dv = 19;
    std::vector<float> o[3], l[3];
    for (int s = 0; s < 3; ++s) {
        o[s].resize(rows * dv);
        l[s].resize(rows);
        for (float & x : o[s]) x = normal(rng);
        for (float & x : l[s]) x = normal(rng);
    }
    l[1][3] = -kInf;  // a side without visible keys
    l[0][5] = l[1][5] = -kInf;
    // commutative, bit for bit
    std::vector<float> ab_o = o[0], ab_l = l[0], ba_o = o[1], ba_l = l[1];
    EXPECT(tfk_attn_merge(ab_o.data(), ab_l.data(), o[1].data(), l[1].data(), rows, dv) == TFK_OK, "merge ab");
    EXPECT(tfk_attn_merge(ba_o.data(), ba_l.data(), o[0].data(), l[0].data(), rows, dv) == TFK_OK, "merge ba");
    EXPECT(std::memcmp(ab_o.data(), ba_o.data(), ab_o.size() * 4) == 0 && std::memcmp(ab_l.data(), ba_l.data(), ab_l.size() * 4) == 0,
           "merge is not commutative");
    // -inf side: the other side unchanged; both -inf: (0, -inf)
    for (int64_t c = 0; c < dv; ++c) EXPECT(ab_o[3 * dv + c] == o[0][3 * dv + c], "a -inf side changed the row");
    EXPECT(ab_l[3] == l[0][3], "a -inf side changed the lse");
    EXPECT(ab_l[5] == -kInf && ab_o[5 * dv] == 0.0f, "two -inf sides");
    // associative within rounding: (a+b)+c vs a+(b+c)
    std::vector<float> bc_o = o[1], bc_l = l[1], abc_o = ab_o, abc_l = ab_l, a_bc_o = o[0], a_bc_l = l[0];
    EXPECT(tfk_attn_merge(abc_o.data(), abc_l.data(), o[2].data(), l[2].data(), rows, dv) == TFK_OK, "merge");
    EXPECT(tfk_attn_merge(bc_o.data(), bc_l.data(), o[2].data(), l[2].data(), rows, dv) == TFK_OK, "merge");
    EXPECT(tfk_attn_merge(a_bc_o.data(), a_bc_l.data(), bc_o.data(), bc_l.data(), rows, dv) == TFK_OK, "merge");
    int bad = 0;
    for (int64_t r = 0; r < rows; ++r) {
        if (std::fabs(abc_l[r] - a_bc_l[r]) > 1e-6 * std::max(1.0f, std::fabs(abc_l[r]))) ++bad;
        for (int64_t c = 0; c < dv; ++c) {
            const float a = abc_o[r * dv + c], b = a_bc_o[r * dv + c];
            if (std::fabs(a - b) > 1e-6f * std::max(1.0f, std::fabs(a))) ++bad;
        }
    }
    EXPECT(bad == 0, "merge not associative within rounding: %d values", bad);
    // the exact formula on one row
    {
        const double la = l[0][0], lb = l[1][0], m = std::max(la, lb);
        const double lexp = m + std::log(std::exp(la - m) + std::exp(lb - m));
        EXPECT(std::fabs(ab_l[0] - lexp) <= 1e-6 * std::max(1.0, std::fabs(lexp)), "lse formula");
        const double want = std::exp(la - lexp) * o[0][0] + std::exp(lb - lexp) * o[1][0];
        EXPECT(std::fabs(ab_o[0] - want) <= 1e-6 * std::max(1.0, std::fabs(want)), "out formula");
    }
    if (g_cuda) {
        void *da = nullptr, *dla = nullptr, *db = nullptr, *dlb = nullptr;
        int e = tfk_cuda_malloc(&da, o[0].size() * 4);
        if (e == TFK_OK) e = tfk_cuda_malloc(&dla, rows * 4);
        if (e == TFK_OK) e = tfk_cuda_malloc(&db, o[1].size() * 4);
        if (e == TFK_OK) e = tfk_cuda_malloc(&dlb, rows * 4);
        if (e == TFK_OK) e = tfk_cuda_memcpy_h2d(da, o[0].data(), o[0].size() * 4);
        if (e == TFK_OK) e = tfk_cuda_memcpy_h2d(dla, l[0].data(), rows * 4);
        if (e == TFK_OK) e = tfk_cuda_memcpy_h2d(db, o[1].data(), o[1].size() * 4);
        if (e == TFK_OK) e = tfk_cuda_memcpy_h2d(dlb, l[1].data(), rows * 4);
        if (e == TFK_OK) e = tfk_attn_merge_cuda(static_cast<float *>(da), static_cast<float *>(dla), static_cast<float *>(db),
                                                 static_cast<float *>(dlb), rows, dv, nullptr);
        if (e == TFK_OK) e = tfk_cuda_synchronize(nullptr);
        std::vector<float> go(o[0].size()), gl(rows);
        if (e == TFK_OK) e = tfk_cuda_memcpy_d2h(go.data(), da, go.size() * 4);
        if (e == TFK_OK) e = tfk_cuda_memcpy_d2h(gl.data(), dla, rows * 4);
        EXPECT(e == TFK_OK, "CUDA merge rc=%d (%s)", e, tfk_cuda_last_error());
        int far = 0;
        for (size_t i = 0; i < go.size(); ++i) far += std::fabs(go[i] - ab_o[i]) > 2 * std::nextafter(std::fabs(ab_o[i]), kInf) - 2 * std::fabs(ab_o[i]) + 1e-37f;
        for (int64_t r = 0; r < rows; ++r) far += !(gl[r] == ab_l[r] || std::fabs(gl[r] - ab_l[r]) <= 2 * (std::nextafter(std::fabs(ab_l[r]), kInf) - std::fabs(ab_l[r])));
        EXPECT(far == 0, "CUDA merge differs from the CPU by more than 1 ulp in %d values", far);
        for (void * p : {da, dla, db, dlb}) tfk_cuda_free(p);
    }
}

void validation() {
    std::mt19937 rng(3);
    Data x = make(Case{8, 8, 2, 1, 3, 5, false, 0, 0, 0}, rng);
    std::vector<float> o(3 * 2 * 8, 7.0f), l(6, 7.0f);
    using Fn = int (*)(const tfk_block_view *, float *, float *);
    auto cpu = [](const tfk_block_view * v, float * a, float * b) { return tfk_block_attn(v, a, b, 2); };
    auto cuda = [](const tfk_block_view * v, float * a, float * b) {
        const int r = tfk_block_attn_cuda(v, a, b, nullptr);
        return r == TFK_ERR_NO_CUDA ? TFK_OK : r;
    };
    const Fn fns[] = {tfk_block_attn_ref, cpu, cuda};
    for (Fn f : fns) {
        tfk_block_view w = x.view;
        EXPECT(f(nullptr, o.data(), l.data()) == TFK_ERR_NULL, "null view");
        EXPECT(f(&w, nullptr, l.data()) == TFK_ERR_NULL, "null out");
        EXPECT(f(&w, o.data(), nullptr) == TFK_ERR_NULL, "null lse");
        w.k = nullptr;
        EXPECT(f(&w, o.data(), l.data()) == TFK_ERR_NULL, "null k");
        w = x.view;
        w.n_head = 3;
        w.n_head_kv = 2;
        EXPECT(f(&w, o.data(), l.data()) == TFK_ERR_BAD_SHAPE, "n_head %% n_head_kv");
        w = x.view;
        w.n_kv = -1;
        EXPECT(f(&w, o.data(), l.data()) == TFK_ERR_BAD_SHAPE, "n_kv < 0");
        w = x.view;
        w.causal = 2;
        EXPECT(f(&w, o.data(), l.data()) == TFK_ERR_BAD_ARG, "causal 2");
        w = x.view;
        w.scale = std::numeric_limits<float>::quiet_NaN();
        EXPECT(f(&w, o.data(), l.data()) == TFK_ERR_BAD_ARG, "scale NaN");
        w = x.view;
        w.v_row_stride = 4;
        EXPECT(f(&w, o.data(), l.data()) == TFK_ERR_BAD_STRIDE, "v stride < dv");
        w = x.view;
        w.q_row_stride = INT64_MAX / 2;
        EXPECT(f(&w, o.data(), l.data()) == TFK_ERR_BAD_SHAPE, "q extent overflow");
    }
    EXPECT(o[0] == 7.0f && l[0] == 7.0f, "outputs written on error");
    EXPECT(tfk_attn_merge(nullptr, l.data(), o.data(), l.data(), 2, 8) == TFK_ERR_NULL, "merge null");
    EXPECT(tfk_attn_merge(nullptr, nullptr, nullptr, nullptr, 0, 8) == TFK_OK, "merge of 0 rows");
    EXPECT(tfk_attn_merge(o.data(), l.data(), o.data() + 16, l.data() + 2, -1, 8) == TFK_ERR_BAD_SHAPE, "merge rows < 0");
    EXPECT(tfk_attn_merge(o.data(), l.data(), o.data() + 16, l.data() + 2, 2, 0) == TFK_ERR_BAD_SHAPE, "merge dv 0");
    // no visible key at all (n_kv == 0): (0, -inf) rows
    tfk_block_view w = x.view;
    w.n_kv = 0;
    EXPECT(tfk_block_attn(&w, o.data(), l.data(), 1) == TFK_OK && l[0] == -kInf && o[0] == 0.0f, "n_kv 0");
}

} // namespace

int main() {
    g_cuda = tfk_cuda_available() != 0;
    std::printf("block_attn: CPU ISA %s, CUDA %s\n", tfk_cpu_isa(), g_cuda ? "present" : "absent (CUDA checks skipped: no GPU)");
    std::mt19937 rng(20261204);
    const Case cases[] = {
        {64, 64, 8, 8, 17, 129, false, 0, 0, 0},
        {64, 64, 8, 2, 33, 257, false, 0, 0, 3},     // GQA, padded strides
        {128, 128, 4, 1, 5, 1000, false, 0, 0, 0},   // long key block
        {40, 24, 6, 3, 31, 47, true, 47, 0, 1},      // causal, queries after the keys (all visible)
        {32, 32, 4, 4, 64, 64, true, 0, 0, 0},       // causal diagonal block
        {32, 48, 4, 2, 30, 50, true, 10, 30, 2},     // causal, some rows see no key
        {9, 7, 3, 1, 11, 13, false, 0, 0, 1},        // odd sizes below one SIMD width
        {16, 16, 2, 2, 0, 8, false, 0, 0, 0},        // no query rows
        {16, 16, 2, 2, 4, 1, false, 0, 0, 0},        // one key
    };
    for (const Case & c : cases) run_case(c, rng);
    for (int rep = 0; rep < 20; ++rep) {
        std::uniform_int_distribution<int64_t> small(1, 70);
        const int64_t hkv = std::uniform_int_distribution<int64_t>(1, 3)(rng);
        Case c{small(rng), small(rng), hkv * std::uniform_int_distribution<int64_t>(1, 3)(rng), hkv, small(rng),
               std::uniform_int_distribution<int64_t>(1, 300)(rng), (rep % 2) == 1, 0, 0,
               std::uniform_int_distribution<int64_t>(0, 3)(rng)};
        if (c.causal) {
            c.k_pos0 = std::uniform_int_distribution<int64_t>(0, 200)(rng);
            c.q_pos0 = std::uniform_int_distribution<int64_t>(0, 400)(rng);
        }
        run_case(c, rng);
    }
    merge_properties(rng);
    validation();
    std::printf("block_attn: %d checks, %d failures\n", g_checks, g_failures);
    std::printf("%s\n", g_failures == 0 ? "PASS" : "FAIL");
    return g_failures == 0 ? 0 : 1;
}

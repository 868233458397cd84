// Tests of the sparse-attention kernels: tfk::quest_page_meta_*, quest_page_scores_* and select_topk_*.
// Exit code != 0 on any failure.
//
//  - quest_page_meta / quest_page_scores: seeded random q, k ~ N(0,1) (F16 and F32 q and k; GQA 1, 2,
//    4 and 8; masks (F32/F16) with -inf holes, a fully masked page and a fully masked tail; odd page
//    sizes, a last partial page, P = 1 and P > n_kv; padded/head-major layouts whose padding is NaN, so
//    reading it would poison the result); _cpu (threads 1, 2, 3, auto), the flat C entries and, with a
//    GPU, _cuda against _ref bit for bit; incremental updates write only [page_begin, page_end);
//    properties: every valid key lies in [m, M]; every score >= max over the page's valid cells of
//    q.k (evaluated in double) for every head of the group, and empty pages score -inf.
//  - select_topk: hand-made lists (ties, -0/+0, NaN, +-inf, all -inf), random lists with ties and
//    holes (n_cols up to 65536, k 1 .. 4096, k >= n_cols, padded strides, many lists) compared bit for
//    bit (indptr and indices) with _ref, which is itself checked against a brute-force definition.
//  - error codes for null pointers, bad shapes/strides/arguments/k, with outputs untouched.
#include "tfkernels.h"
#include "check.h"
#include "f16_util.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

namespace {

using tfk_test::bits;
using tfk_test::f2h;
using tfk_test::h2f;

const float kInf = std::numeric_limits<float>::infinity();
const float kNaN = std::numeric_limits<float>::quiet_NaN();
bool g_cuda = false;
const int kThreads[] = {1, 2, 3, 0};




void set_dtype(tfk_dtype & t, int32_t x) { std::memcpy(&t, &x, sizeof x); }  // any int, as a caller may store

int64_t esize(tfk_dtype t) { return t == TFK_F32 ? 4 : 2; }

// Byte buffer of one dtype, filled with NaN (the padding value); 4-byte aligned.
struct Buf {
    std::vector<float> storage;
    tfk_dtype type = TFK_F32;
    void init(int64_t bytes, tfk_dtype t) {
        type = t;
        storage.assign(static_cast<size_t>((bytes + 3) / 4) + 1, kNaN);
        if (t == TFK_F16) {
            const uint16_t nan = 0x7e00u;
            for (size_t o = 0; o + 2 <= storage.size() * 4; o += 2) std::memcpy(data() + o, &nan, 2);
        }
    }
    unsigned char * data() { return reinterpret_cast<unsigned char *>(storage.data()); }
    size_t bytes() const { return storage.size() * sizeof(float); }
    // Stores x (rounded to the dtype) and returns the stored value as float.
    float put(int64_t off, float x) {
        if (type == TFK_F32) {
            std::memcpy(data() + off, &x, 4);
            return x;
        }
        const uint16_t h = f2h(x);
        std::memcpy(data() + off, &h, 2);
        return h2f(h);
    }
};

enum class MaskKind { None, Holes, HolesAndDeadTail };

struct Case {
    int64_t d, H, Hkv, R, N, P;
    tfk_dtype qt, kt;
    MaskKind mask;
    tfk_dtype mt;
    bool k_head_major;
    int64_t pad;
};

struct Inputs {
    Buf q, k, mask;
    tfk_attn_view v{};
    std::vector<float> qf, kf;  // stored values: qf[(r*H + h)*d + i], kf[(j*Hkv + g)*d + i]
    std::vector<bool> valid;    // per cell
};

Inputs make_inputs(const Case & c, std::mt19937 & rng) {
    Inputs in;
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_int_distribution<int> pct(0, 99);
    tfk_attn_view & v = in.v;
    v.head_dim = c.d;
    v.n_head = c.H;
    v.n_head_kv = c.Hkv;
    v.n_rows = c.R;
    v.n_kv = c.N;
    v.scale = 1.0f / std::sqrt(static_cast<float>(c.d));
    const int64_t qe = esize(c.qt), ke = esize(c.kt);
    // q: [row][head][d] with padding after each head vector
    v.q_type = c.qt;
    v.q_head_stride = (c.d + c.pad) * qe;
    v.q_row_stride = c.H * v.q_head_stride;
    const int64_t rows = std::max<int64_t>(c.R, 1);
    in.q.init(rows * v.q_row_stride, c.qt);
    in.qf.assign(static_cast<size_t>(rows * c.H * c.d), 0.0f);
    for (int64_t r = 0; r < c.R; ++r)
        for (int64_t h = 0; h < c.H; ++h)
            for (int64_t i = 0; i < c.d; ++i) {
                float x = normal(rng);
                if (pct(rng) < 5) x = 0.0f;  // exact zeros in q (the q_d == 0 rule)
                in.qf[static_cast<size_t>((r * c.H + h) * c.d + i)] =
                    in.q.put(r * v.q_row_stride + h * v.q_head_stride + i * qe, x);
            }
    v.q = in.q.data();
    // k: cell-major (llama.cpp) or head-major
    v.k_type = c.kt;
    if (c.k_head_major) {
        v.k_cell_stride = (c.d + c.pad) * ke;
        v.k_head_stride = c.N * v.k_cell_stride;
        in.k.init(c.Hkv * v.k_head_stride, c.kt);
    } else {
        v.k_head_stride = (c.d + c.pad) * ke;
        v.k_cell_stride = c.Hkv * v.k_head_stride;
        in.k.init(c.N * v.k_cell_stride, c.kt);
    }
    in.kf.assign(static_cast<size_t>(c.N * c.Hkv * c.d), 0.0f);
    for (int64_t j = 0; j < c.N; ++j)
        for (int64_t g = 0; g < c.Hkv; ++g)
            for (int64_t i = 0; i < c.d; ++i) {
                float x = normal(rng);
                if (pct(rng) < 3) x = (pct(rng) < 50) ? 0.0f : -0.0f;  // signed zeros
                in.kf[static_cast<size_t>((j * c.Hkv + g) * c.d + i)] =
                    in.k.put(j * v.k_cell_stride + g * v.k_head_stride + i * ke, x);
            }
    v.k = in.k.data();
    // mask: row 0 decides validity; other rows hold garbage-but-finite values (ignored)
    in.valid.assign(static_cast<size_t>(c.N), true);
    if (c.mask != MaskKind::None) {
        const int64_t me = esize(c.mt);
        v.mask_type = c.mt;
        v.mask_row_stride = (c.N + c.pad) * me;
        in.mask.init(rows * v.mask_row_stride, c.mt);
        for (int64_t r = 0; r < rows; ++r)
            for (int64_t j = 0; j < c.N; ++j) {
                float m = 0.0f;
                if (r == 0) {
                    const bool dead_page = c.N > 2 * c.P && j / c.P == 1;  // page 1 fully masked
                    const bool dead_tail = c.mask == MaskKind::HolesAndDeadTail && j >= c.N - std::min<int64_t>(c.N / 4, c.P + 1);
                    if (dead_page || dead_tail || pct(rng) < 20) m = -kInf;
                    else if (pct(rng) < 10) m = -0.5f;  // finite bias: still valid
                    in.valid[static_cast<size_t>(j)] = m != -kInf;
                } else {
                    m = pct(rng) < 50 ? -kInf : 0.0f;
                }
                in.mask.put(r * v.mask_row_stride + j * me, m);
            }
        v.mask = in.mask.data();
    }
    return in;
}

bool same_bits(const std::vector<float> & a, const std::vector<float> & b) {
    // (an empty vector's data() may be null, which memcmp must not get even for 0 bytes)
    return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

size_t first_diff(const std::vector<float> & a, const std::vector<float> & b) {
    for (size_t i = 0; i < a.size(); ++i)
        if (bits(a[i]) != bits(b[i])) return i;
    return a.size();
}

// --- CUDA helpers (used only with a GPU) ---
struct Dev {
    void * p = nullptr;
    int rc = TFK_OK;
    Dev(const void * host, size_t bytes) {
        rc = tfk_cuda_malloc(&p, std::max<size_t>(bytes, 4));
        if (rc == TFK_OK && host != nullptr && bytes > 0) rc = tfk_cuda_memcpy_h2d(p, host, bytes);
    }
    ~Dev() { tfk_cuda_free(p); }
    Dev(const Dev &) = delete;
    Dev & operator=(const Dev &) = delete;
};

tfk_attn_view device_view(const tfk_attn_view & v, Dev & dq, Dev & dk, Dev * dm) {
    tfk_attn_view w = v;
    w.q = dq.p;
    w.k = dk.p;
    w.mask = dm != nullptr ? dm->p : nullptr;
    return w;
}

void run_case(const Case & c, std::mt19937 & rng) {
    Inputs in = make_inputs(c, rng);
    const tfk_attn_view & v = in.v;
    const int64_t n_pages = (c.N - 1) / c.P + 1;
    const size_t n_meta = static_cast<size_t>(n_pages * c.Hkv * c.d);
    std::printf("  d=%" PRId64 " H=%" PRId64 " Hkv=%" PRId64 " R=%" PRId64 " N=%" PRId64 " P=%" PRId64
                " q=%s k=%s mask=%d pad=%" PRId64 "%s\n",
                c.d, c.H, c.Hkv, c.R, c.N, c.P, c.qt == TFK_F32 ? "f32" : "f16", c.kt == TFK_F32 ? "f32" : "f16",
                static_cast<int>(c.mask), c.pad, c.k_head_major ? " k-head-major" : "");

    // page_meta: ref, then cpu / C entry / cuda bit for bit
    std::vector<float> mn_ref(n_meta, 7.0f), mx_ref(n_meta, 7.0f);
    int rc = tfk::quest_page_meta_ref(&v, c.P, 0, n_pages, mn_ref.data(), mx_ref.data());
    EXPECT(rc == TFK_OK, "meta ref rc=%d", rc);
    for (int t : kThreads) {
        std::vector<float> mn(n_meta, 7.0f), mx(n_meta, 7.0f);
        rc = tfk::quest_page_meta_cpu(&v, c.P, 0, n_pages, mn.data(), mx.data(), t);
        EXPECT(rc == TFK_OK && same_bits(mn, mn_ref) && same_bits(mx, mx_ref), "meta cpu threads=%d rc=%d diff at %zu/%zu",
               t, rc, first_diff(mn, mn_ref), first_diff(mx, mx_ref));
    }
    {
        std::vector<float> mn(n_meta, 7.0f), mx(n_meta, 7.0f);
        rc = tfk_quest_page_meta(&v, c.P, 0, n_pages, mn.data(), mx.data(), 2);
        EXPECT(rc == TFK_OK && same_bits(mn, mn_ref) && same_bits(mx, mx_ref), "tfk_quest_page_meta rc=%d", rc);
    }
    // incremental: only [b, e) written
    for (int rep = 0; rep < 3; ++rep) {
        const int64_t b = std::uniform_int_distribution<int64_t>(0, n_pages)(rng);
        const int64_t e = std::uniform_int_distribution<int64_t>(b, n_pages)(rng);
        std::vector<float> mn(n_meta, 7.0f), mx(n_meta, 7.0f), mn_r(n_meta, 7.0f), mx_r(n_meta, 7.0f);
        rc = tfk::quest_page_meta_cpu(&v, c.P, b, e, mn.data(), mx.data(), 3);
        const int rc2 = tfk::quest_page_meta_ref(&v, c.P, b, e, mn_r.data(), mx_r.data());
        bool ok = rc == TFK_OK && rc2 == TFK_OK && same_bits(mn, mn_r) && same_bits(mx, mx_r);
        for (size_t i = 0; i < n_meta && ok; ++i) {
            const int64_t p = static_cast<int64_t>(i) / (c.Hkv * c.d);
            const bool inside = p >= b && p < e;
            ok = inside ? (bits(mn[i]) == bits(mn_ref[i]) && bits(mx[i]) == bits(mx_ref[i])) : (mn[i] == 7.0f && mx[i] == 7.0f);
        }
        EXPECT(ok, "meta incremental [%" PRId64 ", %" PRId64 ") rc=%d/%d", b, e, rc, rc2);
    }
    // property: valid keys inside [m, M]; empty pages (+inf, -inf); non-empty pages m <= M
    {
        bool ok = true;
        for (int64_t p = 0; p < n_pages && ok; ++p) {
            bool any = false;
            for (int64_t j = p * c.P; j < std::min(c.N, (p + 1) * c.P); ++j) any = any || in.valid[static_cast<size_t>(j)];
            for (int64_t g = 0; g < c.Hkv && ok; ++g)
                for (int64_t i = 0; i < c.d && ok; ++i) {
                    const size_t o = static_cast<size_t>((p * c.Hkv + g) * c.d + i);
                    if (!any) {
                        ok = mn_ref[o] == kInf && mx_ref[o] == -kInf;
                        continue;
                    }
                    float lo = kInf, hi = -kInf;
                    for (int64_t j = p * c.P; j < std::min(c.N, (p + 1) * c.P); ++j) {
                        if (!in.valid[static_cast<size_t>(j)]) continue;
                        const float x = in.kf[static_cast<size_t>((j * c.Hkv + g) * c.d + i)];
                        lo = std::min(lo, x);
                        hi = std::max(hi, x);
                    }
                    ok = mn_ref[o] == lo && mx_ref[o] == hi;  // == : -0 vs +0 may differ in sign only
                }
        }
        EXPECT(ok, "meta: bounds differ from the brute-force min/max over valid cells");
    }

    // page_scores
    const size_t n_out = static_cast<size_t>(std::max<int64_t>(c.R, 0) * c.Hkv * n_pages);
    std::vector<float> sc_ref(n_out, 7.0f);
    sc_ref.reserve(n_out + 1);  // data() non-null even for 0 rows
    rc = tfk::quest_page_scores_ref(&v, mn_ref.data(), mx_ref.data(), c.P, n_pages, sc_ref.data());
    EXPECT(rc == TFK_OK, "scores ref rc=%d", rc);
    // The optimized CPU version: float terms plus a rounding bound, so >= ref and above it by at most
    // (d+2) * 2^-22 * sum_i |q_i * bound_i| (max over the group's heads; + 2^-126 for underflow), -inf
    // exactly where ref has it; identical bits for every thread count.
    auto within_bound = [&](const std::vector<float> & sc, int64_t np) {
        const int64_t group = c.H / c.Hkv;
        for (int64_t r = 0; r < c.R; ++r)
            for (int64_t g = 0; g < c.Hkv; ++g)
                for (int64_t p = 0; p < np; ++p) {
                    const float x = sc[static_cast<size_t>((r * c.Hkv + g) * np + p)];
                    const float y = sc_ref[static_cast<size_t>((r * c.Hkv + g) * n_pages + p)];
                    if (y == -kInf) {
                        if (x != -kInf) return false;
                        continue;
                    }
                    double tol = 0.0;
                    for (int64_t h = g * group; h < (g + 1) * group; ++h) {
                        const float * qh = in.qf.data() + (r * c.H + h) * c.d;
                        const size_t o = static_cast<size_t>((p * c.Hkv + g) * c.d);
                        double a = 0.0;
                        for (int64_t i = 0; i < c.d; ++i)
                            a += std::fabs(static_cast<double>(qh[i]) * (qh[i] > 0 ? mx_ref[o + i] : mn_ref[o + i]));
                        tol = std::max(tol, static_cast<double>(c.d + 2) * 0x1p-22 * a);
                    }
                    if (!(x >= y) || static_cast<double>(x) > static_cast<double>(y) + tol + 0x1p-126) return false;
                }
        return true;
    };
    std::vector<float> sc_cpu;
    for (int t : kThreads) {
        std::vector<float> sc(n_out, 7.0f);
        sc.reserve(n_out + 1);
        rc = tfk::quest_page_scores_cpu(&v, mn_ref.data(), mx_ref.data(), c.P, n_pages, sc.data(), t);
        EXPECT(rc == TFK_OK && within_bound(sc, n_pages), "scores cpu threads=%d rc=%d: not within the bound of ref", t, rc);
        if (sc_cpu.empty()) sc_cpu = sc;
        EXPECT(same_bits(sc, sc_cpu), "scores cpu threads=%d differ from threads=%d at %zu", t, kThreads[0],
               first_diff(sc, sc_cpu));
    }
    {
        std::vector<float> sc(n_out, 7.0f);
        sc.reserve(n_out + 1);
        rc = tfk_quest_page_scores(&v, mn_ref.data(), mx_ref.data(), c.P, n_pages, sc.data(), 0);
        EXPECT(rc == TFK_OK && same_bits(sc, sc_cpu), "tfk_quest_page_scores rc=%d", rc);
        // fewer pages than the cache has: a prefix of each list's scores
        if (n_pages > 1) {
            const int64_t np = n_pages - 1;
            std::vector<float> sp(static_cast<size_t>(c.R * c.Hkv * np), 7.0f);
            sp.reserve(sp.size() + 1);
            rc = tfk::quest_page_scores_cpu(&v, mn_ref.data(), mx_ref.data(), c.P, np, sp.data(), 2);
            bool ok = rc == TFK_OK;
            for (int64_t l = 0; l < c.R * c.Hkv && ok; ++l)
                ok = std::memcmp(sp.data() + l * np, sc_cpu.data() + l * n_pages, static_cast<size_t>(np) * 4) == 0;
            EXPECT(ok, "scores with n_pages - 1 differ from the prefix");
        }
    }
    // property (double): score >= q.k for every valid key of the page and every head of the group
    {
        const int64_t group = c.H / c.Hkv;
        int bad = 0, empty_bad = 0;
        for (int64_t r = 0; r < c.R; ++r)
            for (int64_t h = 0; h < c.H; ++h) {
                const int64_t g = h / group;
                const float * qh = in.qf.data() + (r * c.H + h) * c.d;
                for (int64_t p = 0; p < n_pages; ++p) {
                    const float s = sc_ref[static_cast<size_t>((r * c.Hkv + g) * n_pages + p)];
                    bool any = false;
                    for (int64_t j = p * c.P; j < std::min(c.N, (p + 1) * c.P); ++j) {
                        if (!in.valid[static_cast<size_t>(j)]) continue;
                        any = true;
                        const float * kj = in.kf.data() + (j * c.Hkv + g) * c.d;
                        double dot = 0.0, mag = 0.0;
                        for (int64_t i = 0; i < c.d; ++i) {
                            dot += static_cast<double>(qh[i]) * static_cast<double>(kj[i]);
                            mag += std::fabs(static_cast<double>(qh[i]) * static_cast<double>(kj[i]));
                        }
                        // slack: double rounding of the two sums (d * 2^-52 * sum |q_i k_i|)
                        if (static_cast<double>(s) < dot - static_cast<double>(c.d) * 0x1p-52 * mag) ++bad;
                    }
                    if (!any && s != -kInf) ++empty_bad;
                }
            }
        EXPECT(bad == 0 && empty_bad == 0, "upper-bound property violated %d times, empty pages not -inf %d times", bad,
               empty_bad);
    }

    // select_topk on the scores: lists = rows x key heads
    const int64_t n_lists = c.R * c.Hkv;
    for (int64_t k : {int64_t{1}, int64_t{3}, std::max<int64_t>(1, n_pages / 4), n_pages, n_pages + 5}) {
        const size_t room = static_cast<size_t>(n_lists * std::min(k, n_pages)) + 1;
        std::vector<int64_t> ip_ref(static_cast<size_t>(n_lists) + 1, -5);
        std::vector<int32_t> ix_ref(room, -5);
        rc = tfk::select_topk_ref(sc_ref.data(), n_lists, n_pages, n_pages, k, ip_ref.data(), ix_ref.data());
        EXPECT(rc == TFK_OK, "select ref rc=%d", rc);
        for (int t : kThreads) {
            std::vector<int64_t> ip(static_cast<size_t>(n_lists) + 1, -5);
            std::vector<int32_t> ix(room, -5);
            rc = tfk::select_topk_cpu(sc_ref.data(), n_lists, n_pages, n_pages, k, ip.data(), ix.data(), t);
            const size_t used = static_cast<size_t>(ip_ref.back());
            EXPECT(rc == TFK_OK && ip == ip_ref && std::equal(ix.begin(), ix.begin() + used, ix_ref.begin()),
                   "select on scores cpu threads=%d k=%" PRId64 " rc=%d", t, k, rc);
        }
    }

    if (g_cuda) {
        Dev dq(in.q.data(), in.q.bytes()), dk(in.k.data(), in.k.bytes());
        Dev dm(v.mask != nullptr ? in.mask.data() : nullptr, v.mask != nullptr ? in.mask.bytes() : 4);
        Dev dmn(nullptr, n_meta * 4), dmx(nullptr, n_meta * 4), dsc(nullptr, std::max<size_t>(n_out, 1) * 4);
        int e = dq.rc != TFK_OK ? dq.rc : dk.rc != TFK_OK ? dk.rc : dm.rc != TFK_OK ? dm.rc : dmn.rc != TFK_OK ? dmn.rc : dmx.rc != TFK_OK ? dmx.rc : dsc.rc;
        tfk_attn_view w = device_view(v, dq, dk, v.mask != nullptr ? &dm : nullptr);
        std::vector<float> mn(n_meta), mx(n_meta), sc(n_out);
        if (e == TFK_OK) e = tfk_quest_page_meta_cuda(&w, c.P, 0, n_pages, static_cast<float *>(dmn.p), static_cast<float *>(dmx.p), nullptr);
        if (e == TFK_OK) e = tfk_quest_page_scores_cuda(&w, static_cast<float *>(dmn.p), static_cast<float *>(dmx.p), c.P, n_pages, static_cast<float *>(dsc.p), nullptr);
        if (e == TFK_OK) e = tfk_cuda_synchronize(nullptr);
        if (e == TFK_OK) e = tfk_cuda_memcpy_d2h(mn.data(), dmn.p, n_meta * 4);
        if (e == TFK_OK) e = tfk_cuda_memcpy_d2h(mx.data(), dmx.p, n_meta * 4);
        if (e == TFK_OK && n_out > 0) e = tfk_cuda_memcpy_d2h(sc.data(), dsc.p, n_out * 4);
        EXPECT(e == TFK_OK, "CUDA rc=%d (%s) %s", e, tfk_status_str(e), tfk_cuda_last_error());
        if (e == TFK_OK) {
            EXPECT(same_bits(mn, mn_ref) && same_bits(mx, mx_ref), "meta cuda differs at %zu/%zu", first_diff(mn, mn_ref),
                   first_diff(mx, mx_ref));
            EXPECT(same_bits(sc, sc_ref), "scores cuda differs at %zu", first_diff(sc, sc_ref));
        }
    }
}

// --- select_topk ---

// Brute force from the definition: repeatedly take the largest qualifying value not yet taken
// (lowest column among equals), k times; then sort ascending.
std::vector<int32_t> brute_select(const float * s, int64_t n, int64_t k) {
    std::vector<bool> taken(static_cast<size_t>(n), false);
    std::vector<int32_t> out;
    for (int64_t t = 0; t < k; ++t) {
        int64_t best = -1;
        for (int64_t c = 0; c < n; ++c) {
            if (taken[static_cast<size_t>(c)] || std::isnan(s[c]) || s[c] == -kInf) continue;
            if (best < 0 || s[c] > s[best]) best = c;
        }
        if (best < 0) break;
        taken[static_cast<size_t>(best)] = true;
        out.push_back(static_cast<int32_t>(best));
    }
    std::sort(out.begin(), out.end());
    return out;
}

struct SelResult {
    int rc;
    std::vector<int64_t> ip;
    std::vector<int32_t> ix;  // the used prefix only
};

SelResult run_select(int which, const std::vector<float> & s_in, int64_t n_lists, int64_t n_cols, int64_t stride, int64_t k,
                     int threads) {
    SelResult r;
    r.ip.assign(static_cast<size_t>(n_lists) + 1, -5);
    const std::vector<float> one(1, 0.0f);
    const std::vector<float> & s = s_in.empty() ? one : s_in;  // a valid pointer for 0 lists
    std::vector<int32_t> ix(static_cast<size_t>(n_lists * std::min(k, n_cols)) + 1, -5);
    if (which == 0) r.rc = tfk_select_topk_ref(s.data(), n_lists, n_cols, stride, k, r.ip.data(), ix.data());
    else if (which == 1) r.rc = tfk::select_topk_cpu(s.data(), n_lists, n_cols, stride, k, r.ip.data(), ix.data(), threads);
    else {
        Dev ds(s.data(), s.size() * 4), dp(nullptr, r.ip.size() * 8), dx(nullptr, ix.size() * 4);
        r.rc = ds.rc != TFK_OK ? ds.rc : dp.rc != TFK_OK ? dp.rc : dx.rc;
        if (r.rc == TFK_OK)
            r.rc = tfk_select_topk_cuda(static_cast<const float *>(ds.p), n_lists, n_cols, stride, k,
                                        static_cast<int64_t *>(dp.p), static_cast<int32_t *>(dx.p), nullptr);
        if (r.rc == TFK_OK) r.rc = tfk_cuda_synchronize(nullptr);
        if (r.rc == TFK_OK) r.rc = tfk_cuda_memcpy_d2h(r.ip.data(), dp.p, r.ip.size() * 8);
        if (r.rc == TFK_OK) r.rc = tfk_cuda_memcpy_d2h(ix.data(), dx.p, ix.size() * 4);
    }
    if (r.rc == TFK_OK && r.ip.back() >= 0 && r.ip.back() <= static_cast<int64_t>(ix.size()))
        r.ix.assign(ix.begin(), ix.begin() + r.ip.back());
    return r;
}

void test_select_by_hand() {
    std::printf("select_topk: hand-made lists\n");
    // one list: ties, -0/+0, NaN, +-inf
    const std::vector<float> s = {1.0f, kNaN, 3.0f, -kInf, 3.0f, -0.0f, 0.0f, kInf, 1.0f, 3.0f};
    struct { int64_t k; std::vector<int32_t> want; } cases[] = {
        {1, {7}},
        {2, {2, 7}},
        {3, {2, 4, 7}},
        {4, {2, 4, 7, 9}},
        {5, {0, 2, 4, 7, 9}},
        {7, {0, 2, 4, 5, 7, 8, 9}},   // -0 (col 5) before +0 (col 6): the lower column
        {8, {0, 2, 4, 5, 6, 7, 8, 9}},
        {100, {0, 2, 4, 5, 6, 7, 8, 9}},  // NaN and -inf never
    };
    for (const auto & cs : cases)
        for (int which = 0; which < (g_cuda ? 3 : 2); ++which) {
            SelResult r = run_select(which, s, 1, static_cast<int64_t>(s.size()), static_cast<int64_t>(s.size()), cs.k, 2);
            EXPECT(r.rc == TFK_OK && r.ip[0] == 0 && r.ix == cs.want, "hand k=%" PRId64 " version %d rc=%d", cs.k, which, r.rc);
        }
    // three lists: normal, all -inf/NaN (empty), one entry
    const std::vector<float> s3 = {5, 4, 3, 2, -kInf, -kInf, kNaN, -kInf, -kInf, -kInf, 9, -kInf};
    for (int which = 0; which < (g_cuda ? 3 : 2); ++which) {
        SelResult r = run_select(which, s3, 3, 4, 4, 2, 3);
        const std::vector<int64_t> ip_want = {0, 2, 2, 3};
        const std::vector<int32_t> ix_want = {0, 1, 2};
        EXPECT(r.rc == TFK_OK && r.ip == ip_want && r.ix == ix_want, "hand 3 lists version %d rc=%d", which, r.rc);
        SelResult z = run_select(which, s3, 0, 4, 4, 2, 1);
        EXPECT(z.rc == TFK_OK && z.ip.size() == 1 && z.ip[0] == 0, "n_lists 0 version %d", which);
    }
}

void test_select_random(std::mt19937 & rng) {
    struct SC { int64_t lists, cols, pad, k; int kind; };
    // kind 0: N(0,1) with holes; 1: few distinct values (ties); 2: mostly -inf; 3: all -inf/NaN
    const SC cases[] = {
        {1, 1, 0, 1, 0},       {1, 1, 0, 5, 3},      {5, 7, 3, 3, 1},     {64, 100, 0, 10, 0},
        {32, 2048, 16, 64, 1}, {256, 512, 0, 32, 0}, {8, 4096, 0, 4096, 0}, {8, 4096, 1, 5000, 2},
        {3, 65536, 0, 4096, 0}, {2, 65536, 7, 4096, 1}, {1, 65536, 0, 1, 0}, {4, 1000, 0, 999, 1},
        {16, 333, 0, 100, 2},  {6, 50, 0, 7, 3},     {1, 40000, 0, 2048, 2},
    };
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_int_distribution<int> pct(0, 99);
    std::printf("select_topk: cpu (threads 1,2,3,auto)%s vs ref on random lists (bit for bit)\n", g_cuda ? " + cuda" : "");
    for (const SC & c : cases) {
        const int64_t stride = c.cols + c.pad;
        std::vector<float> s(static_cast<size_t>(c.lists * stride), kNaN);
        for (int64_t l = 0; l < c.lists; ++l)
            for (int64_t j = 0; j < c.cols; ++j) {
                float x = c.kind == 1 ? static_cast<float>(pct(rng) % 5) - 2.0f : normal(rng);
                const int u = pct(rng);
                if (c.kind == 3) x = u < 50 ? -kInf : kNaN;
                else if (c.kind == 2 ? u < 90 : u < 8) x = -kInf;
                else if (u < 10) x = kNaN;
                else if (u < 11) x = kInf;
                else if (u < 13) x = (u & 1) ? -0.0f : 0.0f;
                s[static_cast<size_t>(l * stride + j)] = x;
            }
        auto t0 = std::chrono::steady_clock::now();
        SelResult ref = run_select(0, s, c.lists, c.cols, stride, c.k, 1);
        auto t1 = std::chrono::steady_clock::now();
        EXPECT(ref.rc == TFK_OK, "ref rc=%d", ref.rc);
        // the reference against the definition (a few lists of the small cases)
        if (c.cols <= 4096)
            for (int64_t l = 0; l < std::min<int64_t>(c.lists, 4); ++l) {
                const std::vector<int32_t> want = brute_select(s.data() + l * stride, c.cols, std::min<int64_t>(c.k, 600));
                if (c.k > 600) continue;
                const std::vector<int32_t> got(ref.ix.begin() + ref.ip[static_cast<size_t>(l)],
                                               ref.ix.begin() + ref.ip[static_cast<size_t>(l) + 1]);
                EXPECT(got == want, "ref vs brute force list %" PRId64, l);
            }
        double cpu_ms = 0.0;
        for (int t : kThreads) {
            auto a = std::chrono::steady_clock::now();
            SelResult r = run_select(1, s, c.lists, c.cols, stride, c.k, t);
            auto b = std::chrono::steady_clock::now();
            if (t == 1) cpu_ms = std::chrono::duration<double, std::milli>(b - a).count();
            EXPECT(r.rc == TFK_OK && r.ip == ref.ip && r.ix == ref.ix, "select cpu lists=%" PRId64 " cols=%" PRId64
                   " k=%" PRId64 " threads=%d rc=%d", c.lists, c.cols, c.k, t, r.rc);
        }
        if (g_cuda) {
            SelResult r = run_select(2, s, c.lists, c.cols, stride, c.k, 0);
            EXPECT(r.rc == TFK_OK && r.ip == ref.ip && r.ix == ref.ix, "select cuda lists=%" PRId64 " cols=%" PRId64
                   " k=%" PRId64 " rc=%d (%s)", c.lists, c.cols, c.k, r.rc, tfk_cuda_last_error());
        }
        std::printf("  lists=%-4" PRId64 " cols=%-6" PRId64 " k=%-5" PRId64 " kind=%d selected=%-7" PRId64
                    " ref %.2f ms, cpu(1 thread) %.2f ms\n", c.lists, c.cols, c.k, c.kind, ref.ip.back(),
                    std::chrono::duration<double, std::milli>(t1 - t0).count(), cpu_ms);
    }
}

void test_errors() {
    std::printf("error codes\n");
    std::vector<float> kbuf(64, 1.0f), qbuf(64, 1.0f), mins(64, 7.0f), maxs(64, 7.0f), out(64, 7.0f);
    tfk_attn_view v{};
    v.head_dim = 4;
    v.n_head = 2;
    v.n_head_kv = 1;
    v.n_rows = 1;
    v.n_kv = 8;
    v.q = qbuf.data();
    v.q_type = TFK_F32;
    v.q_head_stride = 16;
    v.q_row_stride = 32;
    v.k = kbuf.data();
    v.k_type = TFK_F32;
    v.k_cell_stride = 16;
    v.k_head_stride = 16;
    v.scale = 1.0f;
    const int64_t P = 3;  // 3 pages
    using MetaFn = int (*)(const tfk_attn_view *, int64_t, int64_t, int64_t, float *, float *);
    auto meta_cpu = [](const tfk_attn_view * w, int64_t p, int64_t b, int64_t e, float * a, float * c) {
        return tfk_quest_page_meta(w, p, b, e, a, c, 2);
    };
    auto meta_cuda = [](const tfk_attn_view * w, int64_t p, int64_t b, int64_t e, float * a, float * c) {
        const int r = tfk_quest_page_meta_cuda(w, p, b, e, a, c, nullptr);
        return r == TFK_ERR_NO_CUDA ? TFK_OK : r;  // no GPU: validation passed
    };
    const MetaFn metas[] = {tfk_quest_page_meta_ref, meta_cpu, meta_cuda};
    for (MetaFn f : metas) {
        EXPECT(f(nullptr, P, 0, 3, mins.data(), maxs.data()) == TFK_ERR_NULL, "meta null v");
        EXPECT(f(&v, P, 0, 3, nullptr, maxs.data()) == TFK_ERR_NULL, "meta null mins");
        EXPECT(f(&v, P, 0, 3, mins.data(), nullptr) == TFK_ERR_NULL, "meta null maxs");
        tfk_attn_view w = v;
        w.k = nullptr;
        EXPECT(f(&w, P, 0, 3, mins.data(), maxs.data()) == TFK_ERR_NULL, "meta null k");
        w = v;
        w.q = nullptr;  // q unused by page_meta
        std::vector<float> mn2(64), mx2(64);
        EXPECT(f(&w, P, 0, 3, mn2.data(), mx2.data()) == TFK_OK, "meta q unused");
        EXPECT(f(&v, 0, 0, 3, mins.data(), maxs.data()) == TFK_ERR_BAD_SHAPE, "meta page_size 0");
        EXPECT(f(&v, P, 0, 4, mins.data(), maxs.data()) == TFK_ERR_BAD_SHAPE, "meta page_end > n_pages");
        EXPECT(f(&v, P, 2, 1, mins.data(), maxs.data()) == TFK_ERR_BAD_SHAPE, "meta begin > end");
        EXPECT(f(&v, P, -1, 1, mins.data(), maxs.data()) == TFK_ERR_BAD_SHAPE, "meta begin < 0");
        w = v;
        w.n_kv = 0;
        EXPECT(f(&w, P, 0, 0, mins.data(), maxs.data()) == TFK_ERR_BAD_SHAPE, "meta n_kv 0");
        w = v;
        w.head_dim = 0;
        EXPECT(f(&w, P, 0, 1, mins.data(), maxs.data()) == TFK_ERR_BAD_SHAPE, "meta d 0");
        w = v;
        set_dtype(w.k_type, 7);
        EXPECT(f(&w, P, 0, 1, mins.data(), maxs.data()) == TFK_ERR_BAD_ARG, "meta bad k dtype");
        w = v;
        w.mask = kbuf.data();
        set_dtype(w.mask_type, 9);
        w.mask_row_stride = 32;
        EXPECT(f(&w, P, 0, 1, mins.data(), maxs.data()) == TFK_ERR_BAD_ARG, "meta bad mask dtype");
        w = v;
        w.k = reinterpret_cast<const unsigned char *>(kbuf.data()) + 2;
        EXPECT(f(&w, P, 0, 1, mins.data(), maxs.data()) == TFK_ERR_BAD_ARG, "meta misaligned k");
        EXPECT(f(&v, P, 0, 1, reinterpret_cast<float *>(reinterpret_cast<unsigned char *>(mins.data()) + 1), maxs.data()) ==
                   TFK_ERR_BAD_ARG, "meta misaligned mins");
        w = v;
        w.k_cell_stride = 12;
        EXPECT(f(&w, P, 0, 1, mins.data(), maxs.data()) == TFK_ERR_BAD_STRIDE, "meta small cell stride");
        w = v;
        w.k_head_stride = 18;
        EXPECT(f(&w, P, 0, 1, mins.data(), maxs.data()) == TFK_ERR_BAD_STRIDE, "meta stride not a multiple");
        w = v;
        w.mask = kbuf.data();
        w.mask_type = TFK_F32;
        w.mask_row_stride = 28;
        EXPECT(f(&w, P, 0, 1, mins.data(), maxs.data()) == TFK_ERR_BAD_STRIDE, "meta small mask stride");
        w = v;
        w.k_cell_stride = INT64_MAX / 16 * 4;
        EXPECT(f(&w, P, 0, 1, mins.data(), maxs.data()) == TFK_ERR_BAD_SHAPE, "meta extent overflow");
    }
    EXPECT(mins[0] == 7.0f && maxs[0] == 7.0f, "meta outputs written on error");

    using ScoreFn = int (*)(const tfk_attn_view *, const float *, const float *, int64_t, int64_t, float *);
    auto sc_cpu = [](const tfk_attn_view * w, const float * a, const float * b, int64_t p, int64_t n, float * o) {
        return tfk_quest_page_scores(w, a, b, p, n, o, 2);
    };
    auto sc_cuda = [](const tfk_attn_view * w, const float * a, const float * b, int64_t p, int64_t n, float * o) {
        const int r = tfk_quest_page_scores_cuda(w, a, b, p, n, o, nullptr);
        return r == TFK_ERR_NO_CUDA ? TFK_OK : r;
    };
    const ScoreFn scs[] = {tfk_quest_page_scores_ref, sc_cpu, sc_cuda};
    std::fill(mins.begin(), mins.end(), 0.0f);
    std::fill(maxs.begin(), maxs.end(), 1.0f);
    for (ScoreFn f : scs) {
        EXPECT(f(nullptr, mins.data(), maxs.data(), P, 3, out.data()) == TFK_ERR_NULL, "scores null v");
        EXPECT(f(&v, nullptr, maxs.data(), P, 3, out.data()) == TFK_ERR_NULL, "scores null mins");
        EXPECT(f(&v, mins.data(), nullptr, P, 3, out.data()) == TFK_ERR_NULL, "scores null maxs");
        EXPECT(f(&v, mins.data(), maxs.data(), P, 3, nullptr) == TFK_ERR_NULL, "scores null out");
        tfk_attn_view w = v;
        w.q = nullptr;
        EXPECT(f(&w, mins.data(), maxs.data(), P, 3, out.data()) == TFK_ERR_NULL, "scores null q");
        w = v;
        w.k = nullptr;  // k unused by page_scores
        w.scale = kNaN;  // scale ignored
        EXPECT(f(&w, mins.data(), maxs.data(), P, 3, out.data()) == TFK_ERR_NO_CUDA - TFK_ERR_NO_CUDA, "scores k/scale unused");
        EXPECT(f(&v, mins.data(), maxs.data(), P, 4, out.data()) == TFK_ERR_BAD_SHAPE, "scores n_pages too large");
        EXPECT(f(&v, mins.data(), maxs.data(), P, -1, out.data()) == TFK_ERR_BAD_SHAPE, "scores n_pages < 0");
        EXPECT(f(&v, mins.data(), maxs.data(), 0, 3, out.data()) == TFK_ERR_BAD_SHAPE, "scores page_size 0");
        w = v;
        w.n_rows = -1;
        EXPECT(f(&w, mins.data(), maxs.data(), P, 3, out.data()) == TFK_ERR_BAD_SHAPE, "scores n_rows < 0");
        w = v;
        w.n_head = 3;
        w.n_head_kv = 2;
        EXPECT(f(&w, mins.data(), maxs.data(), P, 3, out.data()) == TFK_ERR_BAD_ARG, "scores n_head %% n_head_kv");
        w = v;
        set_dtype(w.q_type, 5);
        EXPECT(f(&w, mins.data(), maxs.data(), P, 3, out.data()) == TFK_ERR_BAD_ARG, "scores bad q dtype");
        EXPECT(f(&v, mins.data(), maxs.data(), P, 3, reinterpret_cast<float *>(reinterpret_cast<unsigned char *>(out.data()) + 2)) ==
                   TFK_ERR_BAD_ARG, "scores misaligned out");
        w = v;
        w.q_row_stride = 8;
        EXPECT(f(&w, mins.data(), maxs.data(), P, 3, out.data()) == TFK_ERR_BAD_STRIDE, "scores small q stride");
        w = v;
        w.n_head = 4;
        w.q_head_stride = INT64_MAX / 8 * 4;
        EXPECT(f(&w, mins.data(), maxs.data(), P, 3, out.data()) == TFK_ERR_BAD_SHAPE, "scores extent overflow");
    }

    using SelFn = int (*)(const float *, int64_t, int64_t, int64_t, int64_t, int64_t *, int32_t *);
    auto sel_cpu = [](const float * s, int64_t n, int64_t c, int64_t st, int64_t k, int64_t * ip, int32_t * ix) {
        return tfk_select_topk(s, n, c, st, k, ip, ix, 2);
    };
    auto sel_cuda = [](const float * s, int64_t n, int64_t c, int64_t st, int64_t k, int64_t * ip, int32_t * ix) {
        const int r = tfk_select_topk_cuda(s, n, c, st, k, ip, ix, nullptr);
        return r == TFK_ERR_NO_CUDA ? TFK_OK : r;
    };
    const SelFn sels[] = {tfk_select_topk_ref, sel_cpu, sel_cuda};
    std::vector<int64_t> ip(8, -5);
    std::vector<int32_t> ix(64, -5);
    for (SelFn f : sels) {
        EXPECT(f(nullptr, 2, 4, 4, 2, ip.data(), ix.data()) == TFK_ERR_NULL, "select null scores");
        EXPECT(f(out.data(), 2, 4, 4, 2, nullptr, ix.data()) == TFK_ERR_NULL, "select null indptr");
        EXPECT(f(out.data(), 2, 4, 4, 2, ip.data(), nullptr) == TFK_ERR_NULL, "select null indices");
        EXPECT(f(out.data(), -1, 4, 4, 2, ip.data(), ix.data()) == TFK_ERR_BAD_SHAPE, "select n_lists < 0");
        EXPECT(f(out.data(), 2, 0, 4, 2, ip.data(), ix.data()) == TFK_ERR_BAD_SHAPE, "select n_cols 0");
        EXPECT(f(out.data(), 2, int64_t{INT32_MAX} + 1, int64_t{INT32_MAX} + 1, 2, ip.data(), ix.data()) == TFK_ERR_BAD_SHAPE,
               "select n_cols too large");
        EXPECT(f(out.data(), 2, 4, 3, 2, ip.data(), ix.data()) == TFK_ERR_BAD_STRIDE, "select stride < n_cols");
        EXPECT(f(out.data(), 3, 4, INT64_MAX / 2, 2, ip.data(), ix.data()) == TFK_ERR_BAD_SHAPE, "select extent overflow");
        EXPECT(f(out.data(), 2, 4, 4, 0, ip.data(), ix.data()) == TFK_ERR_BAD_K, "select k 0");
        EXPECT(f(out.data(), 2, 4, 3, 0, ip.data(), ix.data()) == TFK_ERR_BAD_STRIDE, "select order: stride before k");
    }
    EXPECT(ip[0] == -5 && ix[0] == -5, "select outputs written on error");
}

} // namespace

int main() {
    g_cuda = tfk_cuda_available() != 0;
    std::printf("tfkernels sparse-attention test (Quest + top-k CSR) (CUDA device: %s)\n", g_cuda ? "yes" : "no");

    test_errors();
    test_select_by_hand();

    std::mt19937 rng(20250301u);
    const tfk_dtype F32 = TFK_F32, F16 = TFK_F16;
    using M = MaskKind;
    const Case cases[] = {
        // d,  H, Hkv, R,   N,  P,  q,   k,   mask,                mt,  khm,   pad
        {128, 32, 8, 1, 1000, 16, F32, F16, M::Holes, F16, false, 0},          // decode, GQA 4, partial last page
        {128, 8, 8, 2, 513, 16, F32, F32, M::None, F32, false, 0},             // no GQA, 1-cell last page
        {64, 8, 2, 3, 257, 7, F16, F16, M::HolesAndDeadTail, F32, false, 3},   // odd page size, padding
        {3, 4, 1, 2, 50, 5, F32, F32, M::Holes, F32, true, 1},                 // d = 3, GQA 4, head-major K
        {1, 8, 1, 1, 17, 4, F32, F16, M::Holes, F16, false, 0},                // d = 1, GQA 8
        {16, 2, 2, 1, 1, 16, F32, F32, M::None, F32, false, 0},                // one cell
        {16, 4, 2, 2, 40, 1, F16, F32, M::HolesAndDeadTail, F16, false, 2},   // P = 1
        {32, 4, 4, 1, 30, 64, F32, F16, M::Holes, F32, false, 0},              // P > n_kv
        {40, 6, 3, 0, 100, 9, F32, F32, M::Holes, F32, false, 0},              // no rows
        {96, 16, 4, 4, 2047, 13, F32, F16, M::HolesAndDeadTail, F16, true, 5},
    };
    std::printf("quest: cpu (threads 1,2,3,auto) + C entries%s vs ref (meta and select bit for bit, cpu scores within their rounding bound); bound property in double\n",
                g_cuda ? " + cuda" : "");
    for (const Case & c : cases) run_case(c, rng);

    test_select_random(rng);
    if (!g_cuda) std::printf("CUDA: skipped (no GPU: tfk_cuda_available() == 0)\n");

    std::printf("%d checks, %d failures\n", g_checks, g_failures);
    std::printf("%s\n", g_failures == 0 ? "PASS" : "FAIL");
    return g_failures == 0 ? 0 : 1;
}

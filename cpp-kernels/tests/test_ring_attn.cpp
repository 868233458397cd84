// Sequence-parallel attention over P simulated devices (tfk_ring_attn): Ring-Attention and TokenRing give, after
// un-zigzagging, the attention of the whole sequence (tfk_block_attn of one block: within 1e-5 relative, lse within
// 1e-5) for P = 1..8, causal and not, GQA and not, odd lengths (P > n too); and the bytes they move equal the
// formulas (ALGORITHMS.md section 11): Ring-Attention (P-1) * n * Hkv * (d+dv) floats of keys/values; TokenRing
// (P-1) * n * H * d floats of queries and (P-1) * n * H * (dv+1) of partials, 3/4 of that when causal (a query
// block's first chunk stops travelling once it has wrapped).
// With a GPU, tfk_ring_attn_cuda (the same schedules on P GPUs, or P streams on one) matches tfk_block_attn_ref
// within the same tolerances and its stats equal tfk_ring_attn's; without one it returns TFK_ERR_NO_CUDA.
#include "tfkernels.h"
#include "check.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

namespace {

const float kInf = std::numeric_limits<float>::infinity();
bool g_cuda = false;

struct Seq {
    std::vector<float> q, k, v;
    tfk_block_view view{};
};

Seq make(int64_t n, int64_t d, int64_t dv, int64_t H, int64_t Hkv, bool causal, std::mt19937 & rng) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    Seq s;
    s.q.resize(static_cast<size_t>(std::max<int64_t>(1, n * H * d)));
    s.k.resize(static_cast<size_t>(std::max<int64_t>(1, n * Hkv * d)));
    s.v.resize(static_cast<size_t>(std::max<int64_t>(1, n * Hkv * dv)));
    for (auto * a : {&s.q, &s.k, &s.v})
        for (float & x : *a) x = normal(rng);
    tfk_block_view & v = s.view;
    v.head_dim = d;
    v.head_dim_v = dv;
    v.n_head = H;
    v.n_head_kv = Hkv;
    v.n_q = v.n_kv = n;
    v.q = s.q.data();
    v.q_row_stride = H * d;
    v.q_head_stride = d;
    v.k = s.k.data();
    v.k_row_stride = Hkv * d;
    v.k_head_stride = d;
    v.v = s.v.data();
    v.v_row_stride = Hkv * dv;
    v.v_head_stride = dv;
    v.causal = causal ? 1 : 0;
    v.scale = 1.0f / std::sqrt(static_cast<float>(d));
    return s;
}

// Values of (o, l) that differ from the single-block result (ro, rl) beyond the tolerances.
int count_bad(const std::vector<float> & o, const std::vector<float> & l, const std::vector<float> & ro,
              const std::vector<float> & rl, int64_t rows, int64_t dv, float vmax) {
    int bad = 0;
    for (int64_t r = 0; r < rows; ++r) {
        if (rl[r] == -kInf) {
            bad += l[r] != -kInf;
            continue;
        }
        bad += !(std::fabs(l[r] - rl[r]) <= 1e-5);
        for (int64_t c = 0; c < dv; ++c) {
            const double a = o[r * dv + c], b = ro[r * dv + c];
            bad += !(std::fabs(a - b) <= 1e-5 * std::fabs(b) + 1e-6 * vmax);
        }
    }
    return bad;
}

bool same_stats(const tfk_ring_stats & a, const tfk_ring_stats & b) {
    return a.steps == b.steps && a.q_messages == b.q_messages && a.q_bytes == b.q_bytes &&
           a.kv_messages == b.kv_messages && a.kv_bytes == b.kv_bytes && a.out_messages == b.out_messages &&
           a.out_bytes == b.out_bytes;
}

void check_case(int64_t n, int64_t d, int64_t dv, int64_t H, int64_t Hkv, bool causal, int P, std::mt19937 & rng) {
    Seq s = make(n, d, dv, H, Hkv, causal, rng);
    const size_t no = static_cast<size_t>(n * H * dv) + 1, nl = static_cast<size_t>(n * H) + 1;
    std::vector<float> ro(no), rl(nl);
    EXPECT(tfk_block_attn(&s.view, ro.data(), rl.data(), 0) == TFK_OK, "single block");
    float vmax = 0;
    for (float x : s.v) vmax = std::max(vmax, std::fabs(x));
    std::vector<float> rr, rrl;  // tfk_block_attn_ref's result (computed once, for the CUDA checks)
    for (int sched : {TFK_RING_ATTENTION, TFK_TOKEN_RING}) {
        std::vector<float> o(no, 7.0f), l(nl, 7.0f);
        tfk_ring_stats st{};
        const int rc = tfk_ring_attn(&s.view, sched, P, o.data(), l.data(), &st);
        EXPECT(rc == TFK_OK, "ring rc=%d", rc);
        const int bad = count_bad(o, l, ro, rl, n * H, dv, vmax);
        EXPECT(bad == 0, "%s P=%d n=%" PRId64 " causal=%d H=%" PRId64 "/%" PRId64 ": %d values differ from one device",
               sched == TFK_RING_ATTENTION ? "ring" : "tokenring", P, n, causal ? 1 : 0, H, Hkv, bad);
        EXPECT(o[no - 1] == 7.0f && l[nl - 1] == 7.0f, "wrote past the outputs");
        EXPECT(st.steps == P, "steps %" PRId64, st.steps);
        const int64_t hops = static_cast<int64_t>(P) * (P - 1), f = 4;
        if (sched == TFK_RING_ATTENTION) {
            EXPECT(st.kv_messages == hops && st.q_messages == 0 && st.out_messages == 0, "ring messages");
            EXPECT(st.kv_bytes == (P - 1) * n * Hkv * (d + dv) * f, "ring kv bytes %" PRId64, st.kv_bytes);
        } else {
            EXPECT(st.q_messages == hops && st.out_messages == hops && st.kv_messages == 0, "tokenring messages");
            if (!causal) {
                EXPECT(st.q_bytes == (P - 1) * n * H * d * f, "tokenring q bytes %" PRId64, st.q_bytes);
                EXPECT(st.out_bytes == (P - 1) * n * H * (dv + 1) * f, "tokenring out bytes %" PRId64, st.out_bytes);
            } else if (n % (2 * P) == 0) {
                EXPECT(4 * st.q_bytes == 3 * (P - 1) * n * H * d * f, "causal tokenring q bytes %" PRId64, st.q_bytes);
                EXPECT(4 * st.out_bytes == 3 * (P - 1) * n * H * (dv + 1) * f, "causal tokenring out bytes %" PRId64, st.out_bytes);
            }
        }
        if (g_cuda) {
            // the GPU schedule against the double-precision reference, and moving exactly the CPU's messages
            if (rr.empty()) {
                rr.assign(no, 0.0f);
                rrl.assign(nl, 0.0f);
                EXPECT(tfk_block_attn_ref(&s.view, rr.data(), rrl.data()) == TFK_OK, "reference block");
            }
            std::vector<float> go(no, 7.0f), gl(nl, 7.0f);
            tfk_ring_stats gst{};
            const int grc = tfk_ring_attn_cuda(&s.view, sched, P, go.data(), gl.data(), &gst);
            EXPECT(grc == TFK_OK, "ring cuda rc=%d (%s)", grc, tfk_cuda_last_error());
            if (grc == TFK_OK) {
                const int gbad = count_bad(go, gl, rr, rrl, n * H, dv, vmax);
                EXPECT(gbad == 0, "cuda %s P=%d n=%" PRId64 " causal=%d H=%" PRId64 "/%" PRId64 ": %d values differ from the reference",
                       sched == TFK_RING_ATTENTION ? "ring" : "tokenring", P, n, causal ? 1 : 0, H, Hkv, gbad);
                EXPECT(go[no - 1] == 7.0f && gl[nl - 1] == 7.0f, "cuda wrote past the outputs");
                EXPECT(same_stats(gst, st), "cuda stats differ from the CPU schedule's");
            }
        }
    }
}

} // namespace

int main() {
    g_cuda = tfk_cuda_available() != 0;
    std::printf("ring_attn: CUDA %s\n", g_cuda ? "present (tfk_ring_attn_cuda checked)" : "absent (CUDA checks skipped: no GPU)");
    std::mt19937 rng(115);
    for (int P = 1; P <= 8; ++P) {
        for (bool causal : {false, true}) {
            check_case(16 * P, 16, 16, 4, 4, causal, P, rng);          // divisible: formulas exact
            check_case(16 * P + 3, 24, 8, 6, 2, causal, P, rng);       // GQA, odd length
        }
    }
    check_case(5, 8, 8, 2, 1, true, 8, rng);   // more devices than rows
    check_case(96, 64, 64, 8, 2, true, 4, rng);
    // validation
    Seq s = make(8, 8, 8, 2, 2, false, rng);
    std::vector<float> o(8 * 2 * 8), l(16);
    EXPECT(tfk_ring_attn(&s.view, 2, 2, o.data(), l.data(), nullptr) == TFK_ERR_BAD_ARG, "bad schedule");
    EXPECT(tfk_ring_attn(&s.view, TFK_TOKEN_RING, 0, o.data(), l.data(), nullptr) == TFK_ERR_BAD_ARG, "P 0");
    EXPECT(tfk_ring_attn(&s.view, TFK_TOKEN_RING, 65, o.data(), l.data(), nullptr) == TFK_ERR_BAD_ARG, "P 65");
    tfk_block_view w = s.view;
    w.n_kv = 7;
    EXPECT(tfk_ring_attn(&w, TFK_TOKEN_RING, 2, o.data(), l.data(), nullptr) == TFK_ERR_BAD_ARG, "n_q != n_kv");
    w = s.view;
    w.q_pos0 = 3;
    EXPECT(tfk_ring_attn(&w, TFK_TOKEN_RING, 2, o.data(), l.data(), nullptr) == TFK_ERR_BAD_ARG, "offset positions");
    EXPECT(tfk_ring_attn(nullptr, TFK_TOKEN_RING, 2, o.data(), l.data(), nullptr) == TFK_ERR_NULL, "null view");
    // the GPU entry validates as the CPU one does, in every build
    EXPECT(tfk_ring_attn_cuda(&s.view, 2, 2, o.data(), l.data(), nullptr) == TFK_ERR_BAD_ARG, "cuda bad schedule");
    EXPECT(tfk_ring_attn_cuda(&s.view, TFK_TOKEN_RING, 65, o.data(), l.data(), nullptr) == TFK_ERR_BAD_ARG, "cuda P 65");
    w = s.view;
    w.q_pos0 = 3;
    EXPECT(tfk_ring_attn_cuda(&w, TFK_TOKEN_RING, 2, o.data(), l.data(), nullptr) == TFK_ERR_BAD_ARG, "cuda offset positions");
    EXPECT(tfk_ring_attn_cuda(nullptr, TFK_TOKEN_RING, 2, o.data(), l.data(), nullptr) == TFK_ERR_NULL, "cuda null view");
    if (!g_cuda) {
        // no GPU: the documented status, nothing written
        std::vector<float> o2(o.size(), 7.0f), l2(l.size(), 7.0f);
        tfk_ring_stats st2{};
        st2.steps = -1;
        for (int sched : {TFK_RING_ATTENTION, TFK_TOKEN_RING}) {
            const int rc = tfk_ring_attn_cuda(&s.view, sched, 2, o2.data(), l2.data(), &st2);
            EXPECT(rc == TFK_ERR_NO_CUDA, "no GPU: rc=%d", rc);
        }
        EXPECT(st2.steps == -1 && o2[0] == 7.0f && l2[0] == 7.0f, "no GPU: outputs written");
    }
    std::printf("ring_attn: %d checks, %d failures\n", g_checks, g_failures);
    std::printf("%s\n", g_failures == 0 ? "PASS" : "FAIL");
    return g_failures == 0 ? 0 : 1;
}

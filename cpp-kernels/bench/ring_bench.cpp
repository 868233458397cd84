// tfk_ring_bench [out.json] [--quick] [--ring-n N]: measures the exact sequence-parallel attention kernels on this CPU
// (ALGORITHMS.md section 11) and writes JSON (default bench/results/ring_kernels.json, relative to the working
// directory: run from the repo root) plus a table on stdout:
//   1. tfk_block_attn (optimised CPU, 1 and 2 threads) against tfk_block_attn_ref on block shapes (Q rows x KV rows,
//      d = 128, 32/8 heads (GQA) and 32/32, causal and not); the scalar reference only where it finishes in seconds;
//   2. tfk_attn_merge throughput (rows of partial results merged per second, and the bytes it touches);
//   3. tfk_ring_attn wall time for both schedules at P = 2/4/8 over one causal sequence (--ring-n, default 2048
//      tokens), with the messages and bytes its Link counted (every byte that would cross a device link), next to
//      one tfk_block_attn of the whole sequence.
// Times are medians of rounds on the same, cache-warm inputs (best kept too). GFLOP/s counts 4 flops per visible
// (query, key) pair per dimension and head: 2 for q.k and 2 for the weighted sum of v (4 * pairs * d * heads).
// The simulated devices of tfk_ring_attn are threads on this machine's cores, so its wall time says what the
// schedule costs here (copies, merges, P-way oversubscription of 2 cores), not what P real devices would take.
#include "tfkernels.h"
#include "bench_util.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace tfk_bench;

double load_average() {
    std::FILE * f = std::fopen("/proc/loadavg", "r");
    double l = -1.0;
    if (f != nullptr) {
        if (std::fscanf(f, "%lf", &l) != 1) l = -1.0;
        std::fclose(f);
    }
    return l;
}

// Random q/k/v for n_q query rows and n_kv key rows, packed [row][head][dim], and a view over them.
struct Block {
    std::vector<float> q, k, v;
    tfk_block_view view{};
};

Block make_block(int64_t n_q, int64_t n_kv, int64_t d, int64_t H, int64_t Hkv, bool causal, std::mt19937 & rng) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    Block b;
    b.q.resize(static_cast<size_t>(n_q * H * d));
    b.k.resize(static_cast<size_t>(n_kv * Hkv * d));
    b.v.resize(static_cast<size_t>(n_kv * Hkv * d));
    for (auto * a : {&b.q, &b.k, &b.v})
        for (float & x : *a) x = normal(rng);
    tfk_block_view & v = b.view;
    v.head_dim = v.head_dim_v = d;
    v.n_head = H;
    v.n_head_kv = Hkv;
    v.n_q = n_q;
    v.n_kv = n_kv;
    v.q = b.q.data();
    v.q_row_stride = H * d;
    v.q_head_stride = d;
    v.k = b.k.data();
    v.k_row_stride = Hkv * d;
    v.k_head_stride = d;
    v.v = b.v.data();
    v.v_row_stride = Hkv * d;
    v.v_head_stride = d;
    v.causal = causal ? 1 : 0;
    // causal: the query block is the last n_q positions of the n_kv keys (a prefill chunk over its own keys and the
    // ones before it), so every query sees at least one key
    v.q_pos0 = causal ? n_kv - n_q : 0;
    v.k_pos0 = 0;
    v.scale = 1.0f / std::sqrt(static_cast<float>(d));
    return b;
}

// Visible (query, key) pairs of a view: all of them, or for causal k_pos0 + j <= q_pos0 + i.
double visible_pairs(const tfk_block_view & v) {
    if (!v.causal) return static_cast<double>(v.n_q) * static_cast<double>(v.n_kv);
    double p = 0;
    for (int64_t i = 0; i < v.n_q; ++i) p += static_cast<double>(std::clamp<int64_t>(v.q_pos0 + i - v.k_pos0 + 1, 0, v.n_kv));
    return p;
}

// The exactness tests' criterion (tests/test_block_attn.cpp, test_ring_attn.cpp): |got - ref| <= 1e-5 |ref| +
// 1e-6 max|v| per output. Returns the worst ratio of the error to that bound (<= 1: within the tolerance); a plain
// relative error would blow up on outputs that cancel to nearly zero.
double tol_ratio(const std::vector<float> & ref, const std::vector<float> & got, double vmax) {
    double w = 0.0;
    for (size_t i = 0; i < ref.size(); ++i) {
        const double err = std::fabs(static_cast<double>(got[i]) - ref[i]);
        w = std::max(w, err / (1e-5 * std::fabs(static_cast<double>(ref[i])) + 1e-6 * vmax));
    }
    return w;
}

double max_abs(const std::vector<float> & x) {
    double m = 0.0;
    for (float f : x) m = std::max(m, static_cast<double>(std::fabs(f)));
    return m;
}

struct BlockShape {
    int64_t n_q, n_kv, H, Hkv;
    bool causal, with_ref;
};

struct BlockRow {
    BlockShape sh;
    std::string method;
    int threads;
    Timing t;
    double gflop, err_tol;
};

struct RingRow {
    int schedule, P;
    Timing t;
    tfk_ring_stats st;
    double err_tol;
};

} // namespace

int main(int argc, char ** argv) {
    std::string out_path = "bench/results/ring_kernels.json";
    bool quick = false;
    int64_t ring_n_arg = 2048;  // 4k would quadruple the ring part (~137 GFLOP per schedule run at ~10-20 GFLOP/s)
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--quick") == 0) quick = true;
        else if (std::strcmp(argv[i], "--ring-n") == 0 && i + 1 < argc) ring_n_arg = std::atoll(argv[++i]);
        else out_path = argv[i];
    }
    if (ring_n_arg < 1) {
        std::printf("--ring-n must be >= 1\n");
        return 2;
    }
    const int64_t d = 128;
    // Reference (double, scalar) only where it takes seconds: at ~3 GFLOP/s a 2k x 2k block costs ~10 s a call.
    std::vector<BlockShape> shapes = {
        {256, 256, 32, 8, false, true},   {256, 256, 32, 32, false, true},  {256, 256, 32, 8, true, true},
        {512, 512, 32, 8, false, true},   {512, 2048, 32, 8, true, false},  {1024, 1024, 32, 8, false, false},
        {1024, 1024, 32, 32, true, true}, {2048, 2048, 32, 8, true, false},
    };
    if (quick) shapes.resize(3);
    const int64_t ring_n = quick ? 512 : ring_n_arg, ring_H = 32, ring_Hkv = 8;
    const int rounds = quick ? 1 : 3;
    const double load_before = load_average();
    std::printf("tfk_ring_bench: CPU %s, %u hardware threads, ISA %s, load average %.2f\n\n", cpu_model().c_str(),
                std::thread::hardware_concurrency(), tfk_cpu_isa(), load_before);

    std::mt19937 rng(1515u);
    bool bad = false;

    // ---- 1. block attention ----
    std::vector<BlockRow> brows;
    for (const BlockShape & sh : shapes) {
        Block b = make_block(sh.n_q, sh.n_kv, d, sh.H, sh.Hkv, sh.causal, rng);
        const double gflop = 4.0 * visible_pairs(b.view) * static_cast<double>(d * sh.H) / 1e9;
        const size_t no = static_cast<size_t>(sh.n_q * sh.H * d), nl = static_cast<size_t>(sh.n_q * sh.H);
        std::vector<float> ro(no), rl(nl), o(no), l(nl);
        if (sh.with_ref) {
            // 3 rounds on the small shapes, 1 on the 1k one (seconds per call)
            const int ref_rounds = quick || gflop > 5.0 ? 1 : 3;
            const Timing t = time_calls([&](int) { tfk_block_attn_ref(&b.view, ro.data(), rl.data()); }, 0.0, ref_rounds, ref_rounds);
            brows.push_back({sh, "ref", 1, t, gflop, 0.0});
        }
        for (int threads : {1, 2}) {
            const Timing t = time_calls([&](int) {
                if (tfk_block_attn(&b.view, o.data(), l.data(), threads) != TFK_OK) bad = true;
            }, 0.0, rounds, rounds);
            double err = 0.0;
            if (sh.with_ref) {
                err = tol_ratio(ro, o, max_abs(b.v));
                if (err > 1.0) {
                    std::printf("MISMATCH n_q=%" PRId64 " n_kv=%" PRId64 ": error %.3g x the tolerance\n", sh.n_q, sh.n_kv, err);
                    bad = true;
                }
            }
            brows.push_back({sh, "cpu", threads, t, gflop, err});
        }
    }
    std::printf("block attention, d=%" PRId64 " (median ms per call; GFLOP/s = 4*visible pairs*d*heads / median)\n", d);
    std::printf("%6s %6s %3s %4s %6s | %10s %8s | %10s %8s | %10s %8s | %6s | %9s\n", "n_q", "n_kv", "H", "Hkv", "causal",
                "ref ms", "GFLOP/s", "cpu1 ms", "GFLOP/s", "cpu2 ms", "GFLOP/s", "x ref", "err/tol");
    for (size_t i = 0; i < brows.size();) {
        const BlockShape & sh = brows[i].sh;
        const BlockRow * r = sh.with_ref ? &brows[i++] : nullptr;
        const BlockRow & c1 = brows[i++];
        const BlockRow & c2 = brows[i++];
        auto ms = [](const BlockRow & x) { return x.t.median_s * 1e3; };
        auto gf = [](const BlockRow & x) { return x.gflop / x.t.median_s; };
        std::printf("%6" PRId64 " %6" PRId64 " %3" PRId64 " %4" PRId64 " %6d | ", sh.n_q, sh.n_kv, sh.H, sh.Hkv, sh.causal ? 1 : 0);
        if (r) std::printf("%10.1f %8.2f | ", ms(*r), gf(*r));
        else std::printf("%10s %8s | ", "-", "-");
        std::printf("%10.1f %8.2f | %10.1f %8.2f | ", ms(c1), gf(c1), ms(c2), gf(c2));
        if (r) std::printf("%5.1fx | %9.2e\n", r->t.median_s / std::min(c1.t.median_s, c2.t.median_s), std::max(c1.err_tol, c2.err_tol));
        else std::printf("%6s | %9s\n", "-", "-");
    }

    // ---- 2. merge ----
    const int64_t m_rows = 4096 * 32, dv = d;  // a 4k-token block's partials, 32 heads
    std::vector<float> oa(static_cast<size_t>(m_rows * dv)), la(static_cast<size_t>(m_rows)), ob(oa.size()), lb(la.size());
    {
        std::normal_distribution<float> normal(0.0f, 1.0f);
        for (auto * a : {&oa, &la, &ob, &lb})
            for (float & x : *a) x = normal(rng);
    }
    // merging into the same accumulator again and again keeps values finite (lse grows by at most log 2 a call)
    const Timing tm = time_calls([&](int) { tfk_attn_merge(oa.data(), la.data(), ob.data(), lb.data(), m_rows, dv); },
                                 quick ? 0.1 : 1.0, 5, 200);
    const double m_bytes = static_cast<double>(m_rows) * (3.0 * dv + 3.0) * sizeof(float);  // read a, b; write a
    std::printf("\nmerge: %" PRId64 " rows x dv=%" PRId64 ": median %.2f ms, %.1f Mrows/s, %.2f GB/s touched\n", m_rows,
                dv, tm.median_s * 1e3, m_rows / tm.median_s / 1e6, m_bytes / tm.median_s / 1e9);

    // ---- 3. ring schedules ----
    std::vector<RingRow> rrows;
    Block seq = make_block(ring_n, ring_n, d, ring_H, ring_Hkv, true, rng);
    const double ring_gflop = 4.0 * visible_pairs(seq.view) * static_cast<double>(d * ring_H) / 1e9;
    const size_t rno = static_cast<size_t>(ring_n * ring_H * d), rnl = static_cast<size_t>(ring_n * ring_H);
    std::vector<float> so(rno), sl(rnl), ro(rno), rl(rnl);
    const Timing t_single = time_calls([&](int) { tfk_block_attn(&seq.view, so.data(), sl.data(), 2); }, 0.0, rounds, rounds);
    for (int sched : {TFK_RING_ATTENTION, TFK_TOKEN_RING})
        for (int P : {2, 4, 8}) {
            tfk_ring_stats st{};
            const Timing t = time_calls([&](int) {
                if (tfk_ring_attn(&seq.view, sched, P, ro.data(), rl.data(), &st) != TFK_OK) bad = true;
            }, 0.0, rounds, rounds);
            const double err = tol_ratio(so, ro, max_abs(seq.v));
            if (err > 1.0) {
                std::printf("MISMATCH ring schedule %d P=%d: error %.3g x the tolerance\n", sched, P, err);
                bad = true;
            }
            rrows.push_back({sched, P, t, st, err});
        }
    std::printf("\nring schedules: n=%" PRId64 " causal (zigzag), H=%" PRId64 "/%" PRId64 ", d=%" PRId64
                ", %.1f GFLOP; one tfk_block_attn (2 threads): %.1f ms (%.2f GFLOP/s)\n",
                ring_n, ring_H, ring_Hkv, d, ring_gflop, t_single.median_s * 1e3, ring_gflop / t_single.median_s);
    std::printf("%-10s %2s | %10s %8s | %6s %12s | %6s %12s | %6s %12s\n", "schedule", "P", "wall ms", "GFLOP/s", "q msg",
                "q bytes", "kv msg", "kv bytes", "out msg", "out bytes");
    for (const RingRow & r : rrows)
        std::printf("%-10s %2d | %10.1f %8.2f | %6" PRId64 " %12" PRId64 " | %6" PRId64 " %12" PRId64 " | %6" PRId64 " %12" PRId64 "\n",
                    r.schedule == TFK_RING_ATTENTION ? "ring" : "tokenring", r.P, r.t.median_s * 1e3,
                    ring_gflop / r.t.median_s, r.st.q_messages, r.st.q_bytes, r.st.kv_messages, r.st.kv_bytes,
                    r.st.out_messages, r.st.out_bytes);

    const double load_after = load_average();
    std::printf("\nload average before %.2f, after %.2f (other processes compete for the cores when it exceeds 2)\n",
                load_before, load_after);

    std::FILE * f = open_output(out_path);
    if (f == nullptr) return 2;
    std::fprintf(f, "{\n  \"benchmark\": \"tfk_ring_bench\",\n  \"quick\": %s,\n", quick ? "true" : "false");
    std::fprintf(f, "  \"machine\": {\"cpu\": \"%s\", \"hardware_threads\": %u, \"isa\": \"%s\", \"load_average_before\": %.2f, \"load_average_after\": %.2f, \"compiler\": \"%s\"},\n",
                 json_escape(cpu_model()).c_str(), std::thread::hardware_concurrency(), tfk_cpu_isa(), load_before,
                 load_after, json_escape(__VERSION__).c_str());
    std::fprintf(f, "  \"notes\": \"f32 q/k/v, d=dv=%" PRId64 "; times are medians (best kept too) of rounds on cache-warm inputs; gflop = 4 * visible (query, key) pairs * d * n_head / 1e9; causal blocks put the queries at the last n_q of the n_kv positions; ring rows: tfk_ring_attn over P simulated devices (threads on this machine), bytes as its Link counted them (f32 values, lse f32); err_over_tol = worst |got - ref| / (1e-5 |ref| + 1e-6 max|v|), the exactness tests' bound (<= 1 passes), ref = tfk_block_attn_ref for blocks and one tfk_block_attn of the whole sequence for ring runs\",\n", d);
    std::fprintf(f, "  \"block_attn\": [\n");
    for (size_t i = 0; i < brows.size(); ++i) {
        const BlockRow & x = brows[i];
        std::fprintf(f,
                     "    {\"method\": \"%s\", \"threads\": %d, \"n_q\": %" PRId64 ", \"n_kv\": %" PRId64 ", \"d\": %" PRId64
                     ", \"n_head\": %" PRId64 ", \"n_head_kv\": %" PRId64 ", \"causal\": %s, \"gflop\": %.4f, \"median_ms\": %.3f, "
                     "\"best_ms\": %.3f, \"reps\": %d, \"gflops\": %.3f, \"err_over_tol_vs_ref\": %.3e}%s\n",
                     x.method.c_str(), x.threads, x.sh.n_q, x.sh.n_kv, d, x.sh.H, x.sh.Hkv, x.sh.causal ? "true" : "false",
                     x.gflop, x.t.median_s * 1e3, x.t.best_s * 1e3, x.t.reps, x.gflop / x.t.median_s, x.err_tol,
                     i + 1 < brows.size() ? "," : "");
    }
    std::fprintf(f, "  ],\n");
    std::fprintf(f, "  \"attn_merge\": {\"rows\": %" PRId64 ", \"dv\": %" PRId64 ", \"median_ms\": %.4f, \"best_ms\": %.4f, \"reps\": %d, \"mrows_per_s\": %.3f, \"gb_per_s_touched\": %.3f},\n",
                 m_rows, dv, tm.median_s * 1e3, tm.best_s * 1e3, tm.reps, m_rows / tm.median_s / 1e6, m_bytes / tm.median_s / 1e9);
    std::fprintf(f, "  \"ring\": {\"n\": %" PRId64 ", \"d\": %" PRId64 ", \"n_head\": %" PRId64 ", \"n_head_kv\": %" PRId64 ", \"causal\": true, \"gflop\": %.4f, \"rounds\": %d,\n",
                 ring_n, d, ring_H, ring_Hkv, ring_gflop, rounds);
    std::fprintf(f, "    \"single_block_attn_2threads\": {\"median_ms\": %.3f, \"best_ms\": %.3f, \"gflops\": %.3f},\n",
                 t_single.median_s * 1e3, t_single.best_s * 1e3, ring_gflop / t_single.median_s);
    std::fprintf(f, "    \"runs\": [\n");
    for (size_t i = 0; i < rrows.size(); ++i) {
        const RingRow & r = rrows[i];
        std::fprintf(f,
                     "      {\"schedule\": \"%s\", \"P\": %d, \"median_ms\": %.3f, \"best_ms\": %.3f, \"gflops\": %.3f, \"steps\": %" PRId64
                     ", \"q_messages\": %" PRId64 ", \"q_bytes\": %" PRId64 ", \"kv_messages\": %" PRId64 ", \"kv_bytes\": %" PRId64
                     ", \"out_messages\": %" PRId64 ", \"out_bytes\": %" PRId64 ", \"err_over_tol_vs_single\": %.3e}%s\n",
                     r.schedule == TFK_RING_ATTENTION ? "ring_attention" : "token_ring", r.P, r.t.median_s * 1e3,
                     r.t.best_s * 1e3, ring_gflop / r.t.median_s, r.st.steps, r.st.q_messages, r.st.q_bytes,
                     r.st.kv_messages, r.st.kv_bytes, r.st.out_messages, r.st.out_bytes, r.err_tol,
                     i + 1 < rrows.size() ? "," : "");
    }
    std::fprintf(f, "    ]\n  }\n}\n");
    std::fclose(f);
    std::printf("\nwrote %s%s\n", out_path.c_str(), bad ? " (WITH ERRORS)" : "");
    return bad ? 1 : 0;
}

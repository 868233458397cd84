// tfk_window_scores_bench [out.json]: times tfk::window_scores_ref against window_scores_cpu (1 and 2
// threads) on shapes of a layer's prefill observation window (WindowKV / SnapKV scoring), plus the
// cheap follow-up steps window_aggregate and pool1d. Writes JSON (default
// bench/results/window_scores.json, relative to the working directory: run from the repo root) and
// prints a table. Inputs: q F32, k F16 in llama.cpp's cache layout ([cell][kv head][d]), an F16
// causal mask (the window is the last n_rows of n_kv positions), as with flash attention.
// Best (and median) of N calls on the same, cache-warm inputs; GFLOP/s counts 2 flops per
// multiply-add of the dot products only.
#include "tfkernels.h"
#include "bench_util.h"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace tfk_bench;

uint16_t f2h(float f) {  // round to nearest even; finite inputs and -inf
    uint32_t x;
    std::memcpy(&x, &f, sizeof x);
    const uint32_t sign = (x >> 16) & 0x8000u, ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u);
    if (ax >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);
    if (ax < 0x38800000u) return static_cast<uint16_t>(sign | static_cast<uint32_t>(std::nearbyint(std::fabs(f) * 16777216.0f)));
    uint32_t h = (((ax >> 23) - 112u) << 10) | ((ax & 0x7fffffu) >> 13);
    const uint32_t rem = ax & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
    return static_cast<uint16_t>(sign | h);
}

// The 1-minute load average (/proc/loadavg), to record how contended the machine was; -1 if unknown.
double load_average() {
    std::FILE * f = std::fopen("/proc/loadavg", "r");
    double l = -1.0;
    if (f != nullptr) {
        if (std::fscanf(f, "%lf", &l) != 1) l = -1.0;
        std::fclose(f);
    }
    return l;
}

struct Shape {
    const char * name;
    int64_t d, n_head, n_head_kv, n_rows, n_kv;
};

struct Row {
    std::string shape, method;
    int64_t d, n_head, n_head_kv, n_rows, n_kv;
    int threads;
    double best_ms, median_ms;
    int reps;
    double gflops, speedup_vs_ref, max_rel_err;
};

double max_rel(const std::vector<float> & ref, const std::vector<float> & got) {
    double w = 0.0;
    for (size_t i = 0; i < ref.size(); ++i)
        if (ref[i] != 0.0f) w = std::max(w, std::fabs(static_cast<double>(got[i]) - ref[i]) / std::fabs(static_cast<double>(ref[i])));
    return w;
}

} // namespace

int main(int argc, char ** argv) {
    const std::string out_path = argc > 1 ? argv[1] : "bench/results/window_scores.json";
    const Shape shapes[] = {
        {"stories260K", 8, 8, 4, 32, 512},
        {"d64-2k", 64, 32, 8, 32, 2048},
        {"d64-8k", 64, 32, 8, 32, 8192},
        {"d128-4k", 128, 32, 8, 16, 4096},
    };
    const double load_before = load_average();
    std::printf("tfk_window_scores_bench: CPU %s, %u hardware threads, load average %.2f\n\n", cpu_model().c_str(),
                std::thread::hardware_concurrency(), load_before);

    std::mt19937 rng(777u);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<Row> rows;
    bool bad = false;

    for (const Shape & sh : shapes) {
        const int64_t d = sh.d, H = sh.n_head, Hkv = sh.n_head_kv, R = sh.n_rows, N = sh.n_kv;
        std::vector<float> q(static_cast<size_t>(R * H * d));
        for (float & x : q) x = normal(rng);
        std::vector<uint16_t> k(static_cast<size_t>(N * Hkv * d));
        for (uint16_t & x : k) x = f2h(normal(rng));
        std::vector<uint16_t> mask(static_cast<size_t>(R * N));
        for (int64_t r = 0; r < R; ++r)
            for (int64_t j = 0; j < N; ++j) mask[r * N + j] = f2h(j <= N - R + r ? 0.0f : -INFINITY);

        tfk_attn_view v{};
        v.head_dim = d;
        v.n_head = H;
        v.n_head_kv = Hkv;
        v.n_rows = R;
        v.n_kv = N;
        v.q = q.data();
        v.q_type = TFK_F32;
        v.q_head_stride = d * 4;
        v.q_row_stride = H * d * 4;
        v.k = k.data();
        v.k_type = TFK_F16;
        v.k_head_stride = d * 2;
        v.k_cell_stride = Hkv * d * 2;
        v.mask = mask.data();
        v.mask_type = TFK_F16;
        v.mask_row_stride = N * 2;
        v.scale = 1.0f / std::sqrt(static_cast<float>(d));

        const size_t n_out = static_cast<size_t>(H * N);
        std::vector<float> ref(n_out), got(n_out);
        const double flops = 2.0 * static_cast<double>(H * R * N * d);
        int rc = tfk::window_scores_ref(&v, ref.data(), 0);
        if (rc != TFK_OK) {
            std::printf("window_scores_ref failed: %s\n", tfk_status_str(rc));
            return 1;
        }
        auto add = [&](const std::string & method, int threads, const Timing & t, double err, double ref_ms) {
            rows.push_back({sh.name, method, d, H, Hkv, R, N, threads, t.best_s * 1e3, t.median_s * 1e3, t.reps,
                            flops / t.best_s / 1e9, ref_ms > 0 ? ref_ms / (t.best_s * 1e3) : 1.0, err});
        };
        const Timing tr = time_calls([&](int) { tfk::window_scores_ref(&v, ref.data(), 0); }, 1.0, 2, 20);
        add("ref", 1, tr, 0.0, 0.0);
        for (int threads : {1, 2}) {
            const Timing t = time_calls([&](int) { tfk::window_scores_cpu(&v, got.data(), 0, threads); }, 0.5, 5, 2000);
            const double err = max_rel(ref, got);
            if (err > 1.5e-6) {  // the test's tolerance for logits of unit spread
                std::printf("MISMATCH %s threads=%d: max rel err %.3g\n", sh.name, threads, err);
                bad = true;
            }
            add("cpu", threads, t, err, tr.best_s * 1e3);
        }

        // The follow-up steps on this layer's scores: WindowKV max aggregation (w = 8) and SnapKV pooling
        // (kernel 5) of the head-summed scores.
        const int64_t n_win = (N + 7) / 8;
        std::vector<float> agg_ref(static_cast<size_t>(n_win)), agg(static_cast<size_t>(n_win));
        std::vector<float> pooled_ref(static_cast<size_t>(N)), pooled(static_cast<size_t>(N));
        const Timing ta_ref = time_calls([&](int) { tfk::window_aggregate_ref(ref.data(), H, N, N, 8, TFK_WINDOW_MAX, agg_ref.data()); }, 0.2, 5, 2000);
        const Timing ta = time_calls([&](int) { tfk::window_aggregate_cpu(ref.data(), H, N, N, 8, TFK_WINDOW_MAX, agg.data()); }, 0.2, 5, 2000);
        const Timing tp_ref = time_calls([&](int) { tfk::pool1d_ref(ref.data(), N, 5, TFK_POOL_AVG, pooled_ref.data()); }, 0.2, 5, 20000);
        const Timing tp = time_calls([&](int) { tfk::pool1d_cpu(ref.data(), N, 5, TFK_POOL_AVG, pooled.data()); }, 0.2, 5, 20000);
        if (agg != agg_ref || pooled != pooled_ref) {
            std::printf("MISMATCH aggregate/pool at %s\n", sh.name);
            bad = true;
        }
        rows.push_back({sh.name, "aggregate_max_w8_ref", d, H, Hkv, R, N, 1, ta_ref.best_s * 1e3, ta_ref.median_s * 1e3, ta_ref.reps, 0, 1.0, 0});
        rows.push_back({sh.name, "aggregate_max_w8_cpu", d, H, Hkv, R, N, 1, ta.best_s * 1e3, ta.median_s * 1e3, ta.reps, 0,
                        ta_ref.best_s / ta.best_s, 0});
        rows.push_back({sh.name, "pool1d_avg_k5_ref", d, H, Hkv, R, N, 1, tp_ref.best_s * 1e3, tp_ref.median_s * 1e3, tp_ref.reps, 0, 1.0, 0});
        rows.push_back({sh.name, "pool1d_avg_k5_cpu", d, H, Hkv, R, N, 1, tp.best_s * 1e3, tp.median_s * 1e3, tp.reps, 0,
                        tp_ref.best_s / tp.best_s, 0});
    }

    auto find = [&](const char * shape, const char * method, int threads) -> const Row * {
        for (const Row & x : rows)
            if (x.shape == shape && x.method == method && x.threads == threads) return &x;
        return nullptr;
    };
    std::printf("window_scores (ms = best per call; GFLOP/s of the dot products; x = speedup over ref)\n");
    std::printf("%-12s %4s %3s %4s %3s %5s | %9s | %8s %7s %6s | %8s %7s %6s | %9s | %9s %9s\n", "shape", "d", "H",
                "Hkv", "R", "n_kv", "ref ms", "cpu1 ms", "GFLOP/s", "x", "cpu2 ms", "GFLOP/s", "x", "max rel",
                "agg ms", "pool ms");
    for (const Shape & sh : shapes) {
        const Row * r = find(sh.name, "ref", 1);
        const Row * c1 = find(sh.name, "cpu", 1);
        const Row * c2 = find(sh.name, "cpu", 2);
        const Row * a = find(sh.name, "aggregate_max_w8_cpu", 1);
        const Row * p = find(sh.name, "pool1d_avg_k5_cpu", 1);
        std::printf("%-12s %4" PRId64 " %3" PRId64 " %4" PRId64 " %3" PRId64 " %5" PRId64 " | %9.3f | %8.3f %7.2f %5.1fx | %8.3f %7.2f %5.1fx | %9.2e | %9.4f %9.4f\n",
                    sh.name, sh.d, sh.n_head, sh.n_head_kv, sh.n_rows, sh.n_kv, r->best_ms, c1->best_ms, c1->gflops,
                    c1->speedup_vs_ref, c2->best_ms, c2->gflops, c2->speedup_vs_ref,
                    std::max(c1->max_rel_err, c2->max_rel_err), a->best_ms, p->best_ms);
    }

    const double load_after = load_average();
    std::printf("load average before %.2f, after %.2f (other processes compete for the cores when it exceeds the thread count)\n",
                load_before, load_after);

    std::FILE * f = open_output(out_path);
    if (f == nullptr) return 2;
    std::fprintf(f, "{\n  \"benchmark\": \"tfk_window_scores_bench\",\n");
    std::fprintf(f, "  \"machine\": {\"cpu\": \"%s\", \"hardware_threads\": %u, \"load_average_before\": %.2f, \"load_average_after\": %.2f, \"compiler\": \"%s\", \"avx2\": %s},\n",
                 json_escape(cpu_model()).c_str(), std::thread::hardware_concurrency(), load_before, load_after,
                 json_escape(__VERSION__).c_str(),
                 std::strcmp(tfk_cpu_isa(), "avx2") == 0 ? "true" : "false"  // the kernels' run-time ISA
    );
    std::fprintf(f, "  \"notes\": \"q F32, k F16 in llama.cpp cache layout, F16 causal mask; best_ms is best-of-reps per call on cache-warm inputs; gflops = 2*n_head*n_rows*n_kv*d / best time; speedup_vs_ref = ref best / this best; max_rel_err = max |cpu-ref|/|ref| over outputs; aggregate (WindowKV max, w=8) and pool1d (SnapKV avg, kernel 5) rows run on the n_head x n_kv scores of the same shape, single-threaded\",\n");
    std::fprintf(f, "  \"results\": [\n");
    for (size_t i = 0; i < rows.size(); ++i) {
        const Row & x = rows[i];
        std::fprintf(f,
                     "    {\"shape\": \"%s\", \"method\": \"%s\", \"d\": %" PRId64 ", \"n_head\": %" PRId64 ", \"n_head_kv\": %" PRId64
                     ", \"n_rows\": %" PRId64 ", \"n_kv\": %" PRId64 ", \"threads\": %d, \"best_ms\": %.5f, \"median_ms\": %.5f, "
                     "\"reps\": %d, \"gflops\": %.3f, \"speedup_vs_ref\": %.2f, \"max_rel_err\": %.3e}%s\n",
                     x.shape.c_str(), x.method.c_str(), x.d, x.n_head, x.n_head_kv, x.n_rows, x.n_kv, x.threads, x.best_ms,
                     x.median_ms, x.reps, x.gflops, x.speedup_vs_ref, x.max_rel_err, i + 1 < rows.size() ? "," : "");
    }
    std::fprintf(f, "  ]\n}\n");
    std::fclose(f);
    std::printf("\nwrote %s%s\n", out_path.c_str(), bad ? " (WITH MISMATCHES)" : "");
    return bad ? 1 : 0;
}

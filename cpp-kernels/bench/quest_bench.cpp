// tfk_quest_bench: Quest decode-step cost against a dense pass over K. One decode row, d 128, 8 KV
// heads, 32 query heads, F16 K, page size 16, n_kv 4k/16k/32k. Times (best of several calls):
//   - meta_full: tfk_quest_page_meta over the whole cache (once per prefill), meta_last: the last page
//     only (the per-token incremental update);
//   - scores: tfk_quest_page_scores (reads only the page bounds: 2/16 of K's size in F32);
//   - select: tfk_select_topk of budget/16 pages (budget 1024 tokens) per key head;
//   - dense: q.k for every query head and every cell (reads all of K; plain C++ over F16 K decoded
//     through a 64k-entry table; the lower bound of any attention that reads all keys).
// Prints a table (no JSON). Threads: 1 and 2.
#include "tfkernels.h"
#include "bench_util.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

namespace {

uint16_t f2h_trunc(float f) {  // bench data only: truncating float -> half for normal values
    uint32_t x;
    std::memcpy(&x, &f, 4);
    const uint32_t sign = (x >> 16) & 0x8000u, e = (x >> 23) & 0xffu;
    if (e < 113) return static_cast<uint16_t>(sign);
    return static_cast<uint16_t>(sign | ((e - 112u) << 10) | ((x & 0x7fffffu) >> 13));
}

float h2f(uint16_t h) {
    const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
    const float v = e == 0 ? std::ldexp(static_cast<float>(m), -24) : std::ldexp(static_cast<float>(m + 1024), e - 25);
    return (h & 0x8000) ? -v : v;
}

} // namespace

int main() {
    using namespace tfk_bench;
    const int64_t d = 128, hkv = 8, H = 32, P = 16, budget = 1024;
    std::mt19937 rng(7);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::printf("Quest decode step, d=%lld, %lld KV heads, %lld query heads, F16 K, P=%lld, budget %lld tokens; CPU: %s\n",
                static_cast<long long>(d), static_cast<long long>(hkv), static_cast<long long>(H),
                static_cast<long long>(P), static_cast<long long>(budget), cpu_model().c_str());
    std::vector<float> lut(65536);  // F16 -> F32 table for the dense baseline (fast decoding)
    for (uint32_t h = 0; h < 65536; ++h) lut[h] = h2f(static_cast<uint16_t>(h));
    std::printf("%7s %3s %11s %11s %9s %9s %12s %9s %8s\n", "n_kv", "thr", "meta_full", "meta_last", "scores", "select",
                "scores+sel", "dense", "speedup");
    for (int64_t n_kv : {4096, 16384, 32768}) {
        std::vector<uint16_t> k(static_cast<size_t>(n_kv * hkv * d));
        for (auto & x : k) x = f2h_trunc(normal(rng));
        std::vector<float> q(static_cast<size_t>(H * d));
        for (auto & x : q) x = normal(rng);
        tfk_attn_view v{};
        v.head_dim = d;
        v.n_head = H;
        v.n_head_kv = hkv;
        v.n_rows = 1;
        v.n_kv = n_kv;
        v.q = q.data();
        v.q_type = TFK_F32;
        v.q_head_stride = d * 4;
        v.q_row_stride = H * d * 4;
        v.k = k.data();
        v.k_type = TFK_F16;
        v.k_head_stride = d * 2;
        v.k_cell_stride = hkv * d * 2;
        v.scale = 1.0f;
        const int64_t n_pages = (n_kv + P - 1) / P;
        std::vector<float> mins(static_cast<size_t>(n_pages * hkv * d)), maxs(mins.size()), sc(static_cast<size_t>(hkv * n_pages));
        std::vector<int64_t> ip(static_cast<size_t>(hkv + 1));
        std::vector<int32_t> ix(static_cast<size_t>(hkv * n_pages));
        std::vector<float> dense(static_cast<size_t>(H * n_kv));
        for (int thr : {1, 2}) {
            const Timing tm = time_calls([&](int) { tfk_quest_page_meta(&v, P, 0, n_pages, mins.data(), maxs.data(), thr); }, 0.2, 3, 50);
            const Timing tl = time_calls([&](int) { tfk_quest_page_meta(&v, P, n_pages - 1, n_pages, mins.data(), maxs.data(), thr); }, 0.1, 10, 2000);
            const Timing ts = time_calls([&](int) { tfk_quest_page_scores(&v, mins.data(), maxs.data(), P, n_pages, sc.data(), thr); }, 0.2, 5, 500);
            const Timing tk = time_calls([&](int) { tfk_select_topk(sc.data(), hkv, n_pages, n_pages, budget / P, ip.data(), ix.data(), thr); }, 0.2, 5, 2000);
            // Dense q.k (threads over KV heads).
            const Timing td = time_calls([&](int) {
                auto work = [&](int64_t g0, int64_t g1) {
                    std::vector<float> kf(static_cast<size_t>(d));
                    for (int64_t g = g0; g < g1; ++g)
                        for (int64_t j = 0; j < n_kv; ++j) {
                            const uint16_t * kj = k.data() + (j * hkv + g) * d;
                            for (int64_t i = 0; i < d; ++i) kf[static_cast<size_t>(i)] = lut[kj[i]];
                            for (int64_t h = g * (H / hkv); h < (g + 1) * (H / hkv); ++h) {
                                float acc = 0.0f;
                                const float * qh = q.data() + h * d;
                                for (int64_t i = 0; i < d; ++i) acc += qh[i] * kf[static_cast<size_t>(i)];
                                dense[static_cast<size_t>(h * n_kv + j)] = acc;
                            }
                        }
                };
                if (thr == 1) {
                    work(0, hkv);
                } else {
                    std::thread t2(work, hkv / 2, hkv);
                    work(0, hkv / 2);
                    t2.join();
                }
            }, 0.2, 3, 200);
            const double sq = (ts.best_s + tk.best_s) * 1e3;
            std::printf("%7lld %3d %9.3fms %9.4fms %7.3fms %7.3fms %10.3fms %7.3fms %7.1fx\n", static_cast<long long>(n_kv),
                        thr, tm.best_s * 1e3, tl.best_s * 1e3, ts.best_s * 1e3, tk.best_s * 1e3, sq, td.best_s * 1e3,
                        td.best_s * 1e3 / sq);
        }
    }
    return 0;
}

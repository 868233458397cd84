// tfk_topk_bench [out.json]: times topk_ref, topk_cpu (1 and 2 threads) and, when a GPU is
// present, topk_cuda over logit shapes typical of decoding; also measures this machine's memory
// read bandwidth so the numbers can be read as a fraction of it. Writes JSON (default
// bench/results/topk.json, relative to the working directory) and prints a table.
//
// CPU timings: "cold" calls each read a copy of the input not touched for >= 256 MiB of traffic, so
// the logits come from DRAM; "hot" calls cycle over copies totalling <= 16 MiB, which stay in the
// L3 cache when they fit. Copies differ (each row rotated by a different offset) so the branch
// predictor cannot learn one input. Best (and median) of N timed calls.
#include "tfkernels.h"
#include "bench_util.h"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#if defined(TFK_BENCH_CUDA)
#  include <cuda_runtime.h>
#endif

namespace {

using namespace tfk_bench;




// Memory read bandwidth: sum 512 MiB as uint64 (vectorizes without fast-math) on `threads`
// threads, best of 5, in GB/s (1e9 bytes).
double measure_read_bw(const std::vector<uint64_t> & buf, int threads) {
    double best = 0.0;
    volatile uint64_t sink = 0;
    for (int rep = 0; rep < 5; ++rep) {
        std::vector<uint64_t> partial(static_cast<size_t>(threads), 0);
        auto work = [&](int t) {
            const size_t n = buf.size(), lo = n * t / threads, hi = n * (t + 1) / threads;
            uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            size_t i = lo;
            for (; i + 4 <= hi; i += 4) {
                s0 += buf[i];
                s1 += buf[i + 1];
                s2 += buf[i + 2];
                s3 += buf[i + 3];
            }
            for (; i < hi; ++i) s0 += buf[i];
            partial[t] = s0 + s1 + s2 + s3;
        };
        const auto t0 = Clock::now();
        std::vector<std::thread> pool;
        for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
        work(0);
        for (auto & th : pool) th.join();
        const double s = seconds_since(t0);
        for (uint64_t p : partial) sink = sink + p;
        best = std::max(best, static_cast<double>(buf.size() * sizeof(uint64_t)) / s / 1e9);
    }
    (void) sink;
    return best;
}

struct Shape {
    int64_t rows, cols;
};

struct Row {
    int64_t     rows, cols;
    int         k;
    std::string method;   // ref | cpu | cuda
    int         threads;  // 0 for cuda
    std::string mode;     // cold | hot | device
    double      best_ms, median_ms;
    int         reps;
    double      gbps;      // logits bytes / best time
    double      frac_bw;   // gbps / measured read bandwidth at the same thread count (0 for cuda)
};


} // namespace

int main(int argc, char ** argv) {
    const std::string out_path = argc > 1 ? argv[1] : "bench/results/topk.json";
    const Shape shapes[] = {{1, 32000}, {1, 128000}, {1, 256000}, {8, 32000}, {64, 32000}, {256, 32000}};
    const int ks[] = {8, 64};
    const bool cuda = tfk_cuda_available() != 0;

    std::printf("tfk_topk_bench: CPU %s, %u hardware threads, CUDA %s\n", cpu_model().c_str(),
                std::thread::hardware_concurrency(), cuda ? "yes" : "no (skipped)");

    std::vector<uint64_t> bw_buf((size_t(512) << 20) / sizeof(uint64_t));
    for (size_t i = 0; i < bw_buf.size(); ++i) bw_buf[i] = i * 0x9e3779b97f4a7c15ull;
    // Measured before and after the timings (best of both): the VM's bandwidth drifts.
    double bw1 = measure_read_bw(bw_buf, 1);
    double bw2 = measure_read_bw(bw_buf, 2);
    std::printf("memory read bandwidth (512 MiB sum, best of 5): 1 thread %.1f GB/s, 2 threads %.1f GB/s\n\n", bw1, bw2);

    std::mt19937 rng(12345u);
    std::normal_distribution<float> normal(0.0f, 4.0f);
    std::vector<Row> rows;
    bool mismatch = false;

    for (const Shape & sh : shapes) {
        const size_t elems = static_cast<size_t>(sh.rows * sh.cols);
        const size_t bytes = elems * sizeof(float);
        // Copies 0..hot_copies-1 serve hot calls; cold calls cycle through the next `copies` with
        // one counter shared by all methods, so a cold copy is re-read only after >= 256 MiB.
        const size_t hot_copies = std::clamp<size_t>((size_t(16) << 20) / bytes, 1, 16);
        const size_t copies     = std::max<size_t>(2, ((size_t(256) << 20) + bytes - 1) / bytes);
        std::vector<float> data(elems * (hot_copies + copies));
        for (size_t i = 0; i < elems; ++i) data[i] = normal(rng);
        for (size_t c = 1; c < hot_copies + copies; ++c) {
            for (int64_t r = 0; r < sh.rows; ++r) {
                const float * src = data.data() + r * sh.cols;
                const int64_t shift = static_cast<int64_t>((c * 7919 + static_cast<size_t>(r) * 104729) % static_cast<size_t>(sh.cols));
                std::rotate_copy(src, src + shift, src + sh.cols, data.data() + c * elems + r * sh.cols);
            }
        }
        size_t next_cold = 0, next_hot = 0;

        for (int k : ks) {
            std::vector<int32_t> ids(static_cast<size_t>(sh.rows * k)), ref_ids(ids.size());
            std::vector<float> vals(ids.size()), ref_vals(ids.size());
            tfk::topk_ref(data.data(), sh.rows, sh.cols, sh.cols, k, ref_ids.data(), ref_vals.data());

            auto add = [&](const std::string & method, int threads, const std::string & mode, const Timing & t) {
                const double gbps = static_cast<double>(bytes) / t.best_s / 1e9;
                const double bw = threads == 1 ? bw1 : threads == 2 ? bw2 : 0.0;
                rows.push_back({sh.rows, sh.cols, k, method, threads, mode, t.best_s * 1e3, t.median_s * 1e3, t.reps,
                                gbps, bw > 0 ? gbps / bw : 0.0});
            };
            auto cold = [&](int) { return data.data() + (hot_copies + next_cold++ % copies) * elems; };
            auto hot  = [&](int) { return data.data() + (next_hot++ % hot_copies) * elems; };

            add("ref", 1, "cold", time_calls([&](int rep) {
                    tfk::topk_ref(cold(rep), sh.rows, sh.cols, sh.cols, k, ids.data(), vals.data());
                }, 0.3, 3, 200));
            for (int threads : {1, 2}) {
                add("cpu", threads, "cold", time_calls([&](int rep) {
                        tfk::topk_cpu(cold(rep), sh.rows, sh.cols, sh.cols, k, ids.data(), vals.data(), threads);
                    }, 0.3, 10, 2000));
                add("cpu", threads, "hot", time_calls([&](int rep) {
                        tfk::topk_cpu(hot(rep), sh.rows, sh.cols, sh.cols, k, ids.data(), vals.data(), threads);
                    }, 0.3, 10, 2000));
                tfk::topk_cpu(data.data(), sh.rows, sh.cols, sh.cols, k, ids.data(), vals.data(), threads);
                if (ids != ref_ids || std::memcmp(vals.data(), ref_vals.data(), vals.size() * sizeof(float)) != 0) {
                    std::printf("MISMATCH topk_cpu vs topk_ref at %" PRId64 "x%" PRId64 " k=%d\n", sh.rows, sh.cols, k);
                    mismatch = true;
                }
            }
#if defined(TFK_BENCH_CUDA)
            if (cuda) {
                float * d_x = nullptr;
                int32_t * d_ids = nullptr;
                float * d_vals = nullptr;
                cudaStream_t stream = nullptr;
                cudaEvent_t e0 = nullptr, e1 = nullptr;
                bool ok = cudaMalloc(&d_x, bytes) == cudaSuccess &&
                          cudaMalloc(&d_ids, ids.size() * sizeof(int32_t)) == cudaSuccess &&
                          cudaMalloc(&d_vals, vals.size() * sizeof(float)) == cudaSuccess &&
                          cudaMemcpy(d_x, data.data(), bytes, cudaMemcpyHostToDevice) == cudaSuccess &&
                          cudaStreamCreate(&stream) == cudaSuccess && cudaEventCreate(&e0) == cudaSuccess &&
                          cudaEventCreate(&e1) == cudaSuccess;
                std::vector<double> t;
                for (int rep = 0; ok && rep < 50; ++rep) {
                    ok = cudaEventRecord(e0, stream) == cudaSuccess &&
                         tfk::topk_cuda(d_x, sh.rows, sh.cols, sh.cols, k, d_ids, d_vals, stream) == TFK_OK &&
                         cudaEventRecord(e1, stream) == cudaSuccess && cudaEventSynchronize(e1) == cudaSuccess;
                    float ms = 0.0f;
                    if (ok && cudaEventElapsedTime(&ms, e0, e1) == cudaSuccess && rep > 0) t.push_back(ms * 1e-3);
                }
                if (ok && !t.empty()) {
                    std::sort(t.begin(), t.end());
                    add("cuda", 0, "device", {t.front(), t[t.size() / 2], static_cast<int>(t.size())});
                    ok = cudaMemcpy(ids.data(), d_ids, ids.size() * sizeof(int32_t), cudaMemcpyDeviceToHost) == cudaSuccess &&
                         cudaMemcpy(vals.data(), d_vals, vals.size() * sizeof(float), cudaMemcpyDeviceToHost) == cudaSuccess;
                    if (!ok || ids != ref_ids || std::memcmp(vals.data(), ref_vals.data(), vals.size() * sizeof(float)) != 0) {
                        std::printf("MISMATCH topk_cuda vs topk_ref at %" PRId64 "x%" PRId64 " k=%d\n", sh.rows, sh.cols, k);
                        mismatch = true;
                    }
                } else {
                    std::printf("CUDA run failed at %" PRId64 "x%" PRId64 " k=%d: %s\n", sh.rows, sh.cols, k,
                                tfk_cuda_last_error());
                    mismatch = true;
                }
                cudaFree(d_x);
                cudaFree(d_ids);
                cudaFree(d_vals);
                if (e0) cudaEventDestroy(e0);
                if (e1) cudaEventDestroy(e1);
                if (stream) cudaStreamDestroy(stream);
            }
#endif
        }
    }

    {
        const double b1 = measure_read_bw(bw_buf, 1), b2 = measure_read_bw(bw_buf, 2);
        std::printf("memory read bandwidth again: 1 thread %.1f GB/s, 2 threads %.1f GB/s (best of both kept)\n\n", b1, b2);
        bw1 = std::max(bw1, b1);
        bw2 = std::max(bw2, b2);
        std::vector<uint64_t>().swap(bw_buf);
        for (Row & x : rows) {
            const double bw = x.threads == 1 ? bw1 : x.threads == 2 ? bw2 : 0.0;
            x.frac_bw = bw > 0 ? x.gbps / bw : 0.0;
        }
    }

    // Table: one line per shape/k.
    auto find = [&](int64_t r, int64_t c, int k, const char * m, int th, const char * mode) -> const Row * {
        for (const Row & x : rows)
            if (x.rows == r && x.cols == c && x.k == k && x.method == m && x.threads == th && x.mode == mode) return &x;
        return nullptr;
    };
    std::printf("cold = logits from DRAM, hot = from L3; ms = best per call; %%bwN = GB/s / N-thread read bandwidth\n");
    std::printf("%-10s %3s | %8s | %8s %6s %6s | %8s %6s %6s | %8s %8s%s\n", "shape", "k", "ref ms", "cpu1 ms", "GB/s",
                "%bw1", "cpu2 ms", "GB/s", "%bw2", "cpu1 hot", "cpu2 hot", cuda ? " |  cuda ms" : "");
    for (const Shape & sh : shapes) {
        for (int k : ks) {
            const Row * ref = find(sh.rows, sh.cols, k, "ref", 1, "cold");
            const Row * c1  = find(sh.rows, sh.cols, k, "cpu", 1, "cold");
            const Row * c2  = find(sh.rows, sh.cols, k, "cpu", 2, "cold");
            const Row * h1  = find(sh.rows, sh.cols, k, "cpu", 1, "hot");
            const Row * h2  = find(sh.rows, sh.cols, k, "cpu", 2, "hot");
            const Row * cu  = find(sh.rows, sh.cols, k, "cuda", 0, "device");
            const std::string name = std::to_string(sh.rows) + "x" + std::to_string(sh.cols);
            std::printf("%-10s %3d | %8.4f | %8.4f %6.1f %5.0f%% | %8.4f %6.1f %5.0f%% | %8.4f %8.4f", name.c_str(), k,
                        ref->best_ms, c1->best_ms, c1->gbps, 100.0 * c1->frac_bw, c2->best_ms, c2->gbps,
                        100.0 * c2->frac_bw, h1->best_ms, h2->best_ms);
            if (cuda) {
                if (cu) std::printf(" | %8.4f", cu->best_ms);
                else std::printf(" | %8s", "n/a");
            }
            std::printf("\n");
        }
    }

    std::FILE * f = open_output(out_path);
    if (f == nullptr) return 2;
    std::fprintf(f, "{\n  \"benchmark\": \"tfk_topk_bench\",\n");
    std::fprintf(f, "  \"machine\": {\"cpu\": \"%s\", \"hardware_threads\": %u, \"compiler\": \"%s\", \"avx2\": %s, \"cuda_device\": %s},\n",
                 json_escape(cpu_model()).c_str(), std::thread::hardware_concurrency(), json_escape(__VERSION__).c_str(),
                 std::strcmp(tfk_cpu_isa(), "avx2") == 0 ? "true" : "false",  // the kernels' run-time ISA
                 cuda ? "true" : "false");
    std::fprintf(f, "  \"memory_read_GBps\": {\"threads_1\": %.2f, \"threads_2\": %.2f, \"method\": \"sum of 512 MiB uint64, best of 5, before and after the timings\"},\n",
                 bw1, bw2);
    std::fprintf(f, "  \"notes\": \"best_ms is best-of-reps per call; cold = each call reads a copy not touched for >= 256 MiB (DRAM), hot = cycling over copies totalling <= 16 MiB (L3); copies are per-row rotations so inputs differ; gbps = logits bytes / best time; frac_bw = gbps / memory_read_GBps at the same thread count\",\n");
    std::fprintf(f, "  \"results\": [\n");
    for (size_t i = 0; i < rows.size(); ++i) {
        const Row & x = rows[i];
        std::fprintf(f,
                     "    {\"rows\": %" PRId64 ", \"cols\": %" PRId64 ", \"k\": %d, \"method\": \"%s\", \"threads\": %d, "
                     "\"mode\": \"%s\", \"best_ms\": %.5f, \"median_ms\": %.5f, \"reps\": %d, \"gbps\": %.3f, \"frac_bw\": %.4f}%s\n",
                     x.rows, x.cols, x.k, x.method.c_str(), x.threads, x.mode.c_str(), x.best_ms, x.median_ms, x.reps,
                     x.gbps, x.frac_bw, i + 1 < rows.size() ? "," : "");
    }
    std::fprintf(f, "  ]\n}\n");
    std::fclose(f);
    std::printf("\nwrote %s%s\n", out_path.c_str(), mismatch ? " (WITH MISMATCHES)" : "");
    return mismatch ? 1 : 0;
}

// tfk_tree_verify_bench [out.json]: times tfk::tree_verify_{greedy,sample}_ref against _cpu (1 and 2
// threads) for n_nodes in {1, 8, 32, 81, 256} x n_vocab in {512, 32000}, k_cand = 8 (the Token
// Recycling setting: every row's top-8 is returned). Writes JSON (default
// bench/results/tree_verify.json, relative to the working directory) and prints a table.
//
// Input per shape: logits N(0, 4); a random "bushy" draft tree (parents among the 4 previous nodes);
// a greedy path of depth min(n-1, 6) planted (the argmax of each path row is the next node's token),
// and, for sampling, the first child's token of every row raised by +4 so sampled walks descend too.
// Sampling uses llama.cpp's default chain: T 0.8, top_k 40, top_p 0.95, min_p 0.05; one fresh
// uniform vector per call. Calls cycle through 2..16 independently generated inputs (fresh logits,
// same tree and plantings) so that the branch predictor cannot memorize one small input; the small
// shapes still run from cache, the 256 x 32000 ones (32 MiB each) from DRAM. Best and median.
//
// CUDA (built with TF_CUDA=ON, TFK_BENCH_CUDA, and a GPU present at run time): two more methods per
// shape and mode, the facade's decision between them. The input copies are uploaded to the device
// once beforehand; calls cycle through them as above.
//   "cuda"    tfk::tree_verify_*_cuda on the device-resident logits, outputs in device memory
//             ([path n | len | bonus | candidates n*k] in one buffer), timed on the host including
//             the stream synchronize and the one d2h copy of those n + 2 + n*k ints (what the
//             facade does when llama.cpp leaves the logits on the GPU);
//   "d2h+cpu" cudaMemcpy of the n*V logits into a pageable host buffer (as llama.cpp copies them
//             into its host output buffer) + tfk::tree_verify_*_cpu with 2 threads.
// Both are checked against the ref (path, len, bonus, candidates). Without CUDA the bench prints
// one line saying why those rows were skipped and otherwise runs as the CPU-only bench.
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

#if defined(TFK_BENCH_CUDA)
// cudaMalloc'd bytes, freed on scope exit.
struct DeviceBuffer {
    void * p = nullptr;
    DeviceBuffer() = default;
    DeviceBuffer(const DeviceBuffer &) = delete;
    DeviceBuffer & operator=(const DeviceBuffer &) = delete;
    ~DeviceBuffer() {
        if (p != nullptr) cudaFree(p);
    }
    cudaError_t alloc(size_t bytes) { return cudaMalloc(&p, bytes); }
    template <class T> T * as() const { return static_cast<T *>(p); }
};
#endif

struct Row {
    int32_t     n_nodes;
    int64_t     n_vocab;
    std::string mode;    // greedy | sample
    std::string method;  // ref | cpu | cuda | d2h+cpu
    int         threads; // 0 for cuda
    double      best_ms, median_ms;
    int         reps;
    double      mean_path_len;
};

} // namespace

int main(int argc, char ** argv) {
    const std::string out_path = argc > 1 ? argv[1] : "bench/results/tree_verify.json";
    const int32_t node_counts[] = {1, 8, 32, 81, 256};
    const int64_t vocabs[] = {512, 32000};
    const int32_t k_cand = 8;
    const tfk_sampling_params sp{0.8f, 40, 0.95f, 0.05f};

    std::printf("tfk_tree_verify_bench: CPU %s, %u hardware threads, k_cand %d\n", cpu_model().c_str(),
                std::thread::hardware_concurrency(), k_cand);
#if defined(TFK_BENCH_CUDA)
    const bool cuda = tfk_cuda_available() != 0;
    std::string gpu_name;
    cudaStream_t stream = nullptr;
    if (cuda) {
        int dev = 0;
        cudaDeviceProp prop{};
        gpu_name = cudaGetDevice(&dev) == cudaSuccess && cudaGetDeviceProperties(&prop, dev) == cudaSuccess
                       ? std::string(prop.name) : std::string("unknown");
        const cudaError_t e = cudaStreamCreate(&stream);
        if (e != cudaSuccess) {
            std::printf("cudaStreamCreate failed: %s\n", cudaGetErrorString(e));
            return 2;
        }
        std::printf("GPU %s: cuda and d2h+cpu rows included\n", gpu_name.c_str());
    } else {
        const std::string why = tfk_cuda_last_error();
        std::printf("CUDA rows (cuda, d2h+cpu) skipped: no usable CUDA device%s%s%s\n", why.empty() ? "" : " (",
                    why.c_str(), why.empty() ? "" : ")");
    }
#else
    const bool cuda = false;
    std::printf("CUDA rows (cuda, d2h+cpu) skipped: built without CUDA (TF_CUDA=OFF)\n");
#endif
    std::vector<Row> rows;
    bool mismatch = false;
    std::mt19937 rng(31337u);

    for (int64_t V : vocabs) {
        for (int32_t n : node_counts) {
            std::vector<int32_t> tokens(n), parents(n);
            parents[0] = -1;
            std::uniform_int_distribution<int64_t> tok(0, V - 1);
            tokens[0] = static_cast<int32_t>(tok(rng));
            for (int32_t i = 1; i < n; ++i) {
                parents[i] = std::uniform_int_distribution<int32_t>(std::max(0, i - 4), i - 1)(rng);
                tokens[i] = static_cast<int32_t>(tok(rng));
            }
            // Independent inputs (fresh logits, same tree, same plantings), cycled through by the
            // timed calls so the branch predictor cannot learn one input: 16 copies, fewer for the
            // big shapes (at most ~64 MiB per kind).
            const size_t elems = static_cast<size_t>(n) * V;
            const size_t copies = std::clamp<size_t>((size_t(64) << 20) / (elems * sizeof(float)), 2, 16);
            std::vector<std::vector<float>> xg(copies), xsm(copies);
            std::normal_distribution<float> normal(0.0f, 4.0f);
            for (size_t cp = 0; cp < copies; ++cp) {
                std::vector<float> & x = xg[cp];
                x.resize(elems);
                for (float & v : x) v = normal(rng);
                xsm[cp] = x;
                // Greedy: plant a path of depth <= 6 along first children.
                int32_t u = 0;
                for (int d = 0; d < 6; ++d) {
                    int32_t c = -1;
                    for (int32_t i = u + 1; i < n && c < 0; ++i)
                        if (parents[i] == u) c = i;
                    if (c < 0) break;
                    float * row = x.data() + static_cast<int64_t>(u) * V;
                    row[tokens[c]] = *std::max_element(row, row + V) + 1.0f;
                    u = c;
                }
                // Sampling: every row's first child's token boosted by +4.
                for (int32_t w = 0; w < n; ++w) {
                    for (int32_t i = w + 1; i < n; ++i) {
                        if (parents[i] == w) {
                            float * row = xsm[cp].data() + static_cast<int64_t>(w) * V;
                            row[tokens[i]] = *std::max_element(row, row + V) + 4.0f;
                            break;
                        }
                    }
                }
            }
            std::vector<std::vector<float>> unis(64, std::vector<float>(n));
            std::uniform_real_distribution<float> uni(0.0f, 1.0f);
            for (auto & u : unis)
                for (float & v : u) v = std::min(uni(rng), 0.99999994f);

            std::vector<int32_t> path(n), cand(static_cast<size_t>(n) * k_cand), ref_path(n), ref_cand(cand.size());
            int32_t len = 0, bonus = 0, ref_len = 0, ref_bonus = 0;

#if defined(TFK_BENCH_CUDA)
            // Device copies of every input (both kinds), uploaded once; one output buffer
            // [path n | len | bonus | candidates n*k] so that the results come back in one copy.
            DeviceBuffer d_xg, d_xsm, d_out;
            const size_t out_ints = static_cast<size_t>(n) + 2 + cand.size();
            bool dev_ok = cuda;
            if (cuda) {
                cudaError_t e = d_xg.alloc(copies * elems * sizeof(float));
                if (e == cudaSuccess) e = d_xsm.alloc(copies * elems * sizeof(float));
                if (e == cudaSuccess) e = d_out.alloc(out_ints * sizeof(int32_t));
                for (size_t cp = 0; cp < copies && e == cudaSuccess; ++cp) {
                    e = cudaMemcpy(d_xg.as<float>() + cp * elems, xg[cp].data(), elems * sizeof(float), cudaMemcpyHostToDevice);
                    if (e == cudaSuccess)
                        e = cudaMemcpy(d_xsm.as<float>() + cp * elems, xsm[cp].data(), elems * sizeof(float),
                                       cudaMemcpyHostToDevice);
                }
                if (e != cudaSuccess) {
                    std::printf("CUDA setup failed at n=%d V=%" PRId64 ": %s\n", n, V, cudaGetErrorString(e));
                    dev_ok = false;
                    mismatch = true;
                }
            }
#endif

            for (const std::string mode : {"greedy", "sample"}) {
                const bool smp = mode == "sample";
                long len_sum = 0, calls = 0;
                auto call = [&](bool ref, int threads, int rep) {
                    int rc;
                    const size_t cp = static_cast<size_t>(rep) % copies;
                    const float * in = smp ? xsm[cp].data() : xg[cp].data();
                    const float * u = unis[static_cast<size_t>(rep) % unis.size()].data();
                    if (smp)
                        rc = ref ? tfk::tree_verify_sample_ref(in, n, V, V, tokens.data(), parents.data(), k_cand, &sp, u,
                                                               path.data(), &len, &bonus, cand.data())
                                 : tfk::tree_verify_sample_cpu(in, n, V, V, tokens.data(), parents.data(), k_cand, &sp, u,
                                                               path.data(), &len, &bonus, cand.data(), threads);
                    else
                        rc = ref ? tfk::tree_verify_greedy_ref(in, n, V, V, tokens.data(), parents.data(), k_cand,
                                                               path.data(), &len, &bonus, cand.data())
                                 : tfk::tree_verify_greedy_cpu(in, n, V, V, tokens.data(), parents.data(), k_cand,
                                                               path.data(), &len, &bonus, cand.data(), threads);
                    if (rc != TFK_OK) {
                        std::printf("error %d (%s)\n", rc, tfk_status_str(rc));
                        mismatch = true;
                    }
                    len_sum += len;
                    ++calls;
                };
                auto add = [&](const char * method, int threads, const Timing & t) {
                    rows.push_back({n, V, mode, method, threads, t.best_s * 1e3, t.median_s * 1e3, t.reps,
                                    calls ? static_cast<double>(len_sum) / calls : 0.0});
                };
                len_sum = calls = 0;
                add("ref", 1, time_calls([&](int rep) { call(true, 1, rep); }, 0.3, 3, 300));
                for (int threads : {1, 2}) {
                    len_sum = calls = 0;
                    add("cpu", threads, time_calls([&](int rep) { call(false, threads, rep); }, 0.3, 10, 5000));
                }
                // Same results (rep 0's uniforms).
                call(true, 1, 0);
                ref_path = path;
                ref_len = len;
                ref_bonus = bonus;
                ref_cand = cand;
                call(false, 2, 0);
                if (len != ref_len || bonus != ref_bonus || cand != ref_cand ||
                    !std::equal(path.begin(), path.begin() + len, ref_path.begin())) {
                    std::printf("MISMATCH %s n=%d V=%" PRId64 "\n", mode.c_str(), n, V);
                    mismatch = true;
                }
#if defined(TFK_BENCH_CUDA)
                if (dev_ok) {
                    // Results equal to the ref's (path prefix, len, bonus, candidates)?
                    auto same = [&](const int32_t * p, int32_t l, int32_t b, const int32_t * c) {
                        return l == ref_len && b == ref_bonus && l >= 1 && l <= n &&
                               std::equal(p, p + l, ref_path.begin()) &&
                               std::equal(c, c + ref_cand.size(), ref_cand.begin());
                    };
                    const float * d_in = (smp ? d_xsm : d_xg).as<float>();
                    int32_t * d_path = d_out.as<int32_t>();
                    int32_t * d_len = d_path + n;
                    int32_t * d_bonus = d_len + 1;
                    int32_t * d_cand = d_bonus + 1;
                    std::vector<int32_t> h_out(out_ints);
                    std::string err;  // first failure
                    auto fail = [&](const char * what, int rc, cudaError_t e) {
                        if (!err.empty()) return;
                        err = std::string(what) + ": " +
                              (rc != TFK_OK ? std::string(tfk_status_str(rc)) + " (" + tfk_cuda_last_error() + ")"
                                            : std::string(cudaGetErrorString(e)));
                    };
                    // "cuda": verify on the device, then synchronize and copy path/len/bonus/candidates back.
                    auto cuda_call = [&](int rep) {
                        if (!err.empty()) return;
                        const size_t cp = static_cast<size_t>(rep) % copies;
                        const float * in = d_in + cp * elems;
                        const float * u = unis[static_cast<size_t>(rep) % unis.size()].data();
                        const int rc =
                            smp ? tfk::tree_verify_sample_cuda(in, n, V, V, tokens.data(), parents.data(), k_cand, &sp, u,
                                                               d_path, d_len, d_bonus, d_cand, stream)
                                : tfk::tree_verify_greedy_cuda(in, n, V, V, tokens.data(), parents.data(), k_cand,
                                                               d_path, d_len, d_bonus, d_cand, stream);
                        cudaError_t e = cudaSuccess;
                        if (rc == TFK_OK)
                            e = cudaMemcpyAsync(h_out.data(), d_path, out_ints * sizeof(int32_t), cudaMemcpyDeviceToHost,
                                                stream);
                        if (rc == TFK_OK && e == cudaSuccess) e = cudaStreamSynchronize(stream);
                        if (rc != TFK_OK || e != cudaSuccess) return fail("tree_verify cuda", rc, e);
                        len_sum += h_out[n];
                        ++calls;
                    };
                    // "d2h+cpu": copy the logits to a pageable host buffer (touched beforehand, reused
                    // like llama.cpp's output buffer), then the CPU kernel with 2 threads.
                    std::vector<float> h_logits(elems, 0.0f);
                    auto d2h_cpu_call = [&](int rep) {
                        if (!err.empty()) return;
                        const size_t cp = static_cast<size_t>(rep) % copies;
                        const float * u = unis[static_cast<size_t>(rep) % unis.size()].data();
                        const cudaError_t e =
                            cudaMemcpy(h_logits.data(), d_in + cp * elems, elems * sizeof(float), cudaMemcpyDeviceToHost);
                        if (e != cudaSuccess) return fail("cudaMemcpy d2h", TFK_OK, e);
                        const float * in = h_logits.data();
                        const int rc =
                            smp ? tfk::tree_verify_sample_cpu(in, n, V, V, tokens.data(), parents.data(), k_cand, &sp, u,
                                                              path.data(), &len, &bonus, cand.data(), 2)
                                : tfk::tree_verify_greedy_cpu(in, n, V, V, tokens.data(), parents.data(), k_cand,
                                                              path.data(), &len, &bonus, cand.data(), 2);
                        if (rc != TFK_OK) return fail("tree_verify cpu", rc, cudaSuccess);
                        len_sum += len;
                        ++calls;
                    };
                    // Rep 0 first: checks the results and warms up (stream-ordered pool, module load).
                    cuda_call(0);
                    if (err.empty() && !same(h_out.data(), h_out[n], h_out[n + 1], h_out.data() + n + 2)) {
                        std::printf("MISMATCH cuda %s n=%d V=%" PRId64 "\n", mode.c_str(), n, V);
                        mismatch = true;
                    }
                    d2h_cpu_call(0);
                    if (err.empty() && !same(path.data(), len, bonus, cand.data())) {
                        std::printf("MISMATCH d2h+cpu %s n=%d V=%" PRId64 "\n", mode.c_str(), n, V);
                        mismatch = true;
                    }
                    len_sum = calls = 0;
                    const Timing tc = time_calls(cuda_call, 0.3, 10, 5000);
                    if (err.empty()) add("cuda", 0, tc);
                    len_sum = calls = 0;
                    const Timing th = time_calls(d2h_cpu_call, 0.3, 10, 5000);
                    if (err.empty()) add("d2h+cpu", 2, th);
                    if (!err.empty()) {
                        std::printf("CUDA run failed at %s n=%d V=%" PRId64 ": %s\n", mode.c_str(), n, V, err.c_str());
                        mismatch = true;
                    }
                }
#endif
            }
        }
    }

    auto find = [&](int32_t n, int64_t V, const std::string & mode, const char * m, int th) -> const Row * {
        for (const Row & r : rows)
            if (r.n_nodes == n && r.n_vocab == V && r.mode == mode && r.method == m && r.threads == th) return &r;
        return nullptr;
    };
    std::printf("\nms per call (best of reps); path = mean accepted path length incl. the root\n");
    std::printf("%-7s %6s %5s | %9s %9s %9s %7s | %9s %9s %9s %7s\n", "n_vocab", "nodes", "", "greedy ref", "cpu 1T",
                "cpu 2T", "path", "sample ref", "cpu 1T", "cpu 2T", "path");
    for (int64_t V : vocabs) {
        for (int32_t n : node_counts) {
            const Row *gr = find(n, V, "greedy", "ref", 1), *g1 = find(n, V, "greedy", "cpu", 1),
                      *g2 = find(n, V, "greedy", "cpu", 2), *sr = find(n, V, "sample", "ref", 1),
                      *s1 = find(n, V, "sample", "cpu", 1), *s2 = find(n, V, "sample", "cpu", 2);
            std::printf("%-7" PRId64 " %6d %5s | %9.4f %9.4f %9.4f %7.2f | %9.4f %9.4f %9.4f %7.2f\n", V, n, "",
                        gr->best_ms, g1->best_ms, g2->best_ms, g1->mean_path_len, sr->best_ms, s1->best_ms, s2->best_ms,
                        s1->mean_path_len);
        }
    }
    if (cuda) {
        std::printf("\nlogits on the GPU: cuda = verify there + one d2h of n+2+n*k ints; d2h+cpu = copy n*V floats to "
                    "the host + cpu 2T\n(cpu 2T = host-resident logits, from the table above; x = d2h+cpu / cuda)\n");
        std::printf("%-7s %6s %5s | %9s %9s %9s %6s | %9s %9s %9s %6s\n", "n_vocab", "nodes", "", "greedy 2T", "cuda",
                    "d2h+cpu", "x", "sample 2T", "cuda", "d2h+cpu", "x");
        auto cell = [](const Row * r) {
            char b[32];
            if (r) std::snprintf(b, sizeof b, "%9.4f", r->best_ms);
            else std::snprintf(b, sizeof b, "%9s", "n/a");
            return std::string(b);
        };
        auto ratio = [](const Row * a, const Row * b) {
            char s[32];
            if (a && b && b->best_ms > 0) std::snprintf(s, sizeof s, "%6.2f", a->best_ms / b->best_ms);
            else std::snprintf(s, sizeof s, "%6s", "n/a");
            return std::string(s);
        };
        for (int64_t V : vocabs) {
            for (int32_t n : node_counts) {
                const Row *g2 = find(n, V, "greedy", "cpu", 2), *gc = find(n, V, "greedy", "cuda", 0),
                          *gh = find(n, V, "greedy", "d2h+cpu", 2), *s2 = find(n, V, "sample", "cpu", 2),
                          *sc = find(n, V, "sample", "cuda", 0), *sh = find(n, V, "sample", "d2h+cpu", 2);
                std::printf("%-7" PRId64 " %6d %5s | %s %s %s %s | %s %s %s %s\n", V, n, "", cell(g2).c_str(),
                            cell(gc).c_str(), cell(gh).c_str(), ratio(gh, gc).c_str(), cell(s2).c_str(), cell(sc).c_str(),
                            cell(sh).c_str(), ratio(sh, sc).c_str());
            }
        }
    }

    std::FILE * f = open_output(out_path);
    if (f == nullptr) return 2;
    std::fprintf(f, "{\n  \"benchmark\": \"tfk_tree_verify_bench\",\n");
    std::fprintf(f, "  \"machine\": {\"cpu\": \"%s\", \"hardware_threads\": %u, \"compiler\": \"%s\", \"avx2\": %s",
                 json_escape(cpu_model()).c_str(), std::thread::hardware_concurrency(), json_escape(__VERSION__).c_str(),
                 std::strcmp(tfk_cpu_isa(), "avx2") == 0 ? "true" : "false"  // the kernels' run-time ISA
    );
#if defined(TFK_BENCH_CUDA)
    if (cuda) std::fprintf(f, ", \"gpu\": \"%s\"", json_escape(gpu_name).c_str());
#endif
    std::fprintf(f, "},\n");
    std::fprintf(f, "  \"k_cand\": %d,\n  \"sampling\": {\"temperature\": %g, \"top_k\": %d, \"top_p\": %g, \"min_p\": %g},\n",
                 k_cand, sp.temperature, sp.top_k, sp.top_p, sp.min_p);
    std::fprintf(f, "  \"notes\": \"best_ms/median_ms per call; logits N(0,4), bushy random tree, greedy path of depth <= 6 planted, sampling rows boost their first child's token by +4; calls cycle through 2..16 independently generated inputs (<= 64 MiB per kind); mean_path_len includes the root%s\",\n",
                 cuda ? "; cuda = tree_verify_*_cuda on device-resident logits (inputs uploaded beforehand), host-timed "
                        "including the stream synchronize and one d2h copy of path/len/bonus/candidates (n+2+n*k ints), "
                        "threads 0; d2h+cpu = cudaMemcpy of the n*V logits to a pageable host buffer + tree_verify_*_cpu "
                        "with 2 threads"
                      : "");
    std::fprintf(f, "  \"results\": [\n");
    for (size_t i = 0; i < rows.size(); ++i) {
        const Row & r = rows[i];
        std::fprintf(f,
                     "    {\"n_nodes\": %d, \"n_vocab\": %" PRId64 ", \"mode\": \"%s\", \"method\": \"%s\", \"threads\": %d, "
                     "\"best_ms\": %.5f, \"median_ms\": %.5f, \"reps\": %d, \"mean_path_len\": %.3f}%s\n",
                     r.n_nodes, r.n_vocab, r.mode.c_str(), r.method.c_str(), r.threads, r.best_ms, r.median_ms, r.reps,
                     r.mean_path_len, i + 1 < rows.size() ? "," : "");
    }
    std::fprintf(f, "  ]\n}\n");
    std::fclose(f);
    std::printf("\nwrote %s%s\n", out_path.c_str(), mismatch ? " (WITH MISMATCHES)" : "");
#if defined(TFK_BENCH_CUDA)
    if (stream != nullptr) cudaStreamDestroy(stream);
#endif
    return mismatch ? 1 : 0;
}

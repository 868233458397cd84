// Internal: the small thread helpers of the CPU kernels that start std::threads per call (quest_cpu.cpp,
// quest_scores_cpu.cpp). Not part of the API. Lives in the per-variant namespace (common/isa_ns.h).
#pragma once

#include "common/isa_ns.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <stdint.h>
#include <thread>
#include <vector>

namespace tfk {
namespace detail {
inline namespace TFK_ISA_NS {

// Threads to start: n_threads (<= 0: hardware_concurrency), at most one per min_work_per_thread element
// operations of `work`, at most n_jobs, at least 1.
inline int64_t pick_threads(int n_threads, double work, int64_t n_jobs, double min_work_per_thread) {
    int64_t t = n_threads > 0 ? n_threads : std::max(1u, std::thread::hardware_concurrency());
    t = std::min<int64_t>(t, std::max<int64_t>(1, static_cast<int64_t>(std::min(work / min_work_per_thread, 1e6))));
    return std::max<int64_t>(1, std::min<int64_t>(t, n_jobs));
}

// Runs job(t, i) for i in [0, n_jobs) on `threads` threads (thread index t); jobs from an atomic counter.
// When a thread cannot be started the others (at least the caller's) take its jobs.
inline void run_jobs(int64_t threads, int64_t n_jobs, const std::function<void(int64_t, int64_t)> & job) {
    std::atomic<int64_t> next{0};
    auto worker = [&](int64_t t) {
        for (int64_t i = next.fetch_add(1); i < n_jobs; i = next.fetch_add(1)) job(t, i);
    };
    std::vector<std::thread> pool;
    pool.reserve(static_cast<size_t>(threads - 1));
    for (int64_t t = 1; t < threads; ++t) {
        try {
            pool.emplace_back(worker, t);
        } catch (...) {
            break;
        }
    }
    worker(0);
    for (std::thread & th : pool) th.join();
}

} // namespace TFK_ISA_NS
} // namespace detail
} // namespace tfk

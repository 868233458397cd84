// Helpers shared by the kernel benchmarks: timing, the CPU's name for the report, JSON string escaping.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace tfk_bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

inline std::string cpu_model() {
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line)) {
        if (line.rfind("model name", 0) == 0) {
            const size_t p = line.find(':');
            if (p != std::string::npos) return line.substr(p + 2);
        }
    }
    return "unknown";
}

inline std::string json_escape(const std::string & s) {
    std::string o;
    for (char ch : s) {
        if (ch == '"' || ch == '\\') o += '\\';
        if (static_cast<unsigned char>(ch) >= 0x20) o += ch;
    }
    return o;
}

// Opens the JSON output file, creating its folder; prints why and returns nullptr on failure.
inline std::FILE * open_output(const std::string & path) {
    std::error_code ec;
    const std::filesystem::path p(path);
    if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
    std::FILE * f = std::fopen(path.c_str(), "w");
    if (f == nullptr) std::printf("cannot write %s\n", path.c_str());
    return f;
}

struct Timing {
    double best_s, median_s;
    int    reps;
};

// Calls fn(rep) until >= min_time seconds and >= min_reps calls (at most max_reps); best and median per call.
template <class Fn>
Timing time_calls(Fn && fn, double min_time, int min_reps, int max_reps) {
    std::vector<double> t;
    const auto start = Clock::now();
    for (int rep = 0; rep < max_reps; ++rep) {
        const auto t0 = Clock::now();
        fn(rep);
        t.push_back(seconds_since(t0));
        if (rep + 1 >= min_reps && seconds_since(start) >= min_time) break;
    }
    std::sort(t.begin(), t.end());
    return {t.front(), t[t.size() / 2], static_cast<int>(t.size())};
}

} // namespace tfk_bench

// libtokenflow: process-wide setup (backends, devices), llama.cpp's log, and the per-thread last error.
#include "tokenflow.h"
#include "facade_internal.h"

#include "ggml-backend.h"
#include "ggml.h"
#include "llama.h"
#include "tfkernels.h"

#include <dirent.h>
#include <dlfcn.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <atomic>
#include <exception>
#include <mutex>
#include <string>

namespace {

using tfi::fail;

// Logging: llama.cpp emits fragments (GGML_LOG_LEVEL_CONT); we forward whole lines only.
struct log_sink {
    std::mutex mu;
    tf_log_fn fn = nullptr;
    void * user = nullptr;
    int32_t min_level = 3;
    std::string line;
    int32_t line_level = 2;
};
log_sink g_log;

// The first error line logged on this thread since clear_llama_error(): llama.cpp logs load and context failures
// on the calling thread, reason first ("error loading model: ..."), then a generic line.
thread_local std::string t_first_error;
thread_local int t_recoverable = 0;

// ggml's abort hook (ggml_abort calls it, then abort()). Inside a recoverable_scope it throws, so llama.cpp's own
// try/catch around model load and context creation turns the assertion into a failed call; elsewhere it prints
// one line that says what happened instead of ggml's gdb backtrace, and the process ends.
void on_ggml_abort(const char * message) {
    const char * what = message != nullptr ? message : "(no message)";
    if (t_recoverable > 0) throw tfi::ggml_abort_error(std::string("llama.cpp refused it: ") + what);
    std::fprintf(stderr, "tokenflow: fatal: llama.cpp/ggml stopped the process: %s -- a malformed model file that "
                         "tokenflow's checks let through, or a tokenflow bug; please report it\n", what);
    std::fflush(stderr);
}

void on_terminate() {
    std::fprintf(stderr, "tokenflow: fatal: an uncaught C++ exception in native code ended the process "
                         "(a tokenflow bug; please report it)\n");
    std::fflush(stderr);
    std::abort();
}

void log_forward(ggml_log_level level, const char * text, void * /*user*/) {
    std::lock_guard<std::mutex> lock(g_log.mu);
    if (text == nullptr) return;
    if (level != GGML_LOG_LEVEL_CONT) {
        g_log.line_level = static_cast<int32_t>(level);
    }
    g_log.line.append(text);
    size_t nl;
    while ((nl = g_log.line.find('\n')) != std::string::npos) {
        std::string one = g_log.line.substr(0, nl);
        g_log.line.erase(0, nl + 1);
        if (one.empty()) continue;
        if (g_log.line_level == GGML_LOG_LEVEL_ERROR && t_first_error.empty()) t_first_error = one;
        if (g_log.fn != nullptr && g_log.line_level >= g_log.min_level) {
            g_log.fn(g_log.line_level, one.c_str(), g_log.user);
        }
    }
}

std::once_flag g_init_once;

// ggml's CPU backend, one of the libggml-cpu-<variant>.so modules beside libggml (GGML_BACKEND_DL): chosen once.
struct cpu_backend {
    std::string variant;  // "zen4", "haswell", ...; empty when none could be loaded
    std::string error;    // why none could be loaded
    tfi::threadpool_new_fn tp_new = nullptr;
    tfi::threadpool_free_fn tp_free = nullptr;
};
cpu_backend g_cpu;
std::string g_cpu_dir;  // set by tf_set_cpu_backend_dir before tf_init
std::atomic<bool> g_initialised{false};

// The folder libggml was loaded from: the JavaCPP cache (jar), target/native (tests) or llama.cpp's build/bin.
std::string libggml_dir() {
    Dl_info info{};
    if (dladdr(reinterpret_cast<void *>(&ggml_backend_load), &info) == 0 || info.dli_fname == nullptr) return ".";
    const std::string path = info.dli_fname;
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? "." : path.substr(0, slash);
}

// Picks the variant as ggml_backend_load_best does (the highest ggml_backend_score() this CPU supports; 0 = cannot
// run here), but remembers which one, and honours TOKENFLOW_CPU_VARIANT=<name> to force one (tests, benchmarks).
void load_cpu_backend() {
    const std::string dir = g_cpu_dir.empty() ? libggml_dir() : g_cpu_dir;
    const char * forced_env = std::getenv("TOKENFLOW_CPU_VARIANT");
    const std::string forced = forced_env != nullptr ? forced_env : "";
    const std::string prefix = "libggml-cpu-", suffix = ".so";
    std::string best_path, best_variant;
    int best_score = 0;
    if (DIR * d = opendir(dir.c_str())) {
        while (const dirent * e = readdir(d)) {
            const std::string name = e->d_name;
            if (name.size() <= prefix.size() + suffix.size() || name.compare(0, prefix.size(), prefix) != 0 ||
                name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
            const std::string variant = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
            if (!forced.empty() && variant != forced) continue;
            const std::string path = dir + "/" + name;
            void * h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
            if (h == nullptr) continue;
            auto score = reinterpret_cast<int (*)()>(dlsym(h, "ggml_backend_score"));
            const int s = score != nullptr ? score() : 0;
            dlclose(h);
            if (s > best_score) {
                best_score = s;
                best_path = path;
                best_variant = variant;
            }
        }
        closedir(d);
    }
    if (best_path.empty()) {
        g_cpu.error = forced.empty()
            ? "no ggml CPU backend in " + dir + " runs on this CPU (libggml-cpu-<variant>.so missing or unsupported)"
            : "TOKENFLOW_CPU_VARIANT=" + forced + ": no libggml-cpu-" + forced + ".so in " + dir + " that this CPU can run";
        return;
    }
    ggml_backend_reg_t reg = ggml_backend_load(best_path.c_str());
    if (reg == nullptr) {
        g_cpu.error = "could not load " + best_path;
        return;
    }
    g_cpu.variant = best_variant;
    g_cpu.tp_new = reinterpret_cast<tfi::threadpool_new_fn>(ggml_backend_reg_get_proc_address(reg, "ggml_threadpool_new"));
    g_cpu.tp_free = reinterpret_cast<tfi::threadpool_free_fn>(ggml_backend_reg_get_proc_address(reg, "ggml_threadpool_free"));
}

} // namespace

namespace tfi {

std::string last_llama_error() { return t_first_error; }

void clear_llama_error() { t_first_error.clear(); }

const std::string & cpu_backend_error() { return g_cpu.error; }

std::string backend_module_dir() { return g_cpu_dir.empty() ? libggml_dir() : g_cpu_dir; }

ggml_threadpool * threadpool_new(int32_t n_threads) {
    if (g_cpu.tp_new == nullptr) return nullptr;
    ggml_threadpool_params tp = ggml_threadpool_params_default(n_threads);
    tp.poll = 50;
    return g_cpu.tp_new(&tp);
}

void threadpool_free(ggml_threadpool * pool) {
    if (pool != nullptr && g_cpu.tp_free != nullptr) g_cpu.tp_free(pool);
}

recoverable_scope::recoverable_scope() { ++t_recoverable; }
recoverable_scope::~recoverable_scope() { --t_recoverable; }

tensor_place place_of(const ggml_tensor * t) {
    tensor_place p;
    if (t->buffer == nullptr || ggml_backend_buffer_is_host(t->buffer)) return p;
    p.kind = tensor_place::other;
    ggml_backend_dev_t dev = ggml_backend_buft_get_device(ggml_backend_buffer_get_type(t->buffer));
    const char * name = dev != nullptr ? ggml_backend_dev_name(dev) : nullptr;
    // ggml-cuda names its devices CUDA0, CUDA1, ... after the CUDA device index, the index tfkernels sets.
    if (name != nullptr && std::strncmp(name, "CUDA", 4) == 0 && name[4] >= '0' && name[4] <= '9' && tfk_cuda_available()) {
        char * end = nullptr;
        const long i = std::strtol(name + 4, &end, 10);
        if (end != nullptr && *end == '\0' && i >= 0 && i < 1024) {
            p.kind = tensor_place::cuda;
            p.cuda_device = static_cast<int>(i);
        }
    }
    return p;
}

} // namespace tfi

extern "C" {

const char * tf_last_error(void) { return tfi::g_last_error.c_str(); }

void tf_init(void) {
    std::call_once(g_init_once, [] {
        llama_log_set(log_forward, nullptr);
        ggml_set_abort_callback(on_ggml_abort);
        // ggml registers a terminate handler that runs gdb for a backtrace; one line says more to a Java user.
        std::set_terminate(on_terminate);
        llama_backend_init();
        load_cpu_backend();
        g_initialised = true;
    });
}

int32_t tf_set_cpu_backend_dir(const char * dir) {
    if (g_initialised) return fail(TF_ERR_ARG, "tf_set_cpu_backend_dir: the CPU backend is already loaded");
    g_cpu_dir = dir != nullptr ? dir : "";
    return TF_OK;
}

int32_t tf_cpu_variant(char * buf, int32_t buf_len) {
    tf_init();
    if (buf_len < 0) return fail(TF_ERR_ARG, "negative buffer length");
    return tfi::copy_out(g_cpu.variant, buf, buf_len);
}

int32_t tf_backend_load(const char * path) {
    tf_init();
    if (path == nullptr) return fail(TF_ERR_ARG, "backend path is null");
    // Open it once ourselves first: dlerror() says why a module cannot load (a missing libcudart.so.13, say), which
    // ggml only logs.
    void * h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
        const char * why = dlerror();
        return fail(TF_ERR_NATIVE, std::string("could not load backend ") + path + ": " + (why ? why : "unknown reason"));
    }
    ggml_backend_reg_t reg = ggml_backend_load(path);
    dlclose(h);  // ggml's own handle keeps it loaded
    if (reg == nullptr) return fail(TF_ERR_NATIVE, std::string("could not load backend ") + path + " (not a ggml backend module?)");
    return TF_OK;
}

int32_t tf_device_count(void) {
    tf_init();
    return static_cast<int32_t>(ggml_backend_dev_count());
}

int32_t tf_device_name(int32_t i, char * buf, int32_t buf_len) {
    tf_init();
    if (i < 0 || static_cast<size_t>(i) >= ggml_backend_dev_count()) return fail(TF_ERR_ARG, "device index out of range");
    ggml_backend_dev_t dev = ggml_backend_dev_get(static_cast<size_t>(i));
    std::string s = std::string(ggml_backend_dev_name(dev)) + " (" + ggml_backend_dev_description(dev) + ")";
    return tfi::copy_out(s, buf, buf_len);
}

int32_t tf_device_get(int32_t i, tf_device_props * out) {
    tf_init();
    if (out == nullptr) return fail(TF_ERR_ARG, "device props: out is null");
    if (i < 0 || static_cast<size_t>(i) >= ggml_backend_dev_count()) return fail(TF_ERR_ARG, "device index out of range");
    ggml_backend_dev_t dev = ggml_backend_dev_get(static_cast<size_t>(i));
    *out = tf_device_props{};
    std::snprintf(out->name, sizeof(out->name), "%s", ggml_backend_dev_name(dev));
    std::snprintf(out->description, sizeof(out->description), "%s", ggml_backend_dev_description(dev));
    switch (ggml_backend_dev_type(dev)) {
        case GGML_BACKEND_DEVICE_TYPE_CPU:   out->type = 0; break;
        case GGML_BACKEND_DEVICE_TYPE_GPU:   out->type = 1; break;
        case GGML_BACKEND_DEVICE_TYPE_IGPU:  out->type = 2; break;
        case GGML_BACKEND_DEVICE_TYPE_ACCEL: out->type = 3; break;
        default:                             out->type = 4; break;
    }
    size_t free = 0, total = 0;
    ggml_backend_dev_memory(dev, &free, &total);
    out->memory_free = free;
    out->memory_total = total;
    return TF_OK;
}

int32_t tf_system_info(char * buf, int32_t buf_len) {
    tf_init();
    if (buf_len < 0) return fail(TF_ERR_ARG, "negative buffer length");
    const char * info = llama_print_system_info();
    const std::string variant = g_cpu.variant.empty() ? "none (" + g_cpu.error + ")" : g_cpu.variant;
    return tfi::copy_out("CPU_VARIANT = " + variant + " | TFK_ISA = " + tfk_cpu_isa() + " | " + (info != nullptr ? std::string(info) : std::string()), buf, buf_len);
}

void tf_log_set(tf_log_fn fn, int32_t min_level, void * user) {
    {
        std::lock_guard<std::mutex> lock(g_log.mu);
        g_log.fn = fn;
        g_log.user = user;
        g_log.min_level = min_level;
        g_log.line.clear();
    }
    tf_init();
}

} // extern "C"

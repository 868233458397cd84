// libtokenflow: process-wide setup (backends, devices), llama.cpp's log, and the per-thread last error.
#include "tokenflow.h"
#include "facade_internal.h"

#include "ggml-backend.h"
#include "ggml.h"
#include "llama.h"

#include <cstddef>
#include <cstdio>
#include <cstdlib>
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

} // namespace

namespace tfi {

std::string last_llama_error() { return t_first_error; }

void clear_llama_error() { t_first_error.clear(); }

recoverable_scope::recoverable_scope() { ++t_recoverable; }
recoverable_scope::~recoverable_scope() { --t_recoverable; }

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
    });
}

int32_t tf_backend_load(const char * path) {
    tf_init();
    if (path == nullptr) return fail(TF_ERR_ARG, "backend path is null");
    ggml_backend_reg_t reg = ggml_backend_load(path);
    if (reg == nullptr) return fail(TF_ERR_NATIVE, std::string("could not load backend ") + path);
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

int32_t tf_system_info(char * buf, int32_t buf_len) {
    tf_init();
    if (buf_len < 0) return fail(TF_ERR_ARG, "negative buffer length");
    const char * info = llama_print_system_info();
    return tfi::copy_out(info != nullptr ? std::string(info) : std::string(), buf, buf_len);
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

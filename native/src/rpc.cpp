// libtokenflow: llama.cpp's RPC backend (ggml-rpc): a model's layers on other machines, and the server side.
// ggml-rpc is a backend module (libggml-rpc.so beside the CPU variants), loaded on first use. Patch 0009 makes it
// report refused and lost connections instead of aborting; this file turns those reports into facade errors.
#include "tokenflow.h"
#include "facade_internal.h"

#include "ggml-backend.h"

#include <sys/stat.h>

#include <cctype>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace {

using tfi::fail;

// ggml-rpc's entry points, reached through its registry (the module is not linked).
using add_server_fn = ggml_backend_reg_t (*)(const char * endpoint);
using start_server_fn = void (*)(const char * endpoint, const char * cache_dir, size_t n_threads, size_t n_devices,
                                 ggml_backend_dev_t * devices);
using get_failures_fn = uint32_t (*)(const char * endpoint, char * reason, size_t reason_size);

struct rpc_module {
    std::string error;  // why it could not be loaded (empty when loaded)
    add_server_fn add_server = nullptr;
    start_server_fn start_server = nullptr;
    get_failures_fn get_failures = nullptr;
};

// Loads libggml-rpc.so once, from the folder the CPU variants come from.
const rpc_module & module() {
    static std::once_flag once;
    static rpc_module m;
    std::call_once(once, [] {
        tf_init();
        const std::string path = tfi::backend_module_dir() + "/libggml-rpc.so";
        ggml_backend_reg_t reg = ggml_backend_reg_by_name("RPC");
        if (reg == nullptr) reg = ggml_backend_load(path.c_str());
        if (reg == nullptr) {
            m.error = "llama.cpp's RPC backend could not be loaded from " + path;
            return;
        }
        m.add_server = reinterpret_cast<add_server_fn>(ggml_backend_reg_get_proc_address(reg, "ggml_backend_rpc_add_server"));
        m.start_server = reinterpret_cast<start_server_fn>(ggml_backend_reg_get_proc_address(reg, "ggml_backend_rpc_start_server"));
        m.get_failures = reinterpret_cast<get_failures_fn>(ggml_backend_reg_get_proc_address(reg, "ggml_backend_rpc_get_failures"));
        if (m.add_server == nullptr || m.start_server == nullptr || m.get_failures == nullptr) {
            m.error = path + " lacks tokenflow's patched entry points (patch 0009)";
        }
    });
    return m;
}

// A host to connect to or listen on: letters, digits, '.', '-', '_' (names and IPv4; ggml-rpc splits at the first ':').
bool host_ok(const std::string & h) {
    if (h.empty() || h.size() > 253) return false;
    for (const char c : h) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') return false;
    }
    return true;
}

bool port_ok(const std::string & p) {
    if (p.empty() || p.size() > 5) return false;
    for (const char c : p) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    }
    const int v = std::stoi(p);
    return v >= 1 && v <= 65535;
}

constexpr size_t kMaxServers = 16;  // GGML_RPC_MAX_SERVERS

} // namespace

namespace tfi {

bool parse_rpc_servers(const char * list, std::vector<std::string> & out, std::string & error) {
    out.clear();
    if (list == nullptr || *list == '\0') return true;
    const std::string s = list;
    std::set<std::string> seen;
    size_t start = 0;
    while (true) {
        const size_t comma = s.find(',', start);
        const std::string ep = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        const size_t colon = ep.rfind(':');
        if (colon == std::string::npos || !host_ok(ep.substr(0, colon)) || !port_ok(ep.substr(colon + 1))) {
            error = "rpc_servers: '" + ep + "' is not host:port (host: letters, digits, '.', '-', '_'; port 1..65535)";
            return false;
        }
        if (!seen.insert(ep).second) {
            error = "rpc_servers: " + ep + " is listed twice";
            return false;
        }
        out.push_back(ep);
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    if (out.size() > kMaxServers) {
        error = "rpc_servers: at most " + std::to_string(kMaxServers) + " servers";
        return false;
    }
    return true;
}

bool rpc_add_devices(const std::vector<std::string> & endpoints, std::vector<ggml_backend_dev_t> & devices,
                     std::string & error) {
    const rpc_module & m = module();
    if (!m.error.empty()) {
        error = m.error;
        return false;
    }
    for (const std::string & ep : endpoints) {
        ggml_backend_reg_t reg = m.add_server(ep.c_str());
        if (reg == nullptr) {
            char why[256] = {};
            m.get_failures(ep.c_str(), why, sizeof why);
            error = "RPC server " + ep + " does not answer: " + (why[0] ? why : "no devices") +
                    " (is `tokenflow rpc-server` running there?)";
            return false;
        }
        for (size_t i = 0; i < ggml_backend_reg_dev_count(reg); ++i) devices.push_back(ggml_backend_reg_dev_get(reg, i));
    }
    return true;
}

uint32_t rpc_failures(const std::vector<std::string> & endpoints, std::string * reason) {
    if (endpoints.empty()) return 0;
    const rpc_module & m = module();
    if (m.get_failures == nullptr) return 0;
    uint32_t n = 0;
    for (const std::string & ep : endpoints) {
        char why[256] = {};
        const uint32_t k = m.get_failures(ep.c_str(), why, sizeof why);
        if (k > 0 && reason != nullptr) *reason = ep + " lost: " + why;
        n += k;
    }
    return n;
}

int32_t decode(tf_session * s, llama_batch & batch) {
    ++s->n_decodes;
    const tf_model * m = s->owner;
    if (m->rpc_endpoints.empty()) return llama_decode(s->ctx, batch);
    std::string reason;
    // Checked before (a model whose connection was lost computes nothing: refuse) and after (this decode may have
    // been the one that lost it; its outputs are then zeros).
    if (rpc_failures(m->rpc_endpoints, &reason) == m->rpc_failures_at_load) {
        const int32_t rc = llama_decode(s->ctx, batch);
        if (rpc_failures(m->rpc_endpoints, &reason) == m->rpc_failures_at_load) return rc;
    }
    fail(TF_ERR_NATIVE, "RPC server " + reason + " (free the model and load it again once the server is back)");
    return kRpcLost;
}

} // namespace tfi

extern "C" {

int32_t tf_rpc_server_run(const char * host, int32_t port, int32_t n_threads, const char * cache_dir) {
    if (host == nullptr || !host_ok(host)) return fail(TF_ERR_ARG, "rpc server: host must be an address or name without ':'");
    if (port < 1 || port > 65535) return fail(TF_ERR_ARG, "rpc server: port must be in 1..65535");
    if (n_threads < 1 || n_threads > 1024) return fail(TF_ERR_ARG, "rpc server: n_threads must be in 1..1024");
    if (cache_dir != nullptr && *cache_dir == '\0') cache_dir = nullptr;
    struct stat st {};
    if (cache_dir != nullptr && (stat(cache_dir, &st) != 0 || !S_ISDIR(st.st_mode)))
        return fail(TF_ERR_ARG, std::string("rpc server: cache_dir is not a folder: ") + cache_dir);
    const rpc_module & m = module();
    if (!m.error.empty()) return fail(TF_ERR_NATIVE, m.error);
    if (!tfi::cpu_backend_error().empty()) return fail(TF_ERR_NATIVE, tfi::cpu_backend_error());
    ggml_backend_dev_t cpu = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
    if (cpu == nullptr) return fail(TF_ERR_NATIVE, "rpc server: no CPU device");
    const std::string endpoint = std::string(host) + ":" + std::to_string(port);
    // Returns only when it cannot serve (cannot listen on the endpoint, no backend); it prints why on stderr.
    m.start_server(endpoint.c_str(), cache_dir, static_cast<size_t>(n_threads), 1, &cpu);
    return fail(TF_ERR_NATIVE, "rpc server on " + endpoint + " stopped: could not listen there (address in use or not local?)");
}

} // extern "C"

// llama.cpp RPC through the facade: argument checks (never an abort), an unreachable server failing the load, and
// a model on an in-process RPC server (tf_rpc_server_run in a thread, loopback) giving the local greedy tokens.
#include "tokenflow.h"
#include "test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

static int g_failures = 0;
#define CHECK(cond) do { if (!(cond)) { std::fprintf(stderr, "FAIL %s:%d: %s (%s)\n", __FILE__, __LINE__, #cond, tf_last_error()); ++g_failures; } } while (0)

static std::string g_offload_line;  // llama.cpp's "offloaded N/M layers to GPU" line of the last load
static void on_log(int32_t, const char * text, void *) {
    if (std::string(text).find("offloaded") != std::string::npos) g_offload_line = text;
}

static bool error_has(const char * what) { return std::string(tf_last_error()).find(what) != std::string::npos; }

// A loopback port nothing listens on (bound, read back, released).
static int free_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) != 0) {
        std::fprintf(stderr, "no free port\n");
        std::exit(2);
    }
    close(fd);
    return ntohs(a.sin_port);
}

static bool accepts(int port) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    const bool ok = connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0;
    close(fd);
    return ok;
}

static tf_model * load(const char * path, const char * rpc) {
    tf_model_params p = tf_model_default_params();
    p.rpc_servers = rpc;
    return tf_model_load(path, &p);
}

static std::vector<int32_t> greedy(tf_model * m, int n) {
    std::vector<int32_t> out;
    tf_session * s = tft::new_session(m, 128, 128, 128, 2, TF_FLASH_ATTN_AUTO, TF_KV_F16, false);
    if (s == nullptr) return out;
    int32_t toks[64];
    const char * prompt = "Once upon a time";
    int32_t k = tf_tokenize(m, prompt, (int32_t) std::string(prompt).size(), toks, 64, true, false);
    int32_t pos = 0;
    for (int i = 0; i < n && k > 0; ++i) {
        if (tf_session_decode(s, toks, k, pos, 0, true) != TF_OK) break;
        pos += k;
        const float * logits = tf_session_logits(s);
        if (logits == nullptr) break;
        toks[0] = tft::argmax(logits, tf_model_n_vocab(m));
        out.push_back(toks[0]);
        k = 1;
    }
    tf_session_free(s);
    return out;
}

int main(int argc, char ** argv) {
    if (argc < 2) { std::fprintf(stderr, "usage: rpc_test MODEL\n"); return 2; }
    const char * model = argv[1];
    tf_log_set(on_log, TF_LOG_INFO, nullptr);

    // server arguments
    CHECK(tf_rpc_server_run(nullptr, 50052, 1, nullptr) == TF_ERR_ARG);
    CHECK(tf_rpc_server_run("", 50052, 1, nullptr) == TF_ERR_ARG);
    CHECK(tf_rpc_server_run("::1", 50052, 1, nullptr) == TF_ERR_ARG);
    CHECK(tf_rpc_server_run("127.0.0.1", 0, 1, nullptr) == TF_ERR_ARG);
    CHECK(tf_rpc_server_run("127.0.0.1", 65536, 1, nullptr) == TF_ERR_ARG);
    CHECK(tf_rpc_server_run("127.0.0.1", 50052, 0, nullptr) == TF_ERR_ARG);
    CHECK(tf_rpc_server_run("127.0.0.1", 50052, 1, "/nonexistent/tf-rpc-cache") == TF_ERR_ARG);

    // server lists
    for (const char * bad : {"localhost", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:5x", ":1",
                             "a b:1", "127.0.0.1:1,", ",127.0.0.1:1", "127.0.0.1:1,127.0.0.1:1"}) {
        tf_model * m = load(model, bad);
        CHECK(m == nullptr);
        CHECK(error_has("rpc_servers"));
        tf_model_free(m);
    }
    std::string many;
    for (int i = 1; i <= 17; ++i) many += (i > 1 ? "," : "") + std::string("127.0.0.1:") + std::to_string(i);
    CHECK(load(model, many.c_str()) == nullptr && error_has("at most 16"));
    tf_model_params bad_layers = tf_model_default_params();
    bad_layers.n_gpu_layers = -2;
    CHECK(tf_model_load(model, &bad_layers) == nullptr);

    // nothing listens: the load fails and says so
    const int dead = free_port();
    const std::string dead_ep = "127.0.0.1:" + std::to_string(dead);
    CHECK(load(model, dead_ep.c_str()) == nullptr);
    CHECK(error_has(("RPC server " + dead_ep + " does not answer").c_str()));

    // a host that never completes the handshake (a listener whose accept queue is full: the kernel drops further
    // SYNs, as a firewall or a vanished host does): the load fails after the connect timeout (patch 0011), here 1.5 s,
    // instead of the kernel's ~2 min of SYN retries
    {
        const int lfd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        CHECK(lfd >= 0 && bind(lfd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0 && listen(lfd, 0) == 0 &&
              getsockname(lfd, reinterpret_cast<sockaddr *>(&a), &len) == 0);
        std::vector<int> fillers;  // never accepted: they fill the queue
        for (int i = 0; i < 4; ++i) {
            const int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            connect(c, reinterpret_cast<sockaddr *>(&a), sizeof a);
            fillers.push_back(c);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        setenv("GGML_RPC_CONNECT_TIMEOUT_MS", "1500", 1);
        const std::string silent = "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
        const auto t0 = std::chrono::steady_clock::now();
        tf_model * m = load(model, silent.c_str());
        const double s_taken = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        unsetenv("GGML_RPC_CONNECT_TIMEOUT_MS");
        std::fprintf(stderr, "rpc_test: silent host refused after %.1f s\n", s_taken);
        CHECK(m == nullptr);
        CHECK(error_has(("RPC server " + silent + " does not answer").c_str()));
        CHECK(s_taken < 30.0);  // one or a few 1.5 s attempts, not minutes
        tf_model_free(m);
        for (int c : fillers) close(c);
        close(lfd);
    }

    // an in-process server: the model's layers there give the local greedy tokens
    tf_model * local = load(model, nullptr);
    CHECK(local != nullptr);
    const std::vector<int32_t> want = local ? greedy(local, 16) : std::vector<int32_t>{};
    tf_model_free(local);
    CHECK(want.size() == 16);
    const int port = free_port();
    std::thread([port] { tf_rpc_server_run("127.0.0.1", port, 1, nullptr); }).detach();
    for (int i = 0; i < 200 && !accepts(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    const std::string ep = "127.0.0.1:" + std::to_string(port);
    g_offload_line.clear();
    tf_model * remote = load(model, ep.c_str());
    CHECK(remote != nullptr);
    // every layer, and the output layer, on the server (rpc_servers with n_gpu_layers 0 means all)
    std::fprintf(stderr, "rpc_test: %s\n", g_offload_line.c_str());
    CHECK(g_offload_line.find("offloaded 6/6 layers") != std::string::npos);
    if (remote != nullptr) {
        const std::vector<int32_t> got = greedy(remote, 16);
        CHECK(got == want);
        tf_model_free(remote);
    }
    // the same port again: in use, so a second server returns at once with an error (no abort)
    CHECK(tf_rpc_server_run("127.0.0.1", port, 1, nullptr) == TF_ERR_NATIVE);

    std::printf("rpc_test: %s\n", g_failures == 0 ? "OK" : "FAILED");
    std::fflush(stdout);
    std::_Exit(g_failures == 0 ? 0 : 1);  // the server thread blocks in accept(): do not run static destructors under it
}

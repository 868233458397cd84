// libtokenflow: models, their vocabulary, tokenizer and chat template.
#include "tokenflow.h"
#include "facade_internal.h"

#include "llama.h"

#include <algorithm>
#include <climits>
#include <cstring>
#include <memory>
#include <cmath>
#include <string>
#include <vector>

namespace {

using tfi::copy_out;
using tfi::fail;
using tfi::fail_null;

bool token_ok(const tf_model * m, int32_t t) { return m && t >= 0 && t < llama_vocab_n_tokens(m->vocab); }

} // namespace

extern "C" {

tf_model_params tf_model_default_params(void) {
    tf_model_params p{};
    p.n_gpu_layers = 0;
    p.use_mmap = true;
    p.vocab_only = false;
    p.progress = nullptr;
    p.progress_user = nullptr;
    p.rpc_servers = nullptr;
    p.split_mode = TF_SPLIT_LAYER;
    p.main_gpu = 0;
    p.tensor_split = nullptr;
    p.n_tensor_split = 0;
    return p;
}

int32_t tf_max_devices(void) { return static_cast<int32_t>(llama_max_devices()); }

tf_model * tf_model_load(const char * path, const tf_model_params * params) {
    tf_init();
    if (path == nullptr) return fail_null<tf_model>("model path is null");
    if (!tfi::cpu_backend_error().empty()) return fail_null<tf_model>(tfi::cpu_backend_error());
    const tf_model_params mp = params ? *params : tf_model_default_params();
    if (mp.n_gpu_layers < -1) return fail_null<tf_model>("n_gpu_layers must be >= -1");
    if (mp.split_mode < TF_SPLIT_NONE || mp.split_mode > TF_SPLIT_ROW) return fail_null<tf_model>("split_mode must be 0, 1 or 2");
    const int32_t max_devices = static_cast<int32_t>(llama_max_devices());
    if (mp.main_gpu < -1 || mp.main_gpu >= max_devices)
        return fail_null<tf_model>("main_gpu must be in [-1, " + std::to_string(max_devices - 1) + "]");
    if (mp.n_tensor_split < 0 || mp.n_tensor_split > max_devices || (mp.n_tensor_split > 0 && mp.tensor_split == nullptr))
        return fail_null<tf_model>("tensor_split must have 0.." + std::to_string(max_devices) + " entries");
    // llama.cpp reads llama_max_devices() entries: a copy of that size, zero past the caller's
    std::vector<float> tensor_split(static_cast<size_t>(max_devices), 0.0f);
    float split_sum = 0.0f;
    for (int32_t i = 0; i < mp.n_tensor_split; ++i) {
        const float f = mp.tensor_split[i];
        if (!std::isfinite(f) || f < 0.0f) return fail_null<tf_model>("tensor_split entries must be finite and >= 0");
        tensor_split[static_cast<size_t>(i)] = f;
        split_sum += f;
    }
    if (mp.n_tensor_split > 0 && !(split_sum > 0.0f)) return fail_null<tf_model>("tensor_split entries are all 0");
    auto m = std::make_unique<tf_model>();
    std::string rpc_error;
    if (!tfi::parse_rpc_servers(mp.rpc_servers, m->rpc_endpoints, rpc_error)) return fail_null<tf_model>(rpc_error);
    llama_model_params p = llama_model_default_params();
    p.n_gpu_layers = mp.n_gpu_layers;
    p.split_mode = static_cast<llama_split_mode>(mp.split_mode);
    p.main_gpu = mp.main_gpu;
    if (mp.n_tensor_split > 0) p.tensor_split = tensor_split.data();
    // RPC devices only (NULL-terminated); the CPU is always the host of what is not offloaded.
    std::vector<ggml_backend_dev_t> devices;
    if (!m->rpc_endpoints.empty() && !mp.vocab_only) {
        if (!tfi::rpc_add_devices(m->rpc_endpoints, devices, rpc_error)) return fail_null<tf_model>(rpc_error);
        devices.push_back(nullptr);
        p.devices = devices.data();
        // Servers are given to hold layers: 0 (the default) means all of them there.
        if (p.n_gpu_layers == 0) p.n_gpu_layers = -1;
    } else {
        m->rpc_endpoints.clear();
    }
    p.load_mode = mp.use_mmap ? LLAMA_LOAD_MODE_MMAP : LLAMA_LOAD_MODE_NONE;
    p.vocab_only = mp.vocab_only;
    p.progress_callback = mp.progress;
    p.progress_callback_user_data = mp.progress_user;
    m->rpc_failures_at_load = tfi::rpc_failures(m->rpc_endpoints, nullptr);
    tfi::clear_llama_error();
    try {
        tfi::recoverable_scope recoverable;
        m->model = llama_model_load_from_file(path, p);
    } catch (const std::exception & e) {  // an assertion outside llama.cpp's own try/catch
        m->model = nullptr;
        return fail_null<tf_model>(e.what());
    }
    std::string lost;
    if (m->model != nullptr && tfi::rpc_failures(m->rpc_endpoints, &lost) != m->rpc_failures_at_load) {
        return fail_null<tf_model>("RPC server " + lost + " while the model was loading");
    }
    if (m->model == nullptr) {
        std::string why = tfi::last_llama_error();
        if (tfi::rpc_failures(m->rpc_endpoints, &lost) != m->rpc_failures_at_load) why = "RPC server " + lost + " (" + why + ")";
        return fail_null<tf_model>(why.empty() ? std::string("no reason given") : why);
    }
    m->vocab = llama_model_get_vocab(m->model);
    return m.release();
}

void tf_model_free(tf_model * model) { delete model; }

int64_t tf_model_n_params(const tf_model * m)    { return m ? static_cast<int64_t>(llama_model_n_params(m->model)) : -1; }
int64_t tf_model_size(const tf_model * m)        { return m ? static_cast<int64_t>(llama_model_size(m->model)) : -1; }
int32_t tf_model_n_ctx_train(const tf_model * m) { return m ? llama_model_n_ctx_train(m->model) : -1; }
int32_t tf_model_n_embd(const tf_model * m)      { return m ? llama_model_n_embd(m->model) : -1; }
int32_t tf_model_n_layer(const tf_model * m)     { return m ? llama_model_n_layer(m->model) : -1; }
// A vocab_only model has no layers, and llama_model_n_head aborts on layer 0 then: answer 0 instead.
int32_t tf_model_n_head(const tf_model * m)    { return m ? (llama_model_n_layer(m->model) > 0 ? llama_model_n_head(m->model) : 0) : -1; }
int32_t tf_model_n_head_kv(const tf_model * m) { return m ? (llama_model_n_layer(m->model) > 0 ? llama_model_n_head_kv(m->model) : 0) : -1; }
int32_t tf_model_n_vocab(const tf_model * m)     { return m ? llama_vocab_n_tokens(m->vocab) : -1; }

int32_t tf_model_desc(const tf_model * m, char * buf, int32_t buf_len) {
    if (m == nullptr) return fail(TF_ERR_ARG, "model is null");
    char tmp[512];
    const int32_t n = llama_model_desc(m->model, tmp, sizeof tmp);
    return copy_out(std::string(tmp, static_cast<size_t>(std::max(0, std::min<int32_t>(n, sizeof tmp - 1)))), buf, buf_len);
}

int32_t tf_model_chat_template(const tf_model * m, char * buf, int32_t buf_len) {
    if (m == nullptr) return fail(TF_ERR_ARG, "model is null");
    const char * t = llama_model_chat_template(m->model, nullptr);
    if (t == nullptr) return -1;
    return copy_out(t, buf, buf_len);
}

int32_t tf_vocab_special(const tf_model * m, int32_t kind) {
    if (m == nullptr) return -1;
    switch (kind) {
        case 0: return llama_vocab_bos(m->vocab);
        case 1: return llama_vocab_eos(m->vocab);
        case 2: return llama_vocab_eot(m->vocab);
        case 3: return llama_vocab_sep(m->vocab);
        case 4: return llama_vocab_nl(m->vocab);
        case 5: return llama_vocab_pad(m->vocab);
        default: return -1;
    }
}

bool tf_vocab_is_eog(const tf_model * m, int32_t t)     { return token_ok(m, t) && llama_vocab_is_eog(m->vocab, t); }
bool tf_vocab_is_control(const tf_model * m, int32_t t) { return token_ok(m, t) && llama_vocab_is_control(m->vocab, t); }
bool tf_vocab_add_bos(const tf_model * m)               { return m && llama_vocab_get_add_bos(m->vocab); }

// --- tokenizer ---

int32_t tf_tokenize(const tf_model * m, const char * text, int32_t text_len, int32_t * out, int32_t out_cap,
                    bool add_special, bool parse_special) {
    if (m == nullptr || (text == nullptr && text_len > 0) || text_len < 0 || out_cap < 0) {
        fail(TF_ERR_ARG, "tokenize: bad arguments");
        return INT32_MIN;
    }
    return tfi::guarded("tokenize", INT32_MIN,
            [&] { return llama_tokenize(m->vocab, text ? text : "", text_len, out, out_cap, add_special, parse_special); });
}

int32_t tf_token_to_piece(const tf_model * m, int32_t token, char * buf, int32_t buf_len, bool special) {
    if (!token_ok(m, token)) return fail(TF_ERR_ARG, "token id out of range");
    if (buf_len < 0) return fail(TF_ERR_ARG, "negative buffer length");
    return tfi::guarded("token_to_piece", TF_ERR_NATIVE,
            [&] { return llama_token_to_piece(m->vocab, token, buf, buf_len, 0, special); });
}

int32_t tf_detokenize(const tf_model * m, const int32_t * tokens, int32_t n, char * buf, int32_t buf_len,
                      bool remove_special, bool unparse_special) {
    if (m == nullptr || n < 0 || (tokens == nullptr && n > 0) || buf_len < 0) return fail(TF_ERR_ARG, "detokenize: bad arguments");
    for (int32_t i = 0; i < n; ++i) {
        if (!token_ok(m, tokens[i])) return fail(TF_ERR_ARG, "token id out of range at index " + std::to_string(i));
    }
    if (n == 0) return 0;
    return tfi::guarded("detokenize", TF_ERR_NATIVE,
            [&] { return llama_detokenize(m->vocab, tokens, n, buf, buf_len, remove_special, unparse_special); });
}

int32_t tf_chat_apply(const tf_model * m, const char * tmpl, const char * messages, int32_t n_messages,
                      bool add_assistant, char * buf, int32_t buf_len) {
    if (n_messages < 0 || (messages == nullptr && n_messages > 0) || buf_len < 0) return fail(TF_ERR_ARG, "chat: bad arguments");
    const char * t = tmpl;
    if (t == nullptr && m != nullptr) t = llama_model_chat_template(m->model, nullptr);
    if (t == nullptr) return fail(TF_ERR_ARG, "the model has no chat template; pass one explicitly");
    std::vector<llama_chat_message> msgs(static_cast<size_t>(n_messages));
    const char * p = messages;
    size_t total = 0;
    for (int32_t i = 0; i < n_messages; ++i) {
        msgs[i].role = p;      p += std::strlen(p) + 1;
        msgs[i].content = p;   total += std::strlen(p); p += std::strlen(p) + 1;
    }
    std::vector<char> out(std::max<size_t>(256, 2 * total + 1024));
    int32_t n = llama_chat_apply_template(t, msgs.data(), msgs.size(), add_assistant, out.data(), static_cast<int32_t>(out.size()));
    if (n < 0) return fail(TF_ERR_ARG, "chat template not supported by llama.cpp");
    if (static_cast<size_t>(n) > out.size()) {
        out.resize(static_cast<size_t>(n));
        n = llama_chat_apply_template(t, msgs.data(), msgs.size(), add_assistant, out.data(), n);
        if (n < 0) return fail(TF_ERR_ARG, "chat template not supported by llama.cpp");
    }
    return copy_out(std::string(out.data(), static_cast<size_t>(n)), buf, buf_len);
}

} // extern "C"

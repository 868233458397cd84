// LD_PRELOAD shim for the golden tests: llama-simple has no thread option, so this interposes
// llama_context_default_params() and sets n_threads / n_threads_batch from TF_LLAMA_THREADS.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include "llama.h"

struct llama_context_params llama_context_default_params(void) {
    struct llama_context_params (*real)(void) =
        (struct llama_context_params (*)(void)) dlsym(RTLD_NEXT, "llama_context_default_params");
    struct llama_context_params p = real();
    const char * e = getenv("TF_LLAMA_THREADS");
    if (e != NULL && atoi(e) > 0) {
        p.n_threads = atoi(e);
        p.n_threads_batch = atoi(e);
    }
    return p;
}

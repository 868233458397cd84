package io.tokenflow;

import io.tokenflow.gguf.GgmlType;
import io.tokenflow.gguf.GgufFile;
import io.tokenflow.gguf.GgufTensorInfo;
import io.tokenflow.gguf.GgufValueType;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Hyperparameters and tensor types that llama.cpp (the pinned v0.4.0) asserts on instead of reporting, found by the
 * project's GGUF fuzz test: refused here with {@link InvalidModelException} naming the key and the allowed range.
 * Load-time assertions that slip through are caught natively (a throwing abort hook around model load); the ones
 * reached only at the first decode (normalisation epsilon, tensor types an op rejects) must be caught here.
 */
final class HyperparameterCheck {
    /** llama-hparams.h: LLAMA_MAX_LAYERS, LLAMA_MAX_EXPERTS. */
    static final int MAX_LAYERS = 512;
    static final int MAX_EXPERTS = 1024;
    /** Tensor data must start on this boundary: ggml's CPU buffers from a mapped file assert it (TENSOR_ALIGNMENT). */
    static final long MIN_ALIGNMENT = 32;
    /** Tokenizer models llama.cpp implements for generation ("bert" (WPM) aborts on a llama-style vocabulary). */
    static final Set<String> TOKENIZERS = Set.of("llama", "gpt2", "no_vocab");
    /** Integer and F64 tensor types: no model weight uses them, and ggml's CPU matrix ops have no kernel for them. */
    static final Set<GgmlType> NO_KERNELS = Set.of(GgmlType.I8, GgmlType.I16, GgmlType.I32, GgmlType.I64, GgmlType.F64);

    private HyperparameterCheck() {}

    static void check(GgufFile gguf) {
        String arch = gguf.architecture();
        String file = gguf.path().getFileName().toString();
        if (gguf.alignment() % MIN_ALIGNMENT != 0) {
            throw new InvalidModelException(file + ": general.alignment must be a multiple of " + MIN_ALIGNMENT + ", got "
                    + gguf.alignment());
        }
        range(gguf, file, arch + ".block_count", 1, MAX_LAYERS);
        OptionalLong experts = range(gguf, file, arch + ".expert_count", 0, MAX_EXPERTS);
        long nExpert = experts.orElse(0);
        OptionalLong used = range(gguf, file, arch + ".expert_used_count", nExpert > 0 ? 1 : 0, nExpert);
        if (nExpert > 0 && used.isEmpty()) {
            throw new InvalidModelException(file + ": " + arch + ".expert_count is " + nExpert + " but "
                    + arch + ".expert_used_count is missing");
        }
        range(gguf, file, arch + ".embedding_length", 1, 1L << 20);
        range(gguf, file, arch + ".attention.head_count", 1, 1L << 16);
        range(gguf, file, arch + ".attention.head_count_kv", 1, 1L << 16);
        range(gguf, file, arch + ".context_length", 1, Integer.MAX_VALUE);
        epsilon(gguf, file, arch + ".attention.layer_norm_rms_epsilon");
        epsilon(gguf, file, arch + ".attention.layer_norm_epsilon");
        Optional<String> tokenizer = gguf.getString("tokenizer.ggml.model");
        if (tokenizer.isPresent() && !TOKENIZERS.contains(tokenizer.get())) {
            throw new InvalidModelException(file + ": tokenizer.ggml.model must be one of " + TOKENIZERS
                    + " (tokenflow generates with these), got '" + tokenizer.get() + "'");
        }
        for (GgufTensorInfo t : gguf.tensors()) {
            // ggml has no matrix or normalisation kernels for these: the CPU backend calls a null kernel (SIGSEGV).
            if (NO_KERNELS.contains(t.type())) {
                throw new InvalidModelException(file + ": tensor " + t.name() + " has type " + t.type()
                        + ", which llama.cpp cannot compute with (weights are float or quantized types)");
            }
            // The normalisation multiplies F32 activations by these: ggml's CPU ops accept them only as F32.
            if (t.name().contains("norm") && t.type() != GgmlType.F32) {
                throw new InvalidModelException(file + ": tensor " + t.name() + " must be F32 (normalisation weights), is "
                        + t.type());
            }
        }
    }

    /** An integer key's value in [min, max]; a per-layer array (some architectures) is left to llama.cpp. */
    private static OptionalLong range(GgufFile gguf, String file, String key, long min, long max) {
        if (gguf.metadataEntry(key).map(e -> e.type() == GgufValueType.ARRAY).orElse(false)) return OptionalLong.empty();
        OptionalLong v = gguf.getLong(key);
        if (v.isPresent() && (v.getAsLong() < min || v.getAsLong() > max)) {
            throw new InvalidModelException(file + ": " + key + " must be in [" + min + ", " + max + "], got " + v.getAsLong());
        }
        return v;
    }

    private static void epsilon(GgufFile gguf, String file, String key) {
        Optional<Float> eps = gguf.getFloat(key);
        if (eps.isPresent() && !(eps.get() >= 0 && eps.get() < 1)) {
            throw new InvalidModelException(file + ": " + key + " must be finite and in [0, 1), got " + eps.get());
        }
    }
}

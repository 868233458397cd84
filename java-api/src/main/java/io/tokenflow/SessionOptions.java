package io.tokenflow;

import io.tokenflow.kv.KvCompression;
import io.tokenflow.sparse.SparseAttention;
import java.util.List;

/**
 * Settings of a {@link Session} (a llama.cpp context). Immutable; build with {@link #builder()}.
 *
 * @param contextSize tokens the KV cache holds (0 = the model's trained context, capped at 4096)
 * @param batchSize max tokens per decode call during prompt processing (clamped to the context)
 * @param microBatchSize physical micro-batch (clamped to the batch)
 * @param threads threads for generation
 * @param batchThreads threads for prompt processing
 * @param flashAttention flash attention mode
 * @param kvCacheType element type of K and V
 * @param sequences parallel sequences the cache holds (speculative trees use more than one)
 * @param kvCompression how prompts are compressed into the cache ({@link KvCompression#none()}: never); a
 *        compressing session prefills every prompt afresh (no prefix reuse) and can hold prompts longer than the
 *        context (chunked prefill, compressing between chunks)
 * @param batchCostSeconds seconds to decode a batch of n tokens at index n - 1, for the hardware-aware draft budget
 *        ({@code GenerationOptions.AUTO_BUDGET}): empty (the default) measures this machine once per model and
 *        threads; a given curve plans trees for it instead (another machine's curve, a reproducible choice)
 * @param batchInvariant single-token steps and speculative trees run batch-invariant CPU kernels (a row's sums do not
 *        depend on how many rows share its batch) and each accepted path is moved into position order in the cache,
 *        so greedy speculation emits exactly the tokens of plain greedy decoding (default true; prompts keep the
 *        fastest kernels). Off trades that guarantee for faster tree batches: outputs may then differ at near-ties
 * @param sparseAttention query-aware sparse attention at decode time ({@link SparseAttention#none()}: dense), e.g.
 *        {@code SparseAttention.parse("quest:256")}; needs flash attention (AUTO or ON)
 * @param deviceLogits a speculative tree's logits stay where llama.cpp computed them (GPU memory when the output layer
 *        is offloaded with {@code ModelOptions.gpuLayers}) and its verification and candidate top-k run there, without
 *        copying tree size x vocabulary floats to the host each step (default true). Off: llama.cpp's host copy and
 *        the CPU kernels. The same tokens either way
 */
public record SessionOptions(int contextSize, int batchSize, int microBatchSize, int threads, int batchThreads,
        FlashAttention flashAttention, KvCacheType kvCacheType, int sequences, KvCompression kvCompression,
        List<Double> batchCostSeconds, boolean batchInvariant, SparseAttention sparseAttention, boolean deviceLogits) {

    public static final int DEFAULT_CONTEXT_CAP = 4096;
    /** Threads per core at most: more only makes llama.cpp's polling thread pool slower (64 on 2 cores: minutes). */
    public static final int MAX_THREADS_PER_CORE = 4;

    /** The most threads (and batch threads) this machine accepts: {@value #MAX_THREADS_PER_CORE} per core. */
    public static int maxThreads() {
        return MAX_THREADS_PER_CORE * Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    public SessionOptions {
        if (contextSize < 0) throw new IllegalArgumentException("contextSize must be >= 0 (0 = model default), got " + contextSize);
        if (batchSize <= 0) throw new IllegalArgumentException("batchSize must be positive, got " + batchSize);
        if (microBatchSize <= 0) throw new IllegalArgumentException("microBatchSize must be positive, got " + microBatchSize);
        if (threads <= 0 || threads > maxThreads()) {
            throw new IllegalArgumentException("threads must be in [1, " + maxThreads() + "] (" + MAX_THREADS_PER_CORE
                    + " per core of this machine; llama.cpp's spinning thread pool is slower, not faster, beyond the cores), got " + threads);
        }
        if (batchThreads <= 0 || batchThreads > maxThreads()) {
            throw new IllegalArgumentException("batchThreads must be in [1, " + maxThreads() + "], got " + batchThreads);
        }
        if (sequences < 1 || sequences > 256) throw new IllegalArgumentException("sequences must be in [1, 256], got " + sequences);
        if (flashAttention == null) throw new IllegalArgumentException("flashAttention is null");
        if (kvCacheType == null) throw new IllegalArgumentException("kvCacheType is null");
        if (kvCompression == null) throw new IllegalArgumentException("kvCompression is null (use KvCompression.none())");
        if (kvCompression.enabled() && (kvCacheType != KvCacheType.F16 && kvCacheType != KvCacheType.F32)) {
            throw new IllegalArgumentException("KV compression scores an F16 or F32 K cache; " + kvCacheType + " is not supported");
        }
        if (flashAttention == FlashAttention.OFF && (kvCacheType == KvCacheType.Q8_0 || kvCacheType == KvCacheType.Q4_0)) {
            throw new IllegalArgumentException("a quantized KV cache (" + kvCacheType + ") needs flash attention (AUTO or ON)");
        }
        if (sparseAttention == null) throw new IllegalArgumentException("sparseAttention is null (use SparseAttention.none())");
        if (sparseAttention.enabled() && flashAttention == FlashAttention.OFF) {
            throw new IllegalArgumentException("sparse attention (" + sparseAttention + ") needs flash attention (AUTO or ON): its "
                    + "masks tell the flash-attention kernel which K/V rows to skip");
        }
        if (batchCostSeconds == null) throw new IllegalArgumentException("batchCostSeconds is null (use an empty list)");
        for (Double x : batchCostSeconds) if (x == null) throw new IllegalArgumentException("batchCostSeconds holds a null");
        batchCostSeconds = List.copyOf(batchCostSeconds);
        for (int i = 0; i < batchCostSeconds.size(); i++) {
            double x = batchCostSeconds.get(i);
            if (!(x > 0) || Double.isInfinite(x)) {
                throw new IllegalArgumentException("batchCostSeconds[" + i + "] (a batch of " + (i + 1) + " tokens) must be finite and > 0, got " + x);
            }
        }
    }

    public static SessionOptions defaults() { return builder().build(); }

    public static Builder builder() { return new Builder(); }

    public Builder toBuilder() {
        return new Builder().contextSize(contextSize).batchSize(batchSize).microBatchSize(microBatchSize).threads(threads)
                .batchThreads(batchThreads).flashAttention(flashAttention).kvCacheType(kvCacheType).sequences(sequences).kvCompression(kvCompression)
                .batchCostSeconds(batchCostSeconds).batchInvariant(batchInvariant).sparseAttention(sparseAttention)
                .deviceLogits(deviceLogits);
    }

    public static final class Builder {
        private int contextSize = 0;
        private int batchSize = 2048;
        private int microBatchSize = 512;
        private int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        private int batchThreads = threads;
        private FlashAttention flashAttention = FlashAttention.AUTO;
        private KvCacheType kvCacheType = KvCacheType.F16;
        private int sequences = 1;
        private KvCompression kvCompression = KvCompression.none();
        private List<Double> batchCostSeconds = List.of();
        private boolean batchInvariant = true;
        private SparseAttention sparseAttention = SparseAttention.none();
        private boolean deviceLogits = true;

        public Builder contextSize(int n) { contextSize = n; return this; }
        public Builder batchSize(int n) { batchSize = n; return this; }
        public Builder microBatchSize(int n) { microBatchSize = n; return this; }
        /** Sets both generation and prompt-processing threads. */
        public Builder threads(int n) { threads = n; batchThreads = n; return this; }
        public Builder batchThreads(int n) { batchThreads = n; return this; }
        public Builder flashAttention(FlashAttention f) { flashAttention = f; return this; }
        public Builder kvCacheType(KvCacheType t) { kvCacheType = t; return this; }
        public Builder sequences(int n) { sequences = n; return this; }
        /** KV-cache compression of prompts, e.g. {@code KvCompression.parse("windowkv:0.12")}. */
        public Builder kvCompression(KvCompression c) { kvCompression = c; return this; }
        /** The batch-cost curve trees are sized for (seconds for 1, 2, ... tokens); empty = measure this machine. */
        public Builder batchCostSeconds(List<Double> seconds) { batchCostSeconds = seconds; return this; }
        public Builder batchCostSeconds(double... seconds) {
            batchCostSeconds = java.util.Arrays.stream(seconds).boxed().toList();
            return this;
        }
        /** Batch-invariant decoding steps (default true): greedy speculation equals plain greedy decoding exactly. */
        public Builder batchInvariant(boolean on) { batchInvariant = on; return this; }
        /** Query-aware sparse attention, e.g. {@code SparseAttention.parse("quest:256")}. */
        public Builder sparseAttention(SparseAttention s) { sparseAttention = s; return this; }
        /** Speculative trees verified where their logits live, e.g. on the GPU (default true); same tokens either way. */
        public Builder deviceLogits(boolean on) { deviceLogits = on; return this; }
        public SessionOptions build() {
            return new SessionOptions(contextSize, batchSize, microBatchSize, threads, batchThreads, flashAttention, kvCacheType,
                    sequences, kvCompression, batchCostSeconds, batchInvariant, sparseAttention, deviceLogits);
        }
    }
}

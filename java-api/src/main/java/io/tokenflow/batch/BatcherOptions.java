package io.tokenflow.batch;

/**
 * Options of a {@link ContinuousBatcher}. Immutable; build with {@link #builder()}.
 *
 * @param slots requests decoded together (llama.cpp sequences of the one context), 1..256 (default 4)
 * @param contextSize KV cells, split evenly among the slots (default 4096): a request's prompt and generated tokens must
 *     fit in {@code contextSize / slots} cells (as llama-server's {@code -c} and {@code -np})
 * @param threads CPU threads of the context (default: the available cores)
 * @param queueCapacity requests that may wait for a slot before {@link QueueFullException} (default 64; 0: none wait)
 * @param prefillChunk most prompt tokens decoded in one step; a long prompt is taken in chunks so running streams are
 *     not held up by it (default 256). With invariant prompts the chunks ride in the steps' batches, shared by the
 *     prompts still filling; otherwise each chunk is a call of its own between steps
 * @param batchInvariant decode steps run batch-invariant CPU kernels (with more than one slot), so a row's logits do
 *     not depend on which other requests share its batch (default true): batching never changes a greedy answer. Costs
 *     little with several requests in flight and ~20% for a lone request (docs/BENCHMARKS.md 8.1). Off: the fastest
 *     kernels, and a greedy answer may move at near-ties with the load
 * @param invariantPrompts with batchInvariant, prompts run the invariant kernels too (default true; ~7% slower
 *     prompts), so every cached cell is reusable (multi-turn chats reuse their whole history). Off: prompts take the
 *     fastest kernels and a cached prefix is reused only in whole chunks of prefillChunk that a fresh prefill computes
 *     alike
 * @param promptCacheBytes host memory (native, off the Java heap) that keeps the KV states of prompts whose slot was
 *     taken by another request, so a later request with the same prefix (a chat's next turn, a shared system prompt)
 *     restores it instead of decoding it again (as llama-server's {@code --cache-ram}, 8 GiB there); least recently
 *     used states go first (default 512 MiB; 0: none)
 */
public record BatcherOptions(int slots, int contextSize, int threads, int queueCapacity, int prefillChunk,
        boolean batchInvariant, boolean invariantPrompts, long promptCacheBytes) {
    public BatcherOptions {
        if (slots < 1 || slots > 256) throw new IllegalArgumentException("slots must be in [1, 256], got " + slots);
        if (contextSize < slots) {
            throw new IllegalArgumentException("contextSize must be >= slots (" + slots + "), got " + contextSize);
        }
        int maxThreads = 4 * Math.max(1, Runtime.getRuntime().availableProcessors());
        if (threads < 1 || threads > maxThreads) {
            throw new IllegalArgumentException("threads must be in [1, " + maxThreads + "], got " + threads);
        }
        if (queueCapacity < 0) throw new IllegalArgumentException("queueCapacity must be >= 0, got " + queueCapacity);
        if (prefillChunk < 1) throw new IllegalArgumentException("prefillChunk must be >= 1, got " + prefillChunk);
        if (promptCacheBytes < 0) throw new IllegalArgumentException("promptCacheBytes must be >= 0, got " + promptCacheBytes);
    }

    public static BatcherOptions defaults() { return builder().build(); }

    public static Builder builder() { return new Builder(); }

    public Builder toBuilder() {
        return new Builder().slots(slots).contextSize(contextSize).threads(threads).queueCapacity(queueCapacity)
                .prefillChunk(prefillChunk).batchInvariant(batchInvariant).invariantPrompts(invariantPrompts).promptCacheBytes(promptCacheBytes);
    }

    /** Builder; every setter validates in {@link #build()}. */
    public static final class Builder {
        private int slots = 4;
        private int contextSize = 4096;
        private int threads = Runtime.getRuntime().availableProcessors();
        private int queueCapacity = 64;
        private int prefillChunk = 256;
        private boolean batchInvariant = true;
        private boolean invariantPrompts = true;
        private long promptCacheBytes = 512L << 20;

        private Builder() {}

        public Builder slots(int n) { slots = n; return this; }
        public Builder contextSize(int n) { contextSize = n; return this; }
        public Builder threads(int n) { threads = n; return this; }
        public Builder queueCapacity(int n) { queueCapacity = n; return this; }
        public Builder prefillChunk(int n) { prefillChunk = n; return this; }
        public Builder batchInvariant(boolean b) { batchInvariant = b; return this; }
        public Builder invariantPrompts(boolean b) { invariantPrompts = b; return this; }
        public Builder promptCacheBytes(long n) { promptCacheBytes = n; return this; }

        public BatcherOptions build() {
            return new BatcherOptions(slots, contextSize, threads, queueCapacity, prefillChunk, batchInvariant, invariantPrompts,
                    promptCacheBytes);
        }
    }
}

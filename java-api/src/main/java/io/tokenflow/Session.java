package io.tokenflow;

import io.tokenflow.internal.Emitter;
import io.tokenflow.internal.NativeSampler;
import io.tokenflow.internal.NativeSession;
import io.tokenflow.internal.PlainLoop;
import io.tokenflow.kv.KvCompression;
import io.tokenflow.kv.KvCompressor;
import io.tokenflow.kv.KvStats;
import io.tokenflow.speculative.SpeculationEngine;
import io.tokenflow.speculative.SpeculationStats;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A llama.cpp context on a {@link Model}: a KV cache plus the generation loop. One generation runs at a time
 * (calls from several threads queue); {@link #cancel()} may be called from any thread. The session remembers
 * which tokens its cache holds and reuses the longest shared prefix of the next prompt (chat turns, retries).
 * Speculative decoding and KV compression run in their engines ({@code io.tokenflow.speculative},
 * {@code io.tokenflow.kv}); low-level prefill/decode/evaluate for scoring live behind {@link #scoring()}.
 */
public final class Session implements AutoCloseable {
    private final Model model;
    private final SessionOptions options;
    private final NativeSession nat;
    private final ReentrantLock running = new ReentrantLock();
    private final Object abortLock = new Object();
    /** A generate() call is between its start and its end (guarded by abortLock). */
    private boolean generating;
    /** Compresses prompts into the cache when the options ask for it, else null. */
    private final KvCompressor compressor;
    /** What speculation learned in this session (drafters, acceptance, cost curve). */
    private final SpeculationEngine speculation;
    private final Scoring scoring;

    Session(Model model, SessionOptions options) {
        if (options == null) throw new IllegalArgumentException("options is null");
        this.model = model;
        this.options = options;
        ModelInfo info = model.info();
        int ctx = options.contextSize() > 0 ? options.contextSize()
                : Math.min(info.contextLengthTrained() > 0 ? info.contextLengthTrained() : SessionOptions.DEFAULT_CONTEXT_CAP,
                        SessionOptions.DEFAULT_CONTEXT_CAP);
        SessionLimits.check(info, ctx, options);
        this.nat = open(model, options, ctx);
        this.compressor = options.kvCompression().enabled()
                ? new KvCompressor(nat, options.kvCompression(), info.layerCount(), options.batchThreads(),
                        options.microBatchSize())
                : null;
        SessionOptions scratch = options.toBuilder().kvCompression(KvCompression.none()).build();
        this.speculation = new SpeculationEngine(nat, info.vocabularySize(), model.path(), options,
                size -> open(model, scratch, size));
        this.scoring = new Scoring(this);
    }

    private static NativeSession open(Model model, SessionOptions o, int ctx) {
        int batch = Math.min(o.batchSize(), ctx);
        int ubatch = Math.min(o.microBatchSize(), batch);
        return NativeSession.open(model.nativeModel(), ctx, batch, ubatch, o.threads(), o.batchThreads(),
                o.flashAttention().nativeValue, o.kvCacheType().ggmlType, o.sequences(), o.kvCompression().enabled(),
                o.batchInvariant(), o.sparseAttention(), o.deviceLogits());
    }

    public Model model() { return model; }

    public SessionOptions options() { return options; }

    /** Tokens the context window holds. */
    public int contextSize() { return nat.contextSize(); }

    /** Tokens currently in the KV cache (prompt and generated tokens of earlier calls; evicted ones excluded). */
    public int cachedTokens() { return nat.cellsInUse(); }

    /** Generates a continuation of {@code prompt}, streaming tokens to {@code listener}. */
    public GenerationResult generate(String prompt, GenerationOptions options, TokenListener listener) {
        if (prompt == null) throw new IllegalArgumentException("prompt is null");
        if (prompt.isEmpty()) throw new IllegalArgumentException("prompt is empty: give at least one character");
        if (options == null) throw new IllegalArgumentException("options is null");
        checkOpen();
        int[] tokens = model.tokenizer().encode(prompt, options.addSpecial(), options.parseSpecial());
        return generate(tokens, options, listener);
    }

    public GenerationResult generate(String prompt, GenerationOptions options) {
        return generate(prompt, options, TokenListener.NONE);
    }

    /** Generates a continuation of already tokenized input. */
    public GenerationResult generate(int[] prompt, GenerationOptions options, TokenListener listener) {
        if (prompt == null || prompt.length == 0) throw new IllegalArgumentException("prompt has no tokens");
        if (options == null) throw new IllegalArgumentException("options is null");
        if (listener == null) throw new IllegalArgumentException("listener is null (use TokenListener.NONE)");
        checkOpen();
        model.tokenizer().checkTokens(prompt);
        SessionLimits.checkGeneration(options, contextSize());
        if (compressor == null && prompt.length >= contextSize()) {
            throw new ContextOverflowException("prompt has " + prompt.length + " tokens but the context holds " + contextSize()
                    + " (one more is needed to generate)");
        }
        running.lock();
        try {
            checkOpen();
            synchronized (abortLock) {
                nat.clearCancel();
                generating = true;
            }
            return run(prompt.clone(), options, listener);
        } finally {
            // a cancel() from here on finds no generation: it must not leave its flag for the next one
            synchronized (abortLock) {
                generating = false;
                nat.clearCancel();
            }
            running.unlock();
        }
    }

    private GenerationResult run(int[] prompt, GenerationOptions o, TokenListener listener) {
        long t0 = System.nanoTime();
        nat.sparseStats(true); // counters from here on
        int keep = ingest(prompt);
        long tPrompt = System.nanoTime();
        if (keep < 0) {
            return new GenerationResult("", new int[0], StopReason.CANCELLED, new GenerationStats(prompt.length, -keep - 1,
                    0, Double.NaN, 0, 0, ms(t0, tPrompt), Optional.empty(), kvStatsLocked(), nat.sparseStats(false)));
        }
        Emitter out = new Emitter(model.tokenizer(), o, listener);
        long seed = o.seed() == GenerationOptions.RANDOM_SEED ? (System.nanoTime() & 0x7FFFFFFFL) : o.seed();
        long[] firstTokenAt = {0};
        SpeculationStats spec = null;
        try (NativeSampler sampler = new NativeSampler(model.nativeModel(), o.temperature(), o.topK(), o.topP(), o.minP(),
                o.repeatPenalty(), o.repeatLastN() == -1 ? contextSize() : o.repeatLastN(), (int) seed)) {
            if (o.repeatPenalty() != 1f) {
                for (int t : prompt) sampler.accept(t);
            }
            if (SpeculationEngine.applies(o)) {
                spec = speculation.generate(prompt, o, out, sampler, seed, firstTokenAt);
            } else {
                PlainLoop.run(nat, sampler, out, firstTokenAt);
            }
        }
        out.finish();
        long tEnd = System.nanoTime();
        int n = out.count();
        long tFirst = firstTokenAt[0];
        double ttft = tFirst == 0 ? Double.NaN : ms(t0, tFirst);
        double pp = (prompt.length - keep) / Math.max(1e-9, (tPrompt - t0) / 1e9);
        double tg = n > 1 && tFirst != 0 ? (n - 1) / Math.max(1e-9, (tEnd - tFirst) / 1e9) : 0;
        return new GenerationResult(out.text(), out.tokens(), out.reason(), new GenerationStats(prompt.length, keep, n,
                ttft, pp, tg, ms(t0, tEnd), Optional.ofNullable(spec), kvStatsLocked(), nat.sparseStats(false)));
    }

    /**
     * Puts {@code prompt} into the cache: a compressing session prefills it afresh (chunked, compressed); otherwise
     * the longest cached prefix is reused. Returns the prompt tokens reused, or -(reused + 1) when a cancel interrupted it.
     */
    int ingest(int[] prompt) {
        if (compressor != null) {
            // A compressed cache no longer holds the prompt's prefix: prefill afresh.
            nat.clear();
            compressor.reset();
            Tokenizer tok = model.tokenizer();
            String tail = tok.decode(Arrays.copyOfRange(prompt, Math.max(0, prompt.length - 64), prompt.length));
            return compressor.prefill(prompt, tail) ? 0 : -1;
        }
        // Reuse the longest common prefix; the last prompt token is always decoded again to get its logits.
        int keep = nat.tokens().commonPrefix(prompt);
        if (keep == prompt.length) keep--;
        if (!nat.truncate(keep)) {
            nat.clear();
            keep = 0;
        }
        return nat.append(prompt, keep, prompt.length, true) ? keep : -keep - 1;
    }

    /** The current generation's KV figures, or empty without KV compression. */
    public Optional<KvStats> kvStats() {
        checkOpen();
        return kvStatsLocked();
    }

    private Optional<KvStats> kvStatsLocked() {
        return compressor == null ? Optional.empty() : Optional.of(compressor.stats());
    }

    /** Low-level access for scoring and measurement: prefill, decode, evaluate, the cache's positions. */
    public Scoring scoring() { return scoring; }

    /** Writes Token Recycling's adjacency matrix (what {@code Speculation.RECYCLING} learned in this session). */
    public void saveRecyclingMatrix(Path file) throws IOException {
        locked(() -> { speculation.saveRecyclingMatrix(file); return null; });
    }

    /** Restores a matrix {@link #saveRecyclingMatrix} wrote (same vocabulary), so recycling starts warm. */
    public void loadRecyclingMatrix(Path file) throws IOException {
        locked(() -> { speculation.loadRecyclingMatrix(file); return null; });
    }

    /** Empties the KV cache. */
    public void reset() {
        locked(() -> {
            nat.clear();
            if (compressor != null) compressor.reset();
            return null;
        });
    }

    /** Stops the generation running now (if any) within one decoding step; it returns with CANCELLED. */
    public void cancel() {
        synchronized (abortLock) {
            if (nat.isClosed()) return;
            if (generating) nat.requestCancel();
        }
    }

    NativeSession nativeSession() { return nat; }

    /** Runs {@code body} under the session's lock, on an open session. */
    <T, E extends Exception> T locked(LockedBody<T, E> body) throws E {
        checkOpen();
        running.lock();
        try {
            checkOpen();
            return body.run();
        } finally {
            running.unlock();
        }
    }

    interface LockedBody<T, E extends Exception> { T run() throws E; }

    private static double ms(long from, long to) { return (to - from) / 1e6; }

    void checkOpen() {
        if (nat.isClosed()) throw new IllegalStateException("session is closed");
        model.checkOpen();
    }

    public boolean isClosed() { return nat.isClosed(); }

    /** Cancels a running generation, waits for it to return, frees the context. Closing twice is harmless. */
    @Override
    public void close() {
        if (nat.isClosed()) return;
        cancel();
        running.lock();
        try {
            synchronized (abortLock) {
                nat.close();
            }
        } finally {
            running.unlock();
        }
        model.forget(this);
    }
}

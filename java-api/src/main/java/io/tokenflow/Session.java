package io.tokenflow;

import io.tokenflow.internal.IntList;
import io.tokenflow.internal.NativeHandle;
import io.tokenflow.internal.TokenflowNative;
import io.tokenflow.internal.TokenflowNative.TfSampler;
import io.tokenflow.internal.TokenflowNative.TfSession;
import io.tokenflow.speculative.AcceptanceProfile;
import io.tokenflow.speculative.Drafter;
import io.tokenflow.speculative.Speculation;
import io.tokenflow.speculative.SpeculationStats;
import io.tokenflow.speculative.TreeSizer;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

/**
 * A llama.cpp context on a {@link Model}: a KV cache plus the generation loop. One generation runs at a time
 * (calls from several threads queue); {@link #cancel()} may be called from any thread. The session remembers
 * which tokens its cache holds and reuses the longest shared prefix of the next prompt (chat turns, retries).
 */
public final class Session implements AutoCloseable {
    private final Model model;
    private final SessionOptions options;
    private final TfSession handle;
    private final NativeHandle owner;
    private final int contextSize;
    private final int batchSize;
    private final ReentrantLock running = new ReentrantLock();
    private final Object abortLock = new Object();
    private volatile boolean cancelRequested;
    /** Native scratch for single-token decodes: no Java array copy per generated token. */
    private final IntPointer single = new IntPointer(1);
    /** Compresses prompts into the cache when the options ask for it, else null. */
    private final KvCompressor compressor;
    /** One drafter per policy, kept across generations (what it learned, e.g. Token Recycling's matrix). */
    private final Map<Speculation, Drafter> drafters = new EnumMap<>(Speculation.class);
    private final Map<Speculation, AcceptanceProfile> profiles = new EnumMap<>(Speculation.class);
    private TreeSizer sizer;
    private final Map<Speculation, Double> stepOverheads = new EnumMap<>(Speculation.class);
    /** Tokens whose K/V are in sequence 0 of the cache, in position order. */
    private final IntList cached = new IntList();

    Session(Model model, SessionOptions options) {
        if (options == null) throw new IllegalArgumentException("options is null");
        this.model = model;
        this.options = options;
        ModelInfo info = model.info();
        int ctx = options.contextSize() > 0 ? options.contextSize()
                : Math.min(info.contextLengthTrained() > 0 ? info.contextLengthTrained() : SessionOptions.DEFAULT_CONTEXT_CAP,
                        SessionOptions.DEFAULT_CONTEXT_CAP);
        checkMemory(info, ctx, options);
        int batch = Math.min(options.batchSize(), ctx);
        int ubatch = Math.min(options.microBatchSize(), batch);
        TfSession h = TokenflowNative.tf_session_new(model.handle(), ctx, batch, ubatch, options.threads(),
                options.batchThreads(), options.flashAttention().nativeValue, options.kvCacheType().ggmlType,
                options.kvCacheType().ggmlType, options.sequences(), options.kvCompression().enabled());
        if (h == null || h.isNull()) {
            throw new TokenflowException("could not create a session: " + TokenflowNative.lastError());
        }
        this.handle = h;
        this.owner = new NativeHandle(this, () -> TokenflowNative.tf_session_free(h));
        this.contextSize = TokenflowNative.tf_session_n_ctx(h);
        this.batchSize = TokenflowNative.tf_session_n_batch(h);
        this.compressor = options.kvCompression().enabled()
                ? new KvCompressor(this, h, options.kvCompression(), info.layerCount(), options.batchThreads()) : null;
    }

    /** Refuses a context whose KV cache alone would not fit in available memory (instead of failing natively). */
    private static void checkMemory(ModelInfo info, long ctx, SessionOptions o) {
        long kvPerToken = (long) Math.ceil(2.0 * info.layerCount() * (double) info.embeddingLength() * info.kvHeadCount()
                / Math.max(1, info.headCount()) * o.kvCacheType().bytesPerElement());
        long need = kvPerToken * ctx;
        long available = availableMemory();
        if (available > 0 && need > available) {
            throw new TokenflowException(String.format(
                    "context size %d needs %d MiB of KV cache but only %d MiB of memory is available; use a smaller contextSize",
                    ctx, need >> 20, available >> 20));
        }
    }

    private static long availableMemory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024L;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or unreadable: no check
        }
        return -1;
    }

    public Model model() { return model; }

    public SessionOptions options() { return options; }

    /** Tokens the context window holds. */
    public int contextSize() { return contextSize; }

    /** Tokens currently in the KV cache (prompt and generated tokens of earlier calls; evicted ones excluded). */
    public int cachedTokens() { return cellsInUse(); }

    /** KV cells in use: the tokens at positions below the next one, minus those KV compression evicted. */
    int cellsInUse() { return cached.size() - (int) evictedTokens(); }

    /** Tokens KV compression evicted from the cache in the current generation (0 without compression). */
    long evictedTokens() { return compressor == null ? 0 : compressor.evicted(); }

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
        if (compressor == null && prompt.length >= contextSize) {
            throw new ContextOverflowException("prompt has " + prompt.length + " tokens but the context holds " + contextSize
                    + " (one more is needed to generate)");
        }
        running.lock();
        try {
            checkOpen();
            return run(prompt.clone(), options, listener);
        } finally {
            synchronized (abortLock) {
                cancelRequested = false;
                if (!owner.isClosed()) TokenflowNative.tf_session_abort(handle, false);
            }
            running.unlock();
        }
    }

    private GenerationResult run(int[] prompt, GenerationOptions o, TokenListener listener) {
        long t0 = System.nanoTime();
        Tokenizer tok = model.tokenizer();
        long ingested = ingest(prompt);
        int keep = (int) (ingested >>> 32);
        int rc = (int) ingested;
        long tPrompt = System.nanoTime();
        if (rc == TokenflowNative.TF_ERR_ABORTED) {
            return new GenerationResult("", new int[0], StopReason.CANCELLED,
                    new GenerationStats(prompt.length, keep, 0, Double.NaN, 0, 0, ms(t0, tPrompt), java.util.Optional.empty(),
                            kvStats()));
        }
        check(rc, "prompt decode");

        Emitter out = new Emitter(tok, o, listener);
        long seed = o.seed() == GenerationOptions.RANDOM_SEED ? (System.nanoTime() & 0x7FFFFFFFL) : o.seed();
        long[] firstTokenAt = {0};
        SpeculationStats spec = null;
        TfSampler sampler = TokenflowNative.tf_sampler_new(model.handle(), o.temperature(), o.topK(), o.topP(), o.minP(),
                o.repeatPenalty(), o.repeatLastN(), (int) seed);
        if (sampler == null || sampler.isNull()) throw new NativeException("sampler: " + TokenflowNative.lastError());
        try {
            if (o.repeatPenalty() != 1f) {
                for (int t : prompt) TokenflowNative.tf_sampler_accept(sampler, t);
            }
            if (SpeculativeLoop.applies(o)) {
                spec = new SpeculativeLoop(this, o, out, sampler, seed).run(prompt, firstTokenAt);
            } else {
                plainLoop(prompt.length, out, sampler, firstTokenAt);
            }
        } finally {
            TokenflowNative.tf_sampler_free(sampler);
        }
        out.finish();
        long tEnd = System.nanoTime();
        int n = out.count();
        long tFirst = firstTokenAt[0];
        double ttft = tFirst == 0 ? Double.NaN : ms(t0, tFirst);
        double pp = (prompt.length - keep) / Math.max(1e-9, (tPrompt - t0) / 1e9);
        double tg = n > 1 && tFirst != 0 ? (n - 1) / Math.max(1e-9, (tEnd - tFirst) / 1e9) : 0;
        return new GenerationResult(out.text(), out.tokens(), out.reason(),
                new GenerationStats(prompt.length, keep, n, ttft, pp, tg, ms(t0, tEnd), java.util.Optional.ofNullable(spec),
                        kvStats()));
    }


    /**
     * Puts {@code prompt} into the cache: a compressing session prefills it afresh (chunked, compressed); otherwise
     * the longest cached prefix is reused. Returns (prompt tokens reused) << 32 | (native code of the decode).
     */
    private long ingest(int[] prompt) {
        int keep;
        int rc;
        if (compressor != null) {
            // A compressed cache no longer holds the prompt's prefix: prefill afresh.
            TokenflowNative.tf_memory_clear(handle);
            cached.truncate(0);
            compressor.reset();
            keep = 0;
            Tokenizer tok = model.tokenizer();
            String tail = tok.decode(Arrays.copyOfRange(prompt, Math.max(0, prompt.length - 64), prompt.length));
            rc = compressor.prefill(prompt, tail);
        } else {
            // Reuse the longest common prefix; the last prompt token is always decoded again to get its logits.
            keep = cached.commonPrefix(prompt);
            if (keep == prompt.length) keep--;
            if (!TokenflowNative.tf_memory_seq_rm(handle, 0, keep, -1)) {
                TokenflowNative.tf_memory_clear(handle);
                keep = 0;
            }
            cached.truncate(keep);
            int[] rest = Arrays.copyOfRange(prompt, keep, prompt.length);
            rc = TokenflowNative.tf_session_decode(handle, rest, rest.length, keep, 0, true);
            if (rc == TokenflowNative.TF_OK) cached.addAll(rest);
        }
        return ((long) keep << 32) | (rc & 0xFFFFFFFFL);
    }

    /**
     * Replaces what the cache holds by {@code prompt} as {@link #generate} would (compressing it when the session's
     * options ask for KV compression, reusing a cached prefix otherwise) and returns the logits of its last token
     * (a copy). With {@link #evaluate} after it, this measures what compression changes (see KvFidelityBench).
     */
    public float[] prefill(int[] prompt) {
        if (prompt == null || prompt.length == 0) throw new IllegalArgumentException("prompt has no tokens");
        checkOpen();
        model.tokenizer().checkTokens(prompt);
        if (compressor == null && prompt.length > contextSize) {
            throw new ContextOverflowException("prompt has " + prompt.length + " tokens but the context holds " + contextSize);
        }
        running.lock();
        try {
            checkOpen();
            int rc = (int) ingest(prompt.clone());
            check(rc, "prompt decode");
            return lastLogits();
        } finally {
            running.unlock();
        }
    }

    /**
     * Positions held in the KV cache for this session's sequence, ascending, as llama.cpp's cache reports them. Without
     * KV compression they are 0 .. cachedTokens()-1; with it, evicted prompt positions are missing.
     */
    public int[] cachedPositions() {
        checkOpen();
        running.lock();
        try {
            checkOpen();
            int n = TokenflowNative.tf_session_kv_cells(handle, 0, null, 0);
            check(n, "kv cells");
            int[] pos = new int[n];
            check(TokenflowNative.tf_session_kv_cells(handle, 0, pos, n), "kv cells");
            return pos;
        } finally {
            running.unlock();
        }
    }

    /** The current generation's KV figures, or empty without KV compression. */
    public java.util.Optional<io.tokenflow.kv.KvStats> kvStats() {
        checkOpen();
        return compressor == null ? java.util.Optional.empty() : java.util.Optional.of(compressor.stats(cached.size()));
    }

    /** One token per step: sample from the last logits, emit, decode it. */
    void plainLoop(int pos, Emitter out, TfSampler sampler, long[] firstTokenAt) {
        while (true) {
            if (cancelRequested) { out.end(StopReason.CANCELLED); return; }
            int next = TokenflowNative.tf_sampler_sample(sampler, handle);
            check(next, "sample");
            if (firstTokenAt[0] == 0) firstTokenAt[0] = System.nanoTime();
            if (!out.emit(next)) return;
            if (pos - evictedTokens() >= contextSize) { out.end(StopReason.CONTEXT_FULL); return; }
            int rc = decodeOne(next, pos);
            if (rc == TokenflowNative.TF_ERR_ABORTED) { out.end(StopReason.CANCELLED); return; }
            check(rc, "decode");
            cached.add(next);
            pos++;
        }
    }

    // --- used by SpeculativeLoop (same package) ---

    /**
     * This session's drafter for {@code policy}, created on first use and kept across generations (what it learned
     * stays: e.g. {@code ((TokenRecyclingDrafter) session.drafter(Speculation.RECYCLING)).save(path)} /
     * {@code load(path)} persist Token Recycling's matrix). Not thread-safe: use it between generations.
     */
    public Drafter drafter(Speculation policy) {
        if (policy == null || policy == Speculation.NONE) throw new IllegalArgumentException("no drafter for policy " + policy);
        checkOpen();
        return drafters.computeIfAbsent(policy, p -> p.newDrafter(model.info().vocabularySize()));
    }

    AcceptanceProfile profile(Speculation policy) {
        return profiles.computeIfAbsent(policy, p -> new AcceptanceProfile());
    }

    /** Drafted nodes for the next step: the fixed budget, or the hardware-aware choice; a tree fits one batch. */
    int draftBudget(GenerationOptions o, Drafter drafter) {
        if (o.draftBudget() != GenerationOptions.AUTO_BUDGET) return Math.min(o.draftBudget(), batchSize - 1);
        return Math.min(sizer().choose(profile(o.speculation()), drafter::depthAt, stepOverhead(o.speculation())), batchSize - 1);
    }

    /**
     * Host seconds per speculative step of {@code policy} (drafting, verification, commit), an exponential average
     * (weight 0.1, starting from 0) over this session's steps. The tree sizer adds it to each step's batch cost.
     */
    double stepOverhead(Speculation policy) {
        Double s = stepOverheads.get(policy);
        return s == null ? 0 : s;
    }

    void recordStepOverhead(Speculation policy, double seconds) {
        if (!(seconds >= 0) || Double.isInfinite(seconds)) return;
        // Averaged from 0, so that the first steps of a process (drafting code not yet compiled: milliseconds instead
        // of microseconds) do not, alone, size every tree away.
        stepOverheads.merge(policy, 0.1 * seconds, (old, x) -> 0.9 * old + x);
    }

    private TreeSizer sizer() {
        if (sizer == null) {
            List<Double> given = options.batchCostSeconds();
            sizer = new TreeSizer(given.isEmpty() ? DecodeCostProbe.curve(this) : given.stream().mapToDouble(Double::doubleValue).toArray());
        }
        return sizer;
    }

    /** True when, by the cost curve, the policy's measured step overhead and the profile, no chain of any depth would pay. */
    boolean treesCannotPay(Speculation policy, AcceptanceProfile profile) {
        return sizer().choose(profile, b -> b, stepOverhead(policy)) == 0;
    }

    /** Decodes one token after the cache (the plain step of a speculative loop); returns the native code. */
    int decodeNext(int token) {
        int rc = decodeOne(token, cached.size());
        if (rc == TokenflowNative.TF_OK) cached.add(token);
        return rc;
    }

    TfSession nativeHandle() { return handle; }

    boolean cancelRequested() { return cancelRequested; }

    IntList cachedList() { return cached; }

    /** Drops cached tokens from {@code size} on (cache and bookkeeping). */
    void truncateCache(int size) {
        if (size < cached.size()) {
            TokenflowNative.tf_memory_seq_rm(handle, 0, size, -1);
            cached.truncate(size);
        }
    }

    void checkNative(int rc, String what) { check(rc, what); }

    /**
     * Decodes {@code tokens} after the cached ones (extending the KV cache) without copying anything back:
     * what benchmarks and prefills need. Logits of the last token stay native for {@link #evaluate}-style reads.
     */
    public void decode(int[] tokens) {
        if (tokens == null || tokens.length == 0) throw new IllegalArgumentException("no tokens");
        checkOpen();
        model.tokenizer().checkTokens(tokens);
        running.lock();
        try {
            checkOpen();
            decodeLocked(tokens);
        } finally {
            running.unlock();
        }
    }

    private void decodeLocked(int[] tokens) {
        if (cellsInUse() + tokens.length > contextSize) {
            throw new ContextOverflowException((cellsInUse() + tokens.length) + " tokens do not fit in the context of " + contextSize);
        }
        int rc = tokens.length == 1 ? decodeOne(tokens[0], cached.size())
                : TokenflowNative.tf_session_decode(handle, tokens, tokens.length, cached.size(), 0, true);
        check(rc, "decode");
        cached.addAll(tokens);
    }

    private int decodeOne(int token, int pos) {
        single.put(0, token);
        return TokenflowNative.tf_session_decode(handle, single, 1, pos, 0, true);
    }

    /**
     * Decodes {@code tokens} after the cached ones and returns the logits of the last one (a copy, vocabulary
     * size floats). For scoring and tests; generation does not need it.
     */
    public float[] evaluate(int[] tokens) {
        if (tokens == null || tokens.length == 0) throw new IllegalArgumentException("no tokens");
        checkOpen();
        model.tokenizer().checkTokens(tokens);
        running.lock();
        try {
            checkOpen();
            decodeLocked(tokens);
            return lastLogits();
        } finally {
            running.unlock();
        }
    }

    private float[] lastLogits() {
        FloatPointer p = TokenflowNative.tf_session_logits(handle);
        if (p == null || p.isNull()) throw new NativeException("no logits: " + TokenflowNative.lastError());
        float[] logits = new float[model.info().vocabularySize()];
        p.capacity(logits.length).get(logits);
        return logits;
    }

    /** Empties the KV cache. */
    public void reset() {
        checkOpen();
        running.lock();
        try {
            checkOpen();
            TokenflowNative.tf_memory_clear(handle);
            cached.truncate(0);
            if (compressor != null) compressor.reset();
        } finally {
            running.unlock();
        }
    }

    /** Stops the generation running now (if any) within one decoding step; it returns with CANCELLED. */
    public void cancel() {
        synchronized (abortLock) {
            if (owner.isClosed()) return;
            if (running.isLocked()) {
                cancelRequested = true;
                TokenflowNative.tf_session_abort(handle, true);
            }
        }
    }

    private void check(int rc, String what) {
        if (rc >= 0) return;
        String msg = what + ": " + TokenflowNative.lastError();
        switch (rc) {
            case TokenflowNative.TF_ERR_NO_SLOT: throw new ContextOverflowException(msg);
            case TokenflowNative.TF_ERR_ARG: throw new IllegalArgumentException(msg);
            default: throw new NativeException(msg);
        }
    }

    private static double ms(long from, long to) { return (to - from) / 1e6; }

    void checkOpen() {
        if (owner.isClosed()) throw new IllegalStateException("session is closed");
        model.checkOpen();
    }

    public boolean isClosed() { return owner.isClosed(); }

    /** Cancels a running generation, waits for it to return, frees the context. Closing twice is harmless. */
    @Override
    public void close() {
        if (owner.isClosed()) return;
        cancel();
        running.lock();
        try {
            synchronized (abortLock) {
                owner.close();
            }
            single.close();
        } finally {
            running.unlock();
        }
        model.forget(this);
    }
}

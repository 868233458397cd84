package io.tokenflow.internal;

import io.tokenflow.NativeException;
import io.tokenflow.TokenflowException;
import io.tokenflow.internal.TokenflowNative.tf_session;
import io.tokenflow.internal.TokenflowNative.tf_session_params;
import io.tokenflow.internal.TokenflowNative.tf_sparse_stats;
import io.tokenflow.internal.TokenflowNative.tf_sampler_params;
import io.tokenflow.internal.TokenflowNative.tf_verify_out;
import io.tokenflow.sparse.SparseAttention;
import io.tokenflow.sparse.SparseStats;
import java.util.Optional;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

/**
 * Owner of one native {@code tf_session} (a llama.cpp context and its KV cache) and the only bookkeeping of what
 * sequence 0 of that cache holds: {@link #tokens()}, in position order (KV compression may have evicted some of
 * their cells; positions never move). Every decode appends at position {@code tokens().size()}.
 *
 * <p>Errors come back through {@link NativeErrors}; a decode interrupted by {@link #requestCancel} returns false
 * instead. Not thread-safe: the public {@code Session} serialises calls, except {@link #requestCancel} (any thread).
 */
public final class NativeSession implements AutoCloseable {
    private final tf_session handle;
    private final NativeHandle owner;
    private final int contextSize;
    private final int batchSize;
    private final IntList tokens = new IntList();
    /** Scratch for single-token decodes and the top-k of one row: no allocation per generated token. */
    private final IntPointer single = new IntPointer(1);
    private IntPointer topIds;
    private FloatPointer topValues;
    private tf_verify_out verifyOut;
    private tf_sampler_params sampling;
    private int verifyK = -1;
    private IntPointer pathBuf;
    private IntPointer candBuf;
    /** Cells KV compression evicted from {@link #tokens()} (their positions stay taken). */
    private long evicted;
    private volatile boolean cancelRequested;
    private SparseAttention sparse;

    private NativeSession(tf_session handle) {
        this.handle = handle;
        this.owner = new NativeHandle(this, () -> TokenflowNative.tf_session_free(handle));
        this.contextSize = TokenflowNative.tf_session_n_ctx(handle);
        this.batchSize = TokenflowNative.tf_session_n_batch(handle);
    }

    /**
     * Creates a context (arguments as {@code tf_session_new} documents them, already validated).
     *
     * @throws TokenflowException llama.cpp could not create it (e.g. no memory for the cache)
     */
    public static NativeSession open(NativeModel model, int contextSize, int batchSize, int microBatchSize, int threads,
            int batchThreads, int flashAttention, int kvType, int sequences, boolean kvTaps, boolean batchInvariant,
            SparseAttention sparse, boolean deviceLogits) {
        tf_session h;
        try (tf_session_params p = TokenflowNative.tf_session_default_params()) {
            p.n_ctx(contextSize).n_batch(batchSize).n_ubatch(microBatchSize).n_threads(threads).n_threads_batch(batchThreads)
                    .flash_attn(flashAttention).type_k(kvType).type_v(kvType).n_seq_max(sequences).kv_taps(kvTaps)
                    .batch_invariant(batchInvariant).sparse_policy(sparse.policy().nativeValue)
                    .sparse_budget(Math.max(1, sparse.budget())).sparse_dense(sparse.dense()).sparse_page(sparse.page())
                    .sparse_reselect(sparse.reselect()).sparse_init(sparse.init()).sparse_local(sparse.local())
                    .sparse_theta((float) sparse.theta()).device_logits(deviceLogits);
            h = TokenflowNative.tf_session_new(model.handle(), p);
        }
        if (h == null || h.isNull()) throw new TokenflowException("could not create a session: " + NativeErrors.lastError());
        NativeSession s = new NativeSession(h);
        s.sparse = sparse;
        return s;
    }

    /**
     * Creates a context for continuous batching: {@code sequences} sequences, each in a KV stream of its own of
     * {@code contextSize / sequences} cells (no trees, taps or sparse attention); {@code invariantPrompts} makes prompts
     * run the batch-invariant kernels too.
     */
    public static NativeSession openBatch(NativeModel model, int contextSize, int batchSize, int threads, int sequences,
            boolean batchInvariant, boolean invariantPrompts) {
        tf_session h;
        try (tf_session_params p = TokenflowNative.tf_session_default_params()) {
            p.n_ctx(contextSize).n_batch(batchSize).n_ubatch(batchSize).n_threads(threads).n_threads_batch(threads)
                    .n_seq_max(sequences).batch_invariant(batchInvariant).invariant_prompts(batchInvariant && invariantPrompts)
                    .invariant_tiles(batchInvariant).seq_streams(true);
            h = TokenflowNative.tf_session_new(model.handle(), p);
        }
        if (h == null || h.isNull()) throw new TokenflowException("could not create a batching context: " + NativeErrors.lastError());
        return new NativeSession(h);
    }

    /** Creates an embedding context (mean pooling) for texts of up to {@code contextSize} tokens. */
    public static NativeSession openEmbedding(NativeModel model, int contextSize, int threads) {
        tf_session h;
        try (tf_session_params p = TokenflowNative.tf_session_default_params()) {
            p.n_ctx(contextSize).n_batch(contextSize).n_ubatch(contextSize).n_threads(threads).n_threads_batch(threads)
                    .embeddings(true);
            h = TokenflowNative.tf_session_new(model.handle(), p);
        }
        if (h == null || h.isNull()) throw new TokenflowException("could not create an embedding context: " + NativeErrors.lastError());
        return new NativeSession(h);
    }

    tf_session handle() { return handle; }

    /** What sparse attention read since the last reset (empty without a policy); {@code reset} zeroes the counters. */
    public Optional<SparseStats> sparseStats(boolean reset) {
        if (sparse == null || !sparse.enabled()) return Optional.empty();
        try (tf_sparse_stats st = new tf_sparse_stats()) {
            NativeErrors.check(TokenflowNative.tf_session_sparse_stats(handle, st, reset), "sparse attention stats");
            return Optional.of(new SparseStats(sparse.toString(), st.rows_read(), st.rows_dense(), st.select_ns() / 1e6,
                    st.cache_lookups(), st.cache_hits(), (int) st.sparse_layers()));
        }
    }

    /** Whether every step so far kept the batch-invariance promise ({@code tf_session_batch_invariant}). */
    public boolean batchInvariant() { return TokenflowNative.tf_session_batch_invariant(handle) == 1; }

    public int contextSize() { return contextSize; }

    public int batchSize() { return batchSize; }

    /** Tokens of sequence 0 in position order; callers change it only through this class's methods. */
    public IntList tokens() { return tokens; }

    public boolean isClosed() { return owner.isClosed(); }

    // --- decoding ---

    /** Decodes {@code t[from, to)} after the cached tokens; false when aborted. Logits of the last one when asked. */
    public boolean append(int[] t, int from, int to, boolean logits) {
        if (to <= from) return true;
        int[] part = from == 0 && to == t.length ? t : java.util.Arrays.copyOfRange(t, from, to);
        int rc = TokenflowNative.tf_session_decode(handle, part, part.length, tokens.size(), 0, logits);
        if (!ok(rc, "decode")) return false;
        tokens.addAll(part);
        return true;
    }

    /** One token after the cached ones, with its logits; false when aborted. */
    public boolean appendOne(int token) {
        single.put(0, token);
        if (!ok(TokenflowNative.tf_session_decode(handle, single, 1, tokens.size(), 0, true), "decode")) return false;
        tokens.add(token);
        return true;
    }

    /** A copy of the last decoded token's logits ({@code vocab} floats). */
    public float[] lastLogits(int vocab) {
        float[] out = new float[vocab];
        logits().capacity(vocab).get(out);
        return out;
    }

    /** The k best token ids of the last logits, best first (ties to the smaller id, as llama.cpp's greedy sampler). */
    public int[] topK(int k, int vocab) {
        if (topIds == null || topIds.capacity() < k) {
            if (topIds != null) { topIds.close(); topValues.close(); }
            topIds = new IntPointer(k);
            topValues = new FloatPointer(k);
        }
        NativeErrors.check(TokenflowNative.tf_topk_f32(logits(), 1, vocab, vocab, k, topIds, topValues, 1), "top-k");
        int[] ids = new int[k];
        topIds.get(ids, 0, k);
        return ids;
    }

    private FloatPointer logits() {
        FloatPointer p = TokenflowNative.tf_session_logits(handle);
        if (p == null || p.isNull()) throw new NativeException("no logits: " + NativeErrors.lastError());
        return p;
    }

    // --- several sequences (continuous batching) and embeddings; these leave tokens() alone ---

    /** Decodes {@code t[from, to)} into sequence {@code seq} at positions {@code pos0...}; false when aborted. */
    public boolean decodeSequence(int seq, int[] t, int from, int to, int pos0, boolean logits) {
        if (to <= from) return true;
        int[] part = java.util.Arrays.copyOfRange(t, from, to);
        return ok(TokenflowNative.tf_session_decode(handle, part, part.length, pos0, seq, logits), "decode");
    }

    /** One token per sequence in one batch ({@code tf_session_decode_rows}); false when aborted. */
    public boolean decodeRows(int[] rowTokens, int[] positions, int[] seqs, int n) {
        return ok(TokenflowNative.tf_session_decode_rows(handle, rowTokens, positions, seqs, n), "decode rows");
    }

    /**
     * Rows of several sequences in one batch, any number per sequence ({@code tf_session_decode_batch}); logits kept
     * for the rows with {@code logits[i] != 0}; false when aborted.
     */
    public boolean decodeBatch(int[] rowTokens, int[] positions, int[] seqs, byte[] logits, int n) {
        return ok(TokenflowNative.tf_session_decode_batch(handle, rowTokens, positions, seqs, logits, n), "decode batch");
    }

    /** A copy of row {@code row}'s logits after {@link #decodeRows} or {@link #decodeBatch} ({@code vocab} floats). */
    public float[] rowLogits(int row, int vocab) {
        FloatPointer p = TokenflowNative.tf_session_row_logits(handle, row);
        if (p == null || p.isNull()) throw new NativeException("no logits: " + NativeErrors.lastError());
        float[] out = new float[vocab];
        p.capacity(vocab).get(out);
        return out;
    }

    /** Bytes of sequence {@code seq}'s state (0: empty). */
    public long seqStateSize(int seq) {
        long n = TokenflowNative.tf_seq_state_size(handle, seq);
        if (n < 0) throw new NativeException("sequence state size: " + NativeErrors.lastError());
        return n;
    }

    /** Copies sequence {@code seq}'s state into native memory of {@code dst}'s capacity; returns the bytes written. */
    public long seqStateGet(int seq, org.bytedeco.javacpp.BytePointer dst) {
        long n = TokenflowNative.tf_seq_state_get(handle, seq, dst, dst.capacity());
        if (n < 0) throw new NativeException("sequence state: " + NativeErrors.lastError());
        return n;
    }

    /** Replaces sequence {@code seq}'s cells by a saved state; false (the sequence left empty) when it does not fit. */
    public boolean seqStateSet(int seq, org.bytedeco.javacpp.BytePointer src, long n) {
        return TokenflowNative.tf_seq_state_set(handle, seq, src, n) == TokenflowNative.TF_OK;
    }

    /** Removes positions {@code [p0, end)} of sequence {@code seq} from the cache. */
    public void removeFrom(int seq, int p0) {
        if (!TokenflowNative.tf_memory_seq_rm(handle, seq, p0, -1)) {
            throw new NativeException("could not remove cells of sequence " + seq + ": " + NativeErrors.lastError());
        }
    }

    /** The mean-pooled embedding of {@code t} (an embedding context; {@code dim} = the model's width). */
    public float[] embed(int[] t, int dim) {
        float[] out = new float[dim];
        int rc = TokenflowNative.tf_session_embed(handle, t, t.length, out, dim);
        // a TF_ERR_* code (-1..-5) is a typed exception; -dim (buffer too small) cannot happen with cap == dim
        if (rc >= TokenflowNative.TF_ERR_BUFFER && rc < 0) NativeErrors.check(rc, "embed");
        if (rc != dim) throw new NativeException("embed: unexpected width " + rc + " (expected " + dim + ")");
        return out;
    }

    // --- token trees (speculative decoding) ---

    /** Decodes a token tree rooted after the cached tokens in one batch; false when aborted. */
    public boolean decodeTree(int[] treeTokens, int[] parents, int n) {
        return ok(TokenflowNative.tf_session_decode_tree(handle, treeTokens, parents, n, tokens.size()), "decode tree");
    }

    /**
     * Greedy verification of the decoded tree: accepted node path ({@code path}, capacity >= tree size), its length
     * ({@code len[0]}), the bonus token ({@code bonus[0]}) and the top-{@code candidates} of every node
     * ({@code candidateIds}, tree size x candidates).
     */
    public void verifyGreedy(int candidates, int[] path, int[] len, int[] bonus, int[] candidateIds) {
        tf_verify_out out = verifyOut(candidates, path.length, candidateIds.length);
        NativeErrors.check(TokenflowNative.tf_session_verify_greedy(handle, out), "verify");
        readVerification(out, path, len, bonus, candidateIds);
    }

    /** Lossless sample-and-match verification with one uniform draw in [0, 1) per node; outputs as {@link #verifyGreedy}. */
    public void verifySample(float temperature, int topK, float topP, float minP, float[] uniforms, int candidates,
            int[] path, int[] len, int[] bonus, int[] candidateIds) {
        tf_verify_out out = verifyOut(candidates, path.length, candidateIds.length);
        // One native params struct per session, refilled each step (no allocation per speculative step).
        if (sampling == null) sampling = NativeSampler.params(temperature, topK, topP, minP);
        sampling.temperature(temperature).top_k(topK).top_p(topP).min_p(minP);
        NativeErrors.check(TokenflowNative.tf_session_verify_sample(handle, sampling, uniforms, out), "verify");
        readVerification(out, path, len, bonus, candidateIds);
    }

    /** The verification output struct over native scratch of the given capacities (kept across steps). */
    private tf_verify_out verifyOut(int candidates, int pathCap, int candCap) {
        // Fields are written only when they change: in a steady speculative loop this crosses JNI not at all.
        if (verifyOut == null) verifyOut = new tf_verify_out().n_threads(1).k_cand(-1);
        if (pathBuf == null || pathBuf.capacity() < pathCap) {
            if (pathBuf != null) pathBuf.close();
            pathBuf = new IntPointer(Math.max(1, pathCap));
            verifyOut.path(pathBuf);
        }
        if (candBuf == null || candBuf.capacity() < candCap) {
            if (candBuf != null) candBuf.close();
            candBuf = new IntPointer(Math.max(1, candCap));
            verifyOut.cand_ids(candBuf);
        }
        if (verifyK != candidates) {
            verifyOut.k_cand(candidates);
            verifyK = candidates;
        }
        return verifyOut;
    }

    private void readVerification(tf_verify_out out, int[] path, int[] len, int[] bonus, int[] candidateIds) {
        len[0] = out.n_path();
        bonus[0] = out.bonus();
        pathBuf.get(path, 0, len[0]);
        candBuf.get(candidateIds, 0, candidateIds.length);
    }

    /** Keeps the accepted nodes (root first) of the decoded tree in the cache, drops the rest. */
    public void commitPath(int[] nodes, int[] nodeTokens) {
        NativeErrors.check(TokenflowNative.tf_session_commit_path(handle, nodes, nodes.length), "commit");
        tokens.addAll(nodeTokens);
    }

    // --- memory ---

    /**
     * Drops every cell from position {@code size} on (also cells an interrupted tree decode may have left) and the
     * tokens after index {@code size}; false when llama.cpp cannot cut there (then {@link #clear}).
     */
    public boolean truncate(int size) {
        boolean done = TokenflowNative.tf_memory_seq_rm(handle, 0, size, -1);
        if (done && size < tokens.size()) tokens.truncate(size);
        return done;
    }

    /** Evicts the cells at positions [from, to) (KV compression); the bookkeeping of tokens stays (positions stay). */
    public void evict(int from, int to) {
        if (!TokenflowNative.tf_memory_seq_rm(handle, 0, from, to)) {
            throw new NativeException("kv eviction of positions [" + from + ", " + to + ") failed");
        }
    }

    /** Empties the cache. */
    public void clear() {
        TokenflowNative.tf_memory_clear(handle);
        tokens.truncate(0);
        evicted = 0;
    }

    /** Cells sequence 0 holds, counted by llama.cpp's cache (no copy of their positions). */
    public int cellCount() {
        return NativeErrors.check(TokenflowNative.tf_session_kv_cells(handle, 0, (int[]) null, 0), "kv cells");
    }

    /** Positions of the cells sequence 0 holds, ascending, as llama.cpp's cache reports them. */
    public int[] cellPositions() {
        int n = cellCount();
        int[] pos = new int[n];
        NativeErrors.check(TokenflowNative.tf_session_kv_cells(handle, 0, pos, n), "kv cells");
        return pos;
    }

    /** Bytes of one KV cell (every layer's K and V of one token). */
    public long cellBytes() { return Math.max(0, TokenflowNative.tf_session_kv_cell_bytes(handle)); }

    // --- attention taps (KV compression) ---

    public void armTaps(int[] layers, int threads) {
        NativeErrors.check(TokenflowNative.tf_session_kv_arm(handle, layers, layers.length, threads), "kv arm");
    }

    public void disarmTaps() { TokenflowNative.tf_session_kv_disarm(handle); }

    /** Attention scores one tapped layer gave each cell before {@code posEnd}: positions and [head][cell] scores. */
    public TapScores tapScores(int slot, int posEnd) {
        int[] nHead = new int[1];
        int m = NativeErrors.check(TokenflowNative.tf_session_kv_scores(handle, slot, 0, posEnd, (int[]) null, (float[]) null, 0, nHead), "kv scores");
        int[] pos = new int[m];
        float[] scores = new float[Math.multiplyExact(m, Math.max(1, nHead[0]))];
        NativeErrors.check(TokenflowNative.tf_session_kv_scores(handle, slot, 0, posEnd, pos, scores, m, nHead), "kv scores");
        return new TapScores(pos, scores, nHead[0]);
    }

    /** What {@link #tapScores} returns: cell positions, scores laid out [head][cell], head count. */
    public record TapScores(int[] positions, float[] scores, int heads) {}

    /** Cells evicted by KV compression since the cache was last emptied. */
    public long evicted() { return evicted; }

    /** Records {@code cells} evicted cells (KV compression). */
    public void countEvicted(long cells) { evicted += cells; }

    /** KV cells in use: the cached tokens minus the evicted ones. */
    public int cellsInUse() { return tokens.size() - (int) evicted; }

    /** Stops a running decode (on another thread) at its next check, and the generation loops at their next step. */
    public void requestCancel() {
        cancelRequested = true;
        if (!owner.isClosed()) TokenflowNative.tf_session_abort(handle, true);
    }

    /** Clears a cancel request (a new generation starts). */
    public void clearCancel() {
        cancelRequested = false;
        if (!owner.isClosed()) TokenflowNative.tf_session_abort(handle, false);
    }

    public boolean cancelRequested() { return cancelRequested; }

    /** Frees the context and the scratch. The caller makes sure no call is running. */
    @Override
    public void close() {
        owner.close();
        single.close();
        if (topIds != null) { topIds.close(); topValues.close(); }
        if (verifyOut != null) { verifyOut.close(); pathBuf.close(); candBuf.close(); }
        if (sampling != null) sampling.close();
    }

    /** True for TF_OK, false for an abort; any other code throws the table's exception. */
    private static boolean ok(int rc, String what) {
        if (rc == TokenflowNative.TF_ERR_ABORTED) return false;
        NativeErrors.check(rc, what);
        return true;
    }
}

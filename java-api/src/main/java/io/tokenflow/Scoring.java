package io.tokenflow;

import io.tokenflow.internal.BatchTiming;
import io.tokenflow.internal.NativeSession;

/**
 * Low-level use of a {@link Session}'s cache, for scoring and measurement rather than generation: put a prompt in
 * (compressed when the session compresses), decode more tokens after it, read the last token's logits, see which
 * positions the cache holds. Calls take the session's lock, like {@code generate}.
 *
 * <pre>{@code
 * float[] full = session.scoring().prefill(prompt);      // logits after the (possibly compressed) prompt
 * float[] next = session.scoring().evaluate(new int[] {t}); // after one more token
 * }</pre>
 */
public final class Scoring {
    private final Session session;

    Scoring(Session session) { this.session = session; }

    /**
     * Replaces what the cache holds by {@code prompt} as {@code generate} would (compressing it when the session's
     * options ask for KV compression, reusing a cached prefix otherwise) and returns the logits of its last token
     * (a copy). With {@link #evaluate} after it, this measures what compression changes (see KvFidelityBench).
     */
    public float[] prefill(int[] prompt) {
        if (prompt == null || prompt.length == 0) throw new IllegalArgumentException("prompt has no tokens");
        session.checkOpen();
        session.model().tokenizer().checkTokens(prompt);
        boolean compressing = session.options().kvCompression().enabled();
        if (!compressing && prompt.length > session.contextSize()) {
            throw new ContextOverflowException("prompt has " + prompt.length + " tokens but the context holds "
                    + session.contextSize());
        }
        return session.locked(() -> {
            if (session.ingest(prompt.clone()) < 0) throw new java.util.concurrent.CancellationException("prefill cancelled");
            return lastLogits();
        });
    }

    /**
     * Decodes {@code tokens} after the cached ones (extending the KV cache) without copying anything back: what
     * benchmarks and prefills need.
     */
    public void decode(int[] tokens) {
        checkTokens(tokens);
        session.locked(() -> { append(tokens); return null; });
    }

    /**
     * Decodes {@code tokens} after the cached ones and returns the logits of the last one (a copy, vocabulary
     * size floats).
     */
    public float[] evaluate(int[] tokens) {
        checkTokens(tokens);
        return session.locked(() -> {
            append(tokens);
            return lastLogits();
        });
    }

    /**
     * Positions held in the KV cache for this session's sequence, ascending, as llama.cpp's cache reports them. Without
     * KV compression they are 0 .. cachedTokens()-1; with it, evicted prompt positions are missing.
     */
    public int[] cachedPositions() {
        return session.locked(() -> session.nativeSession().cellPositions());
    }

    /**
     * What decoding costs here: for each of {@code sizes}, seconds to decode that many tokens in one decode call after
     * the cached tokens (the cache is left as it was), the fastest of {@code reps} rounds; a size with no room left in
     * the context gets 0. Such a curve can be given to {@code SessionOptions.batchCostSeconds}. Tree sizing measures
     * with the same code, laid out as a speculative tree.
     */
    public double[] batchCostSeconds(int reps, int... sizes) {
        return costSeconds(reps, sizes, false);
    }

    /**
     * As {@link #batchCostSeconds}, but each batch laid out as speculative decoding decodes it (a chain of that many
     * nodes through the token-tree path): what the tree sizer measures for {@code Speculation.AUTO}'s budgets.
     */
    public double[] treeCostSeconds(int reps, int... sizes) {
        return costSeconds(reps, sizes, true);
    }

    private double[] costSeconds(int reps, int[] sizes, boolean asTree) {
        if (reps < 1) throw new IllegalArgumentException("reps must be >= 1, got " + reps);
        if (sizes == null || sizes.length == 0) throw new IllegalArgumentException("no sizes");
        for (int n : sizes) {
            if (n < 1 || n > 256) throw new IllegalArgumentException("a batch size must be in [1, 256], got " + n);
        }
        return session.locked(() -> BatchTiming.seconds(session.nativeSession(),
                session.model().info().vocabularySize(), sizes.clone(), reps, asTree));
    }

    private void checkTokens(int[] tokens) {
        if (tokens == null || tokens.length == 0) throw new IllegalArgumentException("no tokens");
        session.checkOpen();
        session.model().tokenizer().checkTokens(tokens);
    }

    private void append(int[] tokens) {
        NativeSession nat = session.nativeSession();
        if (nat.cellsInUse() + tokens.length > nat.contextSize()) {
            throw new ContextOverflowException((nat.cellsInUse() + tokens.length) + " tokens do not fit in the context of "
                    + nat.contextSize());
        }
        boolean done = tokens.length == 1 ? nat.appendOne(tokens[0]) : nat.append(tokens, 0, tokens.length, true);
        if (!done) throw new java.util.concurrent.CancellationException("decode cancelled");
    }

    private float[] lastLogits() {
        return session.nativeSession().lastLogits(session.model().info().vocabularySize());
    }
}

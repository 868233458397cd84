package io.tokenflow.kv;

import io.tokenflow.ContextOverflowException;
import io.tokenflow.internal.NativeSession;

/**
 * Prefills a prompt into a compressing session's cache (ARCHITECTURE.md, "KV compression"): the prompt goes in
 * chunks that fit the free cells; the last {@code S} tokens of each chunk are decoded with the attention taps armed
 * (the observation window), the policy's {@link CellSelector} picks the cells to keep within the budget, and the rest
 * are evicted with {@code llama_memory_seq_rm}. Kept cells keep their original positions, so later tokens continue
 * at the prompt's length and no evicted position is ever reused. One KV cell holds every layer and head of a token,
 * so eviction is shared by all layers and heads (a deviation from the papers' per-head/per-layer sets, see docs).
 *
 * <p>Engine of {@code Session}, not API: created by a session whose options ask for compression; not thread-safe
 * (the session runs it under its lock).
 */
public final class KvCompressor {
    private final NativeSession session;
    private final KvCompression config;
    private final int nLayer;
    private final int threads;
    private final int microBatchSize;
    private double scoringMs;
    private int compressions;

    public KvCompressor(NativeSession session, KvCompression config, int nLayer, int threads, int microBatchSize) {
        this.session = session;
        this.config = config;
        this.nLayer = nLayer;
        this.threads = threads;
        this.microBatchSize = microBatchSize;
    }

    int compressions() { return compressions; }

    /** Forgets the last prompt's figures (the cache was emptied). */
    public void reset() {
        scoringMs = 0;
        compressions = 0;
    }

    /**
     * Decodes {@code prompt} into an empty cache at positions 0.., compressing to the budget; the last token's logits
     * are ready afterwards. False when a cancel interrupted it.
     *
     * @param promptText the prompt's text, for WindowKV's task choice
     * @throws ContextOverflowException the budget leaves no room to prefill the prompt in chunks
     * @throws IllegalArgumentException the observation window does not fit one micro-batch
     */
    public boolean prefill(int[] prompt, String promptText) {
        int n = prompt.length;
        KvCompression c = config.resolveTask(promptText);
        int budget = c.resolveBudget(n);
        int ctx = session.contextSize();
        if (budget >= n && n < ctx) return session.append(prompt, 0, n, true);
        int window = c.policy() == KvPolicy.STREAMING ? 0 : c.effectiveObservationWindow();
        if (window > microBatchSize) {
            throw new IllegalArgumentException("the observation window (" + window + " tokens) must fit one micro-batch ("
                    + microBatchSize + "): raise microBatchSize");
        }
        // After a compression the cache holds `budget` cells; each next chunk needs room for more than a window.
        if ((long) budget + Math.max(window, 1) + 1 >= ctx) {
            throw new ContextOverflowException("KV budget " + budget + " tokens leaves no room to prefill a " + n
                    + "-token prompt in a context of " + ctx + " (needs budget + observation window + 1 < context)");
        }
        CellSelector selector = CellSelector.of(c, nLayer);
        int[] layers = selector.scoredLayers();
        int cells = 0;
        int i = 0;
        while (true) {
            int room = ctx - cells - 1;
            int j = (int) Math.min(n, (long) i + room);
            boolean last = j == n;
            int windowStart = Math.max(i, j - window);
            if (!session.append(prompt, i, windowStart, last && windowStart == j)) return false;
            cells += windowStart - i;
            if (j > windowStart) {
                if (layers.length > 0) session.armTaps(layers, threads);
                boolean done;
                try {
                    done = session.append(prompt, windowStart, j, last);
                } finally {
                    session.disarmTaps();
                }
                if (!done) return false;
                cells += j - windowStart;
            }
            if (cells > budget) {
                cells -= compress(selector, windowStart, j, budget);
                compressions++;
            }
            if (last) return true;
            i = j;
        }
    }

    /** Figures for {@code GenerationStats.kv()}: cells as llama.cpp counts them, bytes from the cache type. */
    public KvStats stats() {
        long used = session.cellCount();
        long logical = session.tokens().size();
        return KvStats.of(config.policy().id(), used, Math.max(used, logical), session.cellBytes(), session.evicted(), scoringMs);
    }

    /**
     * Keeps {@code budget} cells among those below {@code windowEnd} (the window [windowStart, windowEnd) always
     * stays) and evicts the rest. Returns the number of cells evicted.
     */
    private int compress(CellSelector selector, int windowStart, int windowEnd, int budget) {
        long t0 = System.nanoTime();
        CellSelector.Selection s = selector.choose(session, windowStart, windowEnd - windowStart, budget);
        int[] positions = s.positions();
        int removed = 0;
        for (int[] r : s.keep().evictedRanges()) {
            // Index ranges over the cells in position order; the window (indices >= positions.length) is always kept.
            session.evict(positions[r[0]], positions[r[1] - 1] + 1);
            removed += r[1] - r[0];
        }
        session.countEvicted(removed);
        scoringMs += (System.nanoTime() - t0) / 1e6;
        return removed;
    }
}

package io.tokenflow;

import io.tokenflow.internal.TokenflowNative;
import io.tokenflow.internal.TokenflowNative.TfSession;
import io.tokenflow.kv.KeptSet;
import io.tokenflow.kv.KvCompression;
import io.tokenflow.kv.KvPolicy;
import io.tokenflow.kv.KvStats;
import io.tokenflow.kv.SnapKvSelector;
import io.tokenflow.kv.StreamingSelector;
import io.tokenflow.kv.WindowKvSelector;
import java.util.Arrays;

/**
 * Prefills a prompt into a compressing session's cache (ARCHITECTURE.md, "KV compression"): the prompt goes in
 * chunks that fit the free cells; the last {@code S} tokens of each chunk are decoded with the attention taps armed
 * (the observation window), the policy picks the cells to keep within the budget, and the rest are evicted with
 * {@code llama_memory_seq_rm}. Kept cells keep their original positions, so later tokens continue at the prompt's
 * length and no evicted position is ever reused. One KV cell holds every layer and head of a token, so eviction is
 * shared by all layers and heads (a deviation from the papers' per-head/per-layer sets, see docs).
 *
 * <p>Not thread-safe: the owning {@link Session} runs it under its lock.
 */
final class KvCompressor {
    private static final int TF_WINDOW_AVG = 0;
    private static final int TF_WINDOW_MAX = 1;
    private static final int TF_POOL_AVG = 0;
    private static final int TF_POOL_MAX = 1;

    private final Session session;
    private final TfSession handle;
    private final KvCompression config;
    private final int nLayer;
    private final int threads;
    private long evicted;
    private double scoringMs;
    private int compressions;

    KvCompressor(Session session, TfSession handle, KvCompression config, int nLayer, int threads) {
        this.session = session;
        this.handle = handle;
        this.config = config;
        this.nLayer = nLayer;
        this.threads = threads;
    }

    /** Tokens evicted since the last {@link #reset()}. */
    long evicted() { return evicted; }

    int compressions() { return compressions; }

    void reset() {
        evicted = 0;
        scoringMs = 0;
        compressions = 0;
    }

    /**
     * Decodes {@code prompt} into an empty cache at positions 0.., compressing to the budget; the last token's logits
     * are ready afterwards. Returns the native code of the first failed decode (e.g. aborted), else TF_OK.
     *
     * @param promptText the prompt's text, for WindowKV's task choice
     */
    int prefill(int[] prompt, String promptText) {
        int n = prompt.length;
        KvCompression c = config.resolveTask(promptText);
        int budget = c.resolveBudget(n);
        int ctx = session.contextSize();
        if (budget >= n && n < ctx) return decode(prompt, 0, n, true);
        int window = c.policy() == KvPolicy.STREAMING ? 0 : c.effectiveObservationWindow();
        int ubatch = session.options().microBatchSize();
        if (window > ubatch) {
            throw new IllegalArgumentException("the observation window (" + window + " tokens) must fit one micro-batch ("
                    + ubatch + "): raise microBatchSize");
        }
        // After a compression the cache holds `budget` cells; each next chunk needs room for more than a window.
        if ((long) budget + Math.max(window, 1) + 1 >= ctx) {
            throw new ContextOverflowException("KV budget " + budget + " tokens leaves no room to prefill a " + n
                    + "-token prompt in a context of " + ctx + " (needs budget + observation window + 1 < context)");
        }
        int[] layers = scoredLayers(c);
        int cells = 0;
        int i = 0;
        while (true) {
            int room = ctx - cells - 1;
            int j = (int) Math.min(n, (long) i + room);
            boolean last = j == n;
            int windowStart = Math.max(i, j - window);
            int rc = decode(prompt, i, windowStart, last && windowStart == j);
            if (rc != TokenflowNative.TF_OK) return rc;
            cells += windowStart - i;
            if (j > windowStart) {
                if (layers.length > 0) check(TokenflowNative.tf_session_kv_arm(handle, layers, layers.length, threads), "kv arm");
                rc = decode(prompt, windowStart, j, last);
                TokenflowNative.tf_session_kv_disarm(handle);
                if (rc != TokenflowNative.TF_OK) return rc;
                cells += j - windowStart;
            }
            if (cells > budget) {
                cells -= compress(c, layers, windowStart, j, budget);
                compressions++;
            }
            if (last) return TokenflowNative.TF_OK;
            i = j;
        }
    }

    /** Figures for {@link GenerationStats#kv()}: cells as llama.cpp counts them, bytes from the cache type. */
    KvStats stats(long logicalTokens) {
        long used = TokenflowNative.tf_session_kv_cells(handle, 0, null, 0);
        check((int) Math.min(used, 0), "kv cells");
        long bytesPerCell = TokenflowNative.tf_session_kv_cell_bytes(handle);
        return KvStats.of(config.policy().id(), used, Math.max(used, logicalTokens), Math.max(0, bytesPerCell), evicted, scoringMs);
    }

    private int decode(int[] prompt, int from, int to, boolean logits) {
        if (to <= from) return TokenflowNative.TF_OK;
        int[] part = Arrays.copyOfRange(prompt, from, to);
        int rc = TokenflowNative.tf_session_decode(handle, part, part.length, from, 0, logits);
        if (rc == TokenflowNative.TF_OK) session.cachedList().addAll(part);
        return rc;
    }

    /** Layers whose attention is scored: WindowKV's group leaders, every layer for SnapKV, none for StreamingLLM. */
    private int[] scoredLayers(KvCompression c) {
        return switch (c.policy()) {
            case WINDOWKV -> WindowKvSelector.leaderLayers(nLayer, c.layerGroups());
            case SNAPKV -> java.util.stream.IntStream.range(0, nLayer).toArray();
            default -> new int[0];
        };
    }

    /**
     * Keeps {@code budget} cells among those below {@code windowEnd} (the window [windowStart, windowEnd) always
     * stays) and evicts the rest. Returns the number of cells evicted.
     */
    private int compress(KvCompression c, int[] layers, int windowStart, int windowEnd, int budget) {
        long t0 = System.nanoTime();
        int suffix = windowEnd - windowStart;
        int[] positions;
        KeptSet keep;
        if (c.policy() == KvPolicy.STREAMING) {
            int m = TokenflowNative.tf_session_kv_cells(handle, 0, null, 0);
            check(m, "kv cells");
            positions = new int[m];
            TokenflowNative.tf_session_kv_cells(handle, 0, positions, m);
            keep = StreamingSelector.select(m, budget, c.sinkTokens());
        } else {
            float[][] perLayer = new float[layers.length][];
            positions = null;
            int[] nHead = new int[1];
            for (int slot = 0; slot < layers.length; slot++) {
                int m = TokenflowNative.tf_session_kv_scores(handle, slot, 0, windowStart, null, null, 0, nHead);
                check(m, "kv scores");
                int[] pos = new int[m];
                float[] a = new float[Math.multiplyExact(m, Math.max(1, nHead[0]))];
                check(TokenflowNative.tf_session_kv_scores(handle, slot, 0, windowStart, pos, a, m, nHead), "kv scores");
                if (positions == null) positions = pos;
                perLayer[slot] = aggregate(c, a, nHead[0], m);
            }
            int m = positions.length;
            keep = c.policy() == KvPolicy.SNAPKV
                    ? SnapKvSelector.select(sumLayers(perLayer, m, c), m + suffix, budget, suffix)
                    : WindowKvSelector.select(perLayer, m + suffix, budget, suffix, c.windowSize(),
                            WindowKvSelector.leaderWeights(budget, nLayer, c.layerGroups(), c.groupBeta()));
        }
        int removed = 0;
        for (int[] r : keep.evictedRanges()) {
            // Index ranges over the cells in position order; the window (indices >= positions.length) is always kept.
            int from = positions[r[0]];
            int to = positions[r[1] - 1] + 1;
            if (!TokenflowNative.tf_memory_seq_rm(handle, 0, from, to)) {
                throw new NativeException("kv eviction of positions [" + from + ", " + to + ") failed");
            }
            removed += r[1] - r[0];
        }
        evicted += removed;
        scoringMs += (System.nanoTime() - t0) / 1e6;
        return removed;
    }

    /** WindowKV: per-window scores of one layer; SnapKV: the layer's head-summed token scores. */
    private static float[] aggregate(KvCompression c, float[] a, int nHead, int m) {
        if (m == 0) return new float[0];
        if (c.policy() == KvPolicy.WINDOWKV) {
            int w = c.windowSize();
            float[] out = new float[(m + w - 1) / w];
            check(TokenflowNative.tf_window_aggregate(a, nHead, m, m, w, c.task().maxScoring() ? TF_WINDOW_MAX : TF_WINDOW_AVG, out),
                    "window aggregate");
            return out;
        }
        float[] sum = new float[m];
        for (int h = 0; h < nHead; h++) {
            for (int i = 0; i < m; i++) sum[i] += a[h * m + i];
        }
        return sum;
    }

    /** SnapKV: token scores summed over the scored layers, then pooled along tokens. */
    private static float[] sumLayers(float[][] perLayer, int m, KvCompression c) {
        float[] sum = new float[m];
        for (float[] layer : perLayer) {
            for (int i = 0; i < m; i++) sum[i] += layer[i];
        }
        if (m == 0) return sum;
        float[] pooled = new float[m];
        check(TokenflowNative.tf_pool1d(sum, m, c.poolKernel(), c.poolMax() ? TF_POOL_MAX : TF_POOL_AVG, pooled), "pool1d");
        return pooled;
    }

    private static void check(int rc, String what) {
        if (rc < 0) throw new NativeException(what + ": " + TokenflowNative.lastError());
    }
}

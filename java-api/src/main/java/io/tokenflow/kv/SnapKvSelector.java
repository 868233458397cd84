package io.tokenflow.kv;

import io.tokenflow.internal.NativeKernels;
import io.tokenflow.internal.NativeSession;

import java.util.Arrays;

/**
 * SnapKV, head-shared: keep the observation window (the last {@code window} prompt tokens) plus the prefix tokens
 * that window attends to most. The paper selects per head; a llama.cpp KV cell holds all heads and layers of a token,
 * so the native kernel sums the scores over heads and layers and pools them along tokens before this runs.
 */
final class SnapKvSelector implements CellSelector {
    private final int nLayer;
    private final int poolKernel;
    private final boolean poolMax;

    SnapKvSelector(int nLayer, int poolKernel, boolean poolMax) {
        this.nLayer = nLayer;
        this.poolKernel = poolKernel;
        this.poolMax = poolMax;
    }

    /** Every layer. */
    @Override
    public int[] scoredLayers() { return java.util.stream.IntStream.range(0, nLayer).toArray(); }

    /** Scores summed over heads and the tapped layers, pooled along tokens, then {@link #select(float[], int, int, int)}. */
    @Override
    public Selection choose(NativeSession session, int windowStart, int window, int budget) {
        int[] layers = scoredLayers();
        int[] positions = null;
        float[][] perLayer = new float[layers.length][];
        for (int slot = 0; slot < layers.length; slot++) {
            NativeSession.TapScores t = session.tapScores(slot, windowStart);
            int m = t.positions().length;
            if (positions == null) positions = t.positions();
            float[] a = t.scores();
            float[] headSum = new float[m];
            for (int h = 0; h < t.heads(); h++) {
                for (int i = 0; i < m; i++) headSum[i] += a[h * m + i];
            }
            perLayer[slot] = headSum;
        }
        int n = positions.length;
        float[] sum = new float[n];
        for (float[] layer : perLayer) {
            for (int i = 0; i < n; i++) sum[i] += layer[i];
        }
        float[] pooled = new float[n];
        if (n > 0) NativeKernels.pool1d(sum, n, poolKernel, poolMax, pooled);
        return new Selection(positions, select(pooled, n + window, budget, window));
    }

    /**
     * Everything when {@code budget >= n}; else the window plus the top {@code budget - window} prefix positions by
     * score, so exactly {@code budget} positions. Ties keep the smaller position (earlier tokens include the attention
     * sinks); NaN counts as -infinity.
     *
     * @param pooledScores one score per prefix position [0, n - window), in position order; unread when
     *     {@code budget >= n}
     * @throws IllegalArgumentException on a wrong score count, {@code budget < 1}, or a compressing budget smaller
     *     than the window
     */
    static KeptSet select(float[] pooledScores, int n, int budget, int window) {
        if (n < 0) throw new IllegalArgumentException("n must be >= 0, got " + n);
        if (budget < 1) throw new IllegalArgumentException("budget must be >= 1, got " + budget);
        if (window < 0 || window > n) throw new IllegalArgumentException("window must be in [0, " + n + "], got " + window);
        if (budget >= n) return KeptSet.all(n);
        if (budget < window) {
            throw new IllegalArgumentException("budget " + budget + " tokens is smaller than the observation window of " + window);
        }
        int prefix = n - window;
        if (pooledScores == null || pooledScores.length != prefix) {
            throw new IllegalArgumentException("expected " + prefix + " pooled scores (n - window), got "
                    + (pooledScores == null ? "null" : pooledScores.length));
        }
        // Sort primitive keys: high half = score in descending order, low half = position (ascending on ties).
        long[] keys = new long[prefix];
        for (int j = 0; j < prefix; j++) keys[j] = ((long) ~sortableBits(pooledScores[j]) << 32) | j;
        Arrays.sort(keys);
        int take = budget - window;
        int[] kept = new int[budget];
        for (int i = 0; i < take; i++) kept[i] = (int) keys[i]; // low 32 bits: the position
        Arrays.sort(kept, 0, take);
        for (int i = 0; i < window; i++) kept[take + i] = prefix + i;
        return new KeptSet(kept, n);
    }

    /** An int that orders as the float does (NaN as -infinity, -0 as +0). */
    static int sortableBits(float f) {
        if (Float.isNaN(f)) f = Float.NEGATIVE_INFINITY;
        int bits = Float.floatToIntBits(f + 0.0f);
        return bits < 0 ? bits ^ 0x7fffffff : bits;
    }
}

package io.tokenflow.kv;

import io.tokenflow.internal.NativeSession;

/**
 * StreamingLLM: keep the first {@code sinks} tokens (attention sinks: models park attention there, so evicting them
 * breaks generation) and the most recent ones; evict the middle. Needs no scores.
 */
final class StreamingSelector implements CellSelector {
    private final int sinks;

    StreamingSelector(int sinks) { this.sinks = sinks; }

    @Override
    public int[] scoredLayers() { return new int[0]; }

    /** Needs no scores: the cells in position order (there is no observation window). */
    @Override
    public Selection choose(NativeSession session, int windowStart, int window, int budget) {
        int[] positions = session.cellPositions();
        return new Selection(positions, select(positions.length, budget, sinks));
    }

    /**
     * Everything when {@code budget >= n}; else [0, sinks) and the last {@code budget - sinks} positions, so exactly
     * {@code budget} positions.
     *
     * @throws IllegalArgumentException when {@code budget < 1}, {@code sinks < 0}, or a compressing budget is
     *     smaller than {@code sinks}
     */
    static KeptSet select(int n, int budget, int sinks) {
        if (n < 0) throw new IllegalArgumentException("n must be >= 0, got " + n);
        if (budget < 1) throw new IllegalArgumentException("budget must be >= 1, got " + budget);
        if (sinks < 0) throw new IllegalArgumentException("sinks must be >= 0, got " + sinks);
        if (budget >= n) return KeptSet.all(n);
        if (budget < sinks) {
            throw new IllegalArgumentException("budget " + budget + " tokens is smaller than the " + sinks + " sink tokens");
        }
        int recent = budget - sinks;
        int[] kept = new int[budget];
        for (int i = 0; i < sinks; i++) kept[i] = i;
        for (int i = 0; i < recent; i++) kept[sinks + i] = n - recent + i;
        return new KeptSet(kept, n);
    }
}

package io.tokenflow.kv;

import io.tokenflow.internal.NativeSession;

/**
 * One KV policy's part of compression: which layers' attention the observation window is tapped on, and which
 * cached cells to keep. {@link KvCompressor} does the rest (chunking, taps, eviction) the same way for every policy.
 */
interface CellSelector {
    /** Layers whose attention the observation window is scored on (none for a policy that needs no scores). */
    int[] scoredLayers();

    /**
     * Chooses the cells to keep among those before {@code windowStart}, plus the {@code window} cells from there on
     * (the observation window, always kept), within {@code budget} cells.
     */
    Selection choose(NativeSession session, int windowStart, int window, int budget);

    /** Positions of the scored cells in order, and the kept set over them plus the window (indices, not positions). */
    record Selection(int[] positions, KeptSet keep) {}

    /** The selector of {@code c}'s policy (its task already resolved) on a model of {@code nLayer} layers. */
    static CellSelector of(KvCompression c, int nLayer) {
        return switch (c.policy()) {
            case STREAMING -> new StreamingSelector(c.sinkTokens());
            case SNAPKV -> new SnapKvSelector(nLayer, c.poolKernel(), c.poolMax());
            case WINDOWKV -> new WindowKvSelector(c, nLayer);
            default -> throw new IllegalArgumentException("policy " + c.policy() + " does not compress");
        };
    }
}

package io.tokenflow.kv;

import java.util.Objects;

/**
 * What KV compression saved in one session, for reports.
 *
 * @param policy the policy's id ("windowkv", ...)
 * @param cellsUsed KV cells the session holds
 * @param cellsFull cells an uncompressed cache would hold for the same tokens
 * @param bytesUsed bytes of K and V in {@code cellsUsed} cells
 * @param bytesFull bytes of K and V in {@code cellsFull} cells
 * @param evictedTokens prompt tokens evicted
 * @param scoringTimeMs time spent scoring and selecting
 */
public record KvStats(String policy, long cellsUsed, long cellsFull, long bytesUsed, long bytesFull, long evictedTokens,
        double scoringTimeMs) {

    public KvStats {
        Objects.requireNonNull(policy, "policy");
        if (cellsUsed < 0 || cellsFull < 0 || bytesUsed < 0 || bytesFull < 0 || evictedTokens < 0) {
            throw new IllegalArgumentException("counts must be >= 0, got cells " + cellsUsed + "/" + cellsFull + ", bytes " + bytesUsed
                    + "/" + bytesFull + ", evicted " + evictedTokens);
        }
        if (cellsUsed > cellsFull) throw new IllegalArgumentException("cellsUsed (" + cellsUsed + ") exceeds cellsFull (" + cellsFull + ")");
        if (bytesUsed > bytesFull) throw new IllegalArgumentException("bytesUsed (" + bytesUsed + ") exceeds bytesFull (" + bytesFull + ")");
        if (!(scoringTimeMs >= 0) || Double.isInfinite(scoringTimeMs)) {
            throw new IllegalArgumentException("scoringTimeMs must be finite and >= 0, got " + scoringTimeMs);
        }
    }

    /**
     * Stats from cell counts, every cell costing {@code bytesPerCell} (K and V of all layers, as libtokenflow's
     * tf_session_kv_cell_bytes reports it).
     */
    public static KvStats of(String policy, long cellsUsed, long cellsFull, long bytesPerCell, long evictedTokens, double scoringTimeMs) {
        if (bytesPerCell < 0) throw new IllegalArgumentException("bytesPerCell must be >= 0, got " + bytesPerCell);
        return new KvStats(policy, cellsUsed, cellsFull, Math.multiplyExact(cellsUsed, bytesPerCell),
                Math.multiplyExact(cellsFull, bytesPerCell), evictedTokens, scoringTimeMs);
    }

    public long bytesSaved() { return bytesFull - bytesUsed; }

    /** Used over full cells (1 when nothing is cached). */
    public double keptFraction() { return cellsFull == 0 ? 1 : (double) cellsUsed / cellsFull; }

    @Override
    public String toString() {
        return String.format("KvStats[%s: %d of %d cells (%.1f%%), %d of %d bytes, %d saved, %d tokens evicted, scoring %.1f ms]",
                policy, cellsUsed, cellsFull, 100 * keptFraction(), bytesUsed, bytesFull, bytesSaved(), evictedTokens, scoringTimeMs);
    }
}

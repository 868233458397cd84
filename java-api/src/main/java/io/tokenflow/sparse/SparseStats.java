package io.tokenflow.sparse;

import java.util.Objects;

/**
 * What query-aware sparse attention read during one generation.
 *
 * @param policy the policy's spec ("quest:256", ...)
 * @param rowsRead K/V rows attended, summed over layers, KV heads and steps (query rows)
 * @param rowsDense K/V rows dense attention would have read for the same steps
 * @param selectionMillis time spent selecting (scoring, top-k, masks)
 * @param cacheLookups TokenSelect selection-cache lookups
 * @param cacheHits selection-cache hits
 * @param sparseLayers layers whose attention the policy narrowed in the last step (0: not active, e.g. flash
 *     attention resolved off)
 */
public record SparseStats(String policy, long rowsRead, long rowsDense, double selectionMillis, long cacheLookups,
        long cacheHits, int sparseLayers) {

    public SparseStats {
        Objects.requireNonNull(policy, "policy");
        if (rowsRead < 0 || rowsDense < 0 || cacheLookups < 0 || cacheHits < 0 || sparseLayers < 0) {
            throw new IllegalArgumentException("counts must be >= 0");
        }
        if (cacheHits > cacheLookups) throw new IllegalArgumentException("cacheHits exceeds cacheLookups");
        if (!(selectionMillis >= 0) || Double.isInfinite(selectionMillis)) {
            throw new IllegalArgumentException("selectionMillis must be finite and >= 0, got " + selectionMillis);
        }
    }

    /** Rows read as a fraction of dense (1 when nothing was read). */
    public double readFraction() { return rowsDense == 0 ? 1.0 : (double) rowsRead / rowsDense; }

    /** Selection-cache hit rate (0 without lookups). */
    public double cacheHitRate() { return cacheLookups == 0 ? 0.0 : (double) cacheHits / cacheLookups; }
}

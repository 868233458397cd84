package io.tokenflow.kv;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The prompt positions a policy keeps, out of {@code total}. Immutable (arrays are copied in and out).
 *
 * @param kept kept positions, ascending and distinct, each in [0, total)
 * @param total prompt positions considered (n)
 */
record KeptSet(int[] kept, int total) {

    public KeptSet {
        if (total < 0) throw new IllegalArgumentException("total must be >= 0, got " + total);
        kept = kept.clone();
        for (int i = 0; i < kept.length; i++) {
            if (kept[i] < 0 || kept[i] >= total) {
                throw new IllegalArgumentException("kept position " + kept[i] + " is outside [0, " + total + ")");
            }
            if (i > 0 && kept[i] <= kept[i - 1]) {
                throw new IllegalArgumentException("kept positions must be ascending and distinct, got " + kept[i - 1]
                        + " then " + kept[i]);
            }
        }
    }

    /** Every position of [0, n). */
    public static KeptSet all(int n) {
        int[] k = new int[Math.max(0, n)];
        for (int i = 0; i < k.length; i++) k[i] = i;
        return new KeptSet(k, n);
    }

    @Override
    public int[] kept() { return kept.clone(); }

    public int keptCount() { return kept.length; }

    public int evictedCount() { return total - kept.length; }

    public boolean contains(int pos) { return Arrays.binarySearch(kept, pos) >= 0; }

    /**
     * Maximal runs of evicted positions as {start, endExclusive}, ascending: the native side removes KV cells by
     * position range, so one call per run.
     */
    public List<int[]> evictedRanges() {
        List<int[]> out = new ArrayList<>();
        int next = 0; // first position not yet accounted for
        for (int k : kept) {
            if (k > next) out.add(new int[] {next, k});
            next = k + 1;
        }
        if (next < total) out.add(new int[] {next, total});
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeptSet s && total == s.total && Arrays.equals(kept, s.kept);
    }

    @Override
    public int hashCode() { return 31 * Arrays.hashCode(kept) + total; }

    @Override
    public String toString() {
        return "KeptSet[" + kept.length + " of " + total + " kept, evicted " + rangesText() + "]";
    }

    private String rangesText() {
        StringBuilder sb = new StringBuilder("{");
        for (int[] r : evictedRanges()) {
            if (sb.length() > 1) sb.append(", ");
            sb.append('[').append(r[0]).append(", ").append(r[1]).append(')');
        }
        return sb.append('}').toString();
    }
}

package io.tokenflow.internal;

import java.util.Arrays;

/**
 * tokenflow's one decode-cost measurement, used by speculative tree sizing ({@code DecodeCostProbe}) and, through
 * {@code Scoring.batchCostSeconds}, by the benchmark programs: seconds to decode a chain of n tokens (n positions of
 * one sequence, laid out as a speculative tree is) in one batch after what the cache holds. The cache is left as it
 * was after every batch.
 */
public final class BatchTiming {
    private BatchTiming() {}

    /**
     * For each of {@code sizes}, the fastest of {@code reps} rounds (each round times every size once, so a slow
     * moment hits all sizes alike). A size that cannot be decoded here (no room in the context, a native failure)
     * gets 0, as do all later ones.
     */
    public static double[] chainSeconds(NativeSession s, int vocab, int[] sizes, int reps) {
        int pos0 = s.tokens().size();
        double[] best = new double[sizes.length];
        Arrays.fill(best, Double.MAX_VALUE);
        int usable = sizes.length;
        for (int rep = 0; rep < reps; rep++) {
            for (int k = 0; k < usable; k++) {
                int n = sizes[k];
                int[] tokens = new int[n];
                int[] parents = new int[n];
                for (int i = 0; i < n; i++) {
                    tokens[i] = (i * 7919 + 13) % vocab;
                    parents[i] = i - 1;
                }
                long t0 = System.nanoTime();
                boolean done;
                try {
                    done = n < s.contextSize() - pos0 && s.decodeTree(tokens, parents, n);
                } catch (RuntimeException e) {
                    done = false;
                }
                long t1 = System.nanoTime();
                if (!done) {
                    usable = k;
                    break;
                }
                s.commitPath(new int[] {0}, new int[] {tokens[0]});
                s.truncate(pos0);
                best[k] = Math.min(best[k], (t1 - t0) / 1e9);
            }
        }
        for (int k = 0; k < sizes.length; k++) if (k >= usable || best[k] == Double.MAX_VALUE) best[k] = 0;
        return best;
    }
}

package io.tokenflow.internal;

import java.util.Arrays;

/**
 * tokenflow's one decode-cost measurement: seconds to decode n tokens in one batch after what the cache holds, the
 * cache left as it was after every batch. Two layouts: a speculative tree's (a chain of n nodes through
 * {@code tf_session_decode_tree}, what tree sizing pays: {@code DecodeCostProbe}), or one plain decode call (what
 * llama.cpp's own tools pay, so that benchmarks project peers and tokenflow on the same curve:
 * {@code Scoring.batchCostSeconds}). On stories260K with 2 threads the tree layout measured 0.98-1.14x the plain one
 * (batch 1 to 64, docs/BENCHMARKS.md §4.5).
 */
public final class BatchTiming {
    private BatchTiming() {}

    /**
     * For each of {@code sizes}, the fastest of {@code reps} rounds (each round times every size once, so a slow
     * moment hits all sizes alike). A size that cannot be decoded here (no room in the context, a native failure)
     * gets 0, as do all later ones.
     *
     * @param asTree time a chain decoded as a speculative tree; else one plain decode call
     */
    public static double[] seconds(NativeSession s, int vocab, int[] sizes, int reps, boolean asTree) {
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
                    done = n < s.contextSize() - pos0
                            && (asTree ? s.decodeTree(tokens, parents, n) : s.append(tokens, 0, n, true));
                } catch (RuntimeException e) {
                    done = false;
                }
                long t1 = System.nanoTime();
                if (!done) {
                    usable = k;
                    break;
                }
                if (asTree) s.commitPath(new int[] {0}, new int[] {tokens[0]});
                s.truncate(pos0);
                best[k] = Math.min(best[k], (t1 - t0) / 1e9);
            }
        }
        for (int k = 0; k < sizes.length; k++) if (k >= usable || best[k] == Double.MAX_VALUE) best[k] = 0;
        return best;
    }
}

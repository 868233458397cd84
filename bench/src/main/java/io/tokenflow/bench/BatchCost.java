package io.tokenflow.bench;

import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The benchmark programs' batch-cost measurement (one place, for every program that projects a speedup onto a cost
 * model): seconds to decode a batch of n tokens in one call after a 64-token prefix, 2 threads, best of a few
 * repetitions.
 *
 * <p>Not the runtime's own probe (the package-private {@code io.tokenflow.speculative.DecodeCostProbe}, which sizes
 * trees for a session): that one is reachable through no public API (the public-api list in java-api pins the public
 * types), it stops at 32 tokens (beyond, it extrapolates) where the programs measure batches of up to 65, and it
 * times tree batches with the session's own threads and KV type, best of 2, where the published results under
 * {@code bench/results} were measured as below.
 */
final class BatchCost {
    private BatchCost() {}

    /**
     * Seconds to decode 1, then each of {@code sizes} tokens in one batch after a 64-token prefix (a context of 256,
     * 2 threads), the fastest of {@code reps} rounds over all sizes.
     */
    static double[] bestOf(Path model, int reps, int... sizes) {
        try (Model m = Model.load(model);
             Session s = m.newSession(SessionOptions.builder().contextSize(256).threads(2).build())) {
            int[] prefix = new int[64];
            for (int i = 0; i < prefix.length; i++) prefix[i] = 1 + i;
            int[] all = new int[sizes.length + 1];
            all[0] = 1;
            System.arraycopy(sizes, 0, all, 1, sizes.length);
            double[] best = new double[all.length];
            Arrays.fill(best, Double.MAX_VALUE);
            for (int rep = 0; rep < reps; rep++) {
                for (int k = 0; k < all.length; k++) {
                    s.reset();
                    s.scoring().decode(prefix);
                    int[] batch = new int[all[k]];
                    for (int i = 0; i < batch.length; i++) batch[i] = 100 + i;
                    long t0 = System.nanoTime();
                    s.scoring().decode(batch);
                    best[k] = Math.min(best[k], (System.nanoTime() - t0) / 1e9);
                }
            }
            return best;
        }
    }
}

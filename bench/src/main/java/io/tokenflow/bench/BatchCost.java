package io.tokenflow.bench;

import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import java.nio.file.Path;

/**
 * The benchmark programs' batch costs (one place, for every program that projects a speedup onto a cost model):
 * tokenflow's own decode-cost measurement ({@code Scoring.batchCostSeconds}: plain decode calls, as llama.cpp's tools
 * decode, so peers and tokenflow are projected on the same curve) after a 64-token prefix, in a context of 256 with
 * 2 threads; the method the published results under {@code bench/results} used.
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
            s.scoring().decode(prefix);
            return s.scoring().batchCostSeconds(reps, all);
        }
    }
}

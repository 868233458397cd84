package io.tokenflow.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenflow.FlashAttention;
import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.KvCacheType;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import io.tokenflow.speculative.Speculation;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Lossless at T > 0: with speculation, the joint distribution of the first two generated tokens at a fixed context
 * equals plain sampling's. The second token comes out of tree verification (an accepted draft or the bonus; three
 * tokens are generated so that the step after the first token may draft one level: Token Recycling's siblings), so
 * this checks the sample-and-match rule end to end, with the real sampler chain (top-k 4, temperature 1).
 * Two-sample chi-square test of homogeneity at significance 1e-3 with 12,000 samples per side: a 2-point shift
 * of one pair's probability (e.g. 0.10 to 0.12) gives a statistic of about 20 per cell, far above the critical
 * value, so the test has the power to see it.
 */
class SpeculativeSamplingTest {
    static final int N = 12_000;

    @Test
    void twoTokenDistributionMatchesPlainSampling() {
        try (Model m = Model.load(ItEnv.stories());
             Session plain = m.newSession(opts());
             Session spec = m.newSession(opts())) {
            String prompt = "Once upon a time, there was a little girl named Lily. She";
            Map<Long, Integer> a = new HashMap<>();
            Map<Long, Integer> b = new HashMap<>();
            long accepted = 0;
            for (int i = 0; i < N; i++) {
                GenerationOptions.Builder o = GenerationOptions.builder().maxTokens(3).temperature(1f).topK(4).topP(1f)
                        .minP(0f).seed(1 + i).ignoreEos(true);
                count(a, plain.generate(prompt, o.build()));
                GenerationResult r = spec.generate(prompt, o.speculation(Speculation.RECYCLING).draftBudget(8).build());
                count(b, r);
                accepted += r.stats().speculation().orElseThrow().acceptedTokens();
            }
            // Drafts must have been accepted often, or only the bonus path would be tested.
            assertThat(accepted).as("accepted drafted tokens").isGreaterThan(N / 10);
            double[] stat = chiSquare(a, b);
            double critical = chiSquareCritical((int) stat[1], 3.090232); // z for upper-tail 1e-3
            assertThat(stat[0]).as("chi-square %.1f with %d degrees of freedom (critical %.1f)", stat[0], (int) stat[1], critical)
                    .isLessThan(critical);
        }
    }

    static SessionOptions opts() {
        return SessionOptions.builder().contextSize(128).threads(1).kvCacheType(KvCacheType.F32)
                .flashAttention(FlashAttention.OFF).build();
    }

    static void count(Map<Long, Integer> m, GenerationResult r) {
        int[] t = r.tokens();
        m.merge(((long) t[0] << 32) | t[1], 1, Integer::sum);
    }

    /** Chi-square statistic of homogeneity for two equal-size samples; sparse cells pooled. Returns {stat, df}. */
    static double[] chiSquare(Map<Long, Integer> a, Map<Long, Integer> b) {
        Map<Long, int[]> cells = new HashMap<>();
        a.forEach((k, v) -> cells.computeIfAbsent(k, x -> new int[2])[0] += v);
        b.forEach((k, v) -> cells.computeIfAbsent(k, x -> new int[2])[1] += v);
        int[] pooled = new int[2];
        double stat = 0;
        int df = -1;
        for (int[] c : cells.values()) {
            if (c[0] + c[1] < 20) { pooled[0] += c[0]; pooled[1] += c[1]; continue; }
            stat += term(c);
            df++;
        }
        if (pooled[0] + pooled[1] > 0) { stat += term(pooled); df++; }
        return new double[] {stat, Math.max(1, df)};
    }

    private static double term(int[] c) {
        double e = (c[0] + c[1]) / 2.0; // equal sample sizes
        return (c[0] - e) * (c[0] - e) / e + (c[1] - e) * (c[1] - e) / e;
    }

    /** Wilson-Hilferty approximation of the chi-square quantile for upper-tail z. */
    static double chiSquareCritical(int df, double z) {
        double h = 2.0 / (9 * df);
        return df * Math.pow(1 - h + z * Math.sqrt(h), 3);
    }
}

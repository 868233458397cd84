package io.tokenflow.speculative;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;

class TreeSizerTest {

    /** 260K-parameter model on a 2-core CPU: 1 token 0.47 ms, 8 tokens 3.0 ms, 32 tokens 12.2 ms (about linear). */
    private static final double[] LINEAR = TreeSizer.interpolate(new int[] {1, 8, 32}, new double[] {0.47e-3, 3.0e-3, 12.2e-3}, 32);
    /** 1.1B F16 model: 1 token 0.11 s, 8 tokens 0.19 s, 32 tokens 0.62 s (flat: memory-bound). */
    private static final double[] FLAT = TreeSizer.interpolate(new int[] {1, 8, 32}, new double[] {0.11, 0.19, 0.62}, 32);

    private static final IntUnaryOperator CHAIN = b -> b;
    private static final IntUnaryOperator TEMPLATE = new TokenRecyclingDrafter(10)::depthAt;

    /** Steps on trees of depth {@code depth} whose paths continue with probability {@code p} at each level. */
    private static AcceptanceProfile profile(double p, int depth, int steps) {
        AcceptanceProfile a = new AcceptanceProfile();
        Random rnd = new Random(9);
        for (int s = 0; s < steps; s++) {
            int acc = 0;
            while (acc < depth && rnd.nextDouble() < p) acc++;
            a.record(depth, acc);
        }
        return a;
    }

    @Test
    void interpolation() {
        assertThat(FLAT).hasSize(32);
        assertThat(FLAT[0]).isEqualTo(0.11);
        assertThat(FLAT[7]).isCloseTo(0.19, within(1e-12));
        assertThat(FLAT[31]).isCloseTo(0.62, within(1e-12));
        assertThat(FLAT[3]).isCloseTo(0.11 + 3 * 0.08 / 7, within(1e-12));
        assertThat(TreeSizer.interpolate(new int[] {1}, new double[] {2}, 3)).containsExactly(2, 4, 6);
        assertThat(TreeSizer.interpolate(new int[] {1, 2}, new double[] {1, 1.5}, 4)).containsExactly(1, 1.5, 2, 2.5);
        assertThatThrownBy(() -> TreeSizer.interpolate(new int[] {2, 4}, new double[] {1, 2}, 4)).hasMessageContaining("first measured size must be 1");
        assertThatThrownBy(() -> TreeSizer.interpolate(new int[] {1, 1}, new double[] {1, 2}, 4)).hasMessageContaining("ascend");
    }

    @Test
    void linearCostNeverPays() {
        TreeSizer s = new TreeSizer(LINEAR);
        assertThat(s.maxBudget()).isEqualTo(31);
        assertThat(s.choose(new AcceptanceProfile(), CHAIN)).isZero();
        assertThat(s.choose(new AcceptanceProfile(), TEMPLATE)).isZero();
        assertThat(s.choose(profile(0.6, 6, 300), TEMPLATE)).isZero();     // Token Recycling-like acceptance
        assertThat(s.choose(profile(0.9, 16, 300), CHAIN)).isZero();       // even a good drafter
        // Exactly n x cost(1): not even a perfect drafter gains.
        double[] exact = new double[32];
        for (int n = 1; n <= 32; n++) exact[n - 1] = n * 0.47e-3;
        AcceptanceProfile perfect = profile(1.0, 31, 300);
        assertThat(new TreeSizer(exact).choose(perfect, CHAIN)).isZero();
    }

    @Test
    void flatCostWithHighAcceptanceChoosesALargeTree() {
        TreeSizer s = new TreeSizer(FLAT);
        int good = s.choose(profile(0.9, 31, 300), CHAIN);
        assertThat(good).isGreaterThanOrEqualTo(7);
        assertThat(s.tokensPerSecond(good, profile(0.9, 31, 300), CHAIN)).isGreaterThan(2.5 * s.plainTokensPerSecond());
        assertThat(s.choose(profile(0.99, 31, 300), CHAIN)).isGreaterThanOrEqualTo(20);
        // Poor acceptance shrinks the tree (or turns speculation off).
        assertThat(s.choose(profile(0.2, 31, 300), CHAIN)).isLessThan(good);
        // Token Recycling needs whole template levels (8, 29, 54, ... nodes): 8 nodes at 1.7x one token's cost do not pay.
        assertThat(s.choose(profile(0.9, 6, 300), TEMPLATE)).isZero();
    }

    @Test
    void gpuLikeCurveTakesTheWholeTemplate() {
        // Memory-bound decoding: 81 tokens cost 1.3x one token.
        double[] gpu = TreeSizer.interpolate(new int[] {1, 8, 32, 81}, new double[] {10e-3, 10.5e-3, 11e-3, 13e-3}, 96);
        TreeSizer s = new TreeSizer(gpu);
        assertThat(s.choose(profile(0.7, 6, 300), TEMPLATE)).isEqualTo(80);
        assertThat(s.choose(profile(0.7, 6, 300), new TokenRecyclingDrafter(10))).isEqualTo(80);
        assertThat(s.choose(new AcceptanceProfile(), TEMPLATE)).isIn(8, 29, 54, 69, 77, 80);
        assertThat(s.choose(profile(0.95, 40, 300), CHAIN)).isGreaterThanOrEqualTo(40);
    }

    /**
     * The induction model on a 2-core CPU, 1 thread: a batch of 9 costs 2.4x one token, so a chain that is accepted
     * pays 3x. Before any data, a neutral 0.5 prior sizes speculation away (and since only trees teach the profile,
     * for good); the default, optimistic profile tries trees.
     */
    @Test
    void optimisticPriorTriesTreesWhereTheyCouldPay() {
        TreeSizer s = new TreeSizer(TreeSizer.interpolate(new int[] {1, 2, 4, 8, 16, 32},
                new double[] {1.76e-3, 2.45e-3, 3.71e-3, 4.18e-3, 6.52e-3, 11.7e-3}, 32));
        assertThat(s.choose(new AcceptanceProfile(0.5, 2, AcceptanceProfile.DEFAULT_DECAY), CHAIN)).isZero();
        assertThat(s.choose(new AcceptanceProfile(), CHAIN)).isPositive();
        // ...but not where no chain could pay even if always accepted.
        assertThat(new TreeSizer(LINEAR).choose(new AcceptanceProfile(), CHAIN)).isZero();
    }

    @Test
    void overheadAndMinGain() {
        AcceptanceProfile p = profile(0.9, 31, 300);
        assertThat(new TreeSizer(FLAT, 10.0, 1.1).choose(p, CHAIN)).isZero();  // 10 s of drafting per step never pays
        assertThat(new TreeSizer(FLAT, 0, 100).choose(p, CHAIN)).isZero();
        assertThat(new TreeSizer(new double[] {0.1}).choose(p, CHAIN)).isZero();  // no batch sizes measured beyond 1
        // Measured host overhead per step, added at the call: the same verdicts as the constructor's.
        TreeSizer s = new TreeSizer(FLAT);
        assertThat(s.choose(p, CHAIN, 0)).isEqualTo(s.choose(p, CHAIN)).isPositive();
        assertThat(s.choose(p, CHAIN, 10.0)).isZero();
        assertThat(s.tokensPerSecond(4, p, CHAIN, 0.05)).isLessThan(s.tokensPerSecond(4, p, CHAIN));
        assertThatThrownBy(() -> s.choose(p, CHAIN, -1)).hasMessageContaining("extraOverhead");
        // Where a token costs 0.35 ms (stories260K, 1 thread), 0.2 ms of host work per step turns small trees off...
        TreeSizer tiny = new TreeSizer(TreeSizer.interpolate(new int[] {1, 2, 4, 8}, new double[] {0.35e-3, 0.395e-3, 0.66e-3, 1.07e-3}, 32));
        AcceptanceProfile half = profile(0.5, 4, 300);
        assertThat(tiny.choose(half, CHAIN, 0)).isPositive();
        assertThat(tiny.choose(half, CHAIN, 0.2e-3)).isZero();
        // ...while with perfect acceptance it favours longer chains, which spread it over more tokens.
        assertThat(new TreeSizer(LINEAR).choose(profile(1.0, 31, 300), CHAIN, 0.2e-3))
                .isGreaterThanOrEqualTo(new TreeSizer(LINEAR).choose(profile(1.0, 31, 300), CHAIN, 0));
    }

    @Test
    void validation() {
        assertThatThrownBy(() -> new TreeSizer(new double[0])).hasMessageContaining("at least");
        assertThatThrownBy(() -> new TreeSizer(new double[] {0.1, 0})).hasMessageContaining("batchSeconds[1]");
        assertThatThrownBy(() -> new TreeSizer(new double[] {0.1, Double.NaN})).hasMessageContaining("finite");
        assertThatThrownBy(() -> new TreeSizer(FLAT, -1, 1.1)).hasMessageContaining("stepOverheadSeconds");
        assertThatThrownBy(() -> new TreeSizer(FLAT, 0, 0.5)).hasMessageContaining("minGain");
        assertThatThrownBy(() -> new TreeSizer(FLAT).tokensPerSecond(32, new AcceptanceProfile(), CHAIN)).hasMessageContaining("budget");
    }
}

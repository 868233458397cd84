package io.tokenflow.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WindowKvSelectorTest {

    @Test
    void groupBudgetsMatchTheWorkedExamples() {
        assertThat(WindowKvSelector.groupBudgets(2048, 32, 8, 14)).containsExactly(2926, 2341, 1756, 1170);
        assertThat(WindowKvSelector.groupBudgets(1024, 32, 8, 14)).containsExactly(1463, 1171, 879, 585);
        assertThat(WindowKvSelector.groupBudgets(512, 32, 8, 14)).containsExactly(732, 586, 440, 292);
    }

    @Test
    void groupBudgetsWithRemainderAndOneGroup() {
        // 28 layers in groups of 8: a fourth group of 4 layers; the formula runs with G = 4 and s = 8.
        assertThat(WindowKvSelector.groupBudgets(1024, 28, 8, 14)).containsExactly(1463, 1171, 879, 585);
        // 22 layers, s = 6 (groups 6, 6, 6, 4): last = 1024·6 // 14 = 438, first = 1610, step = 390.
        assertThat(WindowKvSelector.groupBudgets(1024, 22, 6, 14)).containsExactly(1610, 1220, 830, 438);
        // 5 layers, s = 2: G = 3, last = 1024 // 14 = 73, first = 951, step = 439.
        assertThat(WindowKvSelector.groupBudgets(512, 5, 2, 14)).containsExactly(951, 512, 73);
        assertThat(WindowKvSelector.groupBudgets(512, 32, 32, 14)).containsExactly(512);
        assertThat(WindowKvSelector.groupBudgets(512, 5, 8, 14)).containsExactly(512);
        // Tiny budgets would give 0: clamped to 1.
        assertThat(WindowKvSelector.groupBudgets(1, 32, 8, 14)).containsExactly(2, 2, 2, 1);
        assertThatThrownBy(() -> WindowKvSelector.groupBudgets(0, 32, 8, 14)).hasMessageContaining("meanBudget");
        assertThatThrownBy(() -> WindowKvSelector.groupBudgets(512, 32, 0, 14)).hasMessageContaining("groupSize");
        assertThatThrownBy(() -> WindowKvSelector.groupBudgets(512, 32, 8, 0)).hasMessageContaining("beta");
        assertThatThrownBy(() -> WindowKvSelector.groupBudgets(512, 0, 8, 14)).hasMessageContaining("nLayers");
    }

    @Test
    void groupBudgetsMeanIsAboutB() {
        for (int b : new int[] {512, 1024, 2048}) {
            int[] g = WindowKvSelector.groupBudgets(b, 32, 8, 14);
            assertThat(Arrays.stream(g).average().orElseThrow()).isBetween(b - 2.0, b + 2.0);
            for (int i = 1; i < g.length; i++) assertThat(g[i]).isLessThan(g[i - 1]);
        }
    }

    @Test
    void leaderLayers() {
        assertThat(WindowKvSelector.leaderLayers(32, 4)).containsExactly(0, 8, 16, 24);
        assertThat(WindowKvSelector.leaderLayers(22, 4)).containsExactly(0, 6, 12, 18);
        assertThat(WindowKvSelector.leaderLayers(5, 4)).containsExactly(0, 2, 4); // s = 2: fewer groups than asked
        assertThat(WindowKvSelector.leaderLayers(32, 1)).containsExactly(0);
        assertThat(WindowKvSelector.leaderLayers(3, 8)).containsExactly(0, 1, 2);
        assertThat(WindowKvSelector.groupSize(22, 4)).isEqualTo(6);
        assertThatThrownBy(() -> WindowKvSelector.leaderLayers(0, 4)).hasMessageContaining("nLayers");
        assertThatThrownBy(() -> WindowKvSelector.leaderLayers(32, 0)).hasMessageContaining("groups");
    }

    @Test
    void leaderWeightsFollowBudgetsTimesLayers() {
        double[] w = WindowKvSelector.leaderWeights(1024, 32, 4, 14);
        assertThat(w).hasSize(4);
        assertThat(Arrays.stream(w).sum()).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(w[0] / w[3]).isCloseTo(1463.0 / 585, org.assertj.core.api.Assertions.within(1e-12));
        double[] w22 = WindowKvSelector.leaderWeights(1024, 22, 4, 14); // groups of 6, 6, 6, 4 layers
        assertThat(w22[2] / w22[3]).isCloseTo(830.0 * 6 / (438.0 * 4), org.assertj.core.api.Assertions.within(1e-12));
        assertThat(WindowKvSelector.leaderWeights(1024, 5, 4, 14)).hasSize(3);
    }

    @Test
    void dropsTheLowestWindows() {
        // n = 20, suffix 4, w = 4: review [0, 16) in 4 windows; budget 12 leaves 8 review tokens = 2 windows.
        float[][] s = {{0.1f, 0.5f, 0.2f, 0.9f}};
        KeptSet k = WindowKvSelector.select(s, 20, 12, 4, 4, null);
        assertThat(k.kept()).containsExactly(4, 5, 6, 7, 12, 13, 14, 15, 16, 17, 18, 19);
        assertThat(k.evictedRanges()).containsExactly(new int[] {0, 4}, new int[] {8, 12});
        // Budget 13 drops ceil(7/4) = 2 windows too: kept 12 <= 13.
        assertThat(WindowKvSelector.select(s, 20, 13, 4, 4, null)).isEqualTo(k);
        // Budget 16 leaves 12 review tokens: one window goes.
        assertThat(WindowKvSelector.select(s, 20, 16, 4, 4, null).evictedRanges()).containsExactly(new int[] {0, 4});
    }

    @Test
    void partialLastWindowCountsItsRealSize() {
        // Review [0, 17): windows of 4 plus [16, 17). Budget 14 leaves 10 review tokens. The paper drops ceil(7/4) = 2
        // windows; dropping the 1-token window among them would keep 12 > 10, so a third goes.
        float[][] s = {{0.1f, 0.6f, 0.7f, 0.8f, 0.0f}};
        KeptSet k = WindowKvSelector.select(s, 21, 14, 4, 4, null);
        assertThat(k.kept()).containsExactly(8, 9, 10, 11, 12, 13, 14, 15, 17, 18, 19, 20);
        assertThat(k.keptCount()).isLessThanOrEqualTo(14).isGreaterThanOrEqualTo(14 - 4 + 1);
        // When the partial window is kept, it is kept whole.
        float[][] s2 = {{0.1f, 0.2f, 0.7f, 0.8f, 0.9f}};
        assertThat(WindowKvSelector.select(s2, 21, 14, 4, 4, null).kept())
                .containsExactly(8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20);
    }

    @Test
    void leadersAreNormalisedThenWeighted() {
        // Raw sums would let leader 0 dominate (keep windows 0, 1); normalised, the average keeps 0 and 2.
        float[][] s = {{100f, 90f, 0f, 0f}, {0f, 0f, 3f, 1f}};
        assertThat(windowsKept(WindowKvSelector.select(s, 20, 12, 4, 4, null), 4)).containsExactly(0, 2);
        assertThat(windowsKept(WindowKvSelector.select(s, 20, 12, 4, 4, new double[] {1, 1}), 4)).containsExactly(0, 2);
        assertThat(windowsKept(WindowKvSelector.select(s, 20, 12, 4, 4, new double[] {1, 0}), 4)).containsExactly(0, 1);
        assertThat(windowsKept(WindowKvSelector.select(s, 20, 12, 4, 4, new double[] {0.2, 0.8}), 4)).containsExactly(2, 3);
        assertThat(windowsKept(WindowKvSelector.select(s, 20, 12, 4, 4, new double[] {3, 1}), 4)).containsExactly(0, 1);
    }

    @Test
    void unusableLeadersAreSkipped() {
        float[][] nan = {{Float.NaN, 1f, 1f, 1f}, {1f, 0f, 5f, 0f}};
        assertThat(windowsKept(WindowKvSelector.select(nan, 20, 12, 4, 4, null), 4)).containsExactly(0, 2);
        float[][] zero = {{0f, 0f, 0f, 0f}, {1f, 0f, 5f, 0f}};
        assertThat(windowsKept(WindowKvSelector.select(zero, 20, 12, 4, 4, null), 4)).containsExactly(0, 2);
        float[][] inf = {{Float.POSITIVE_INFINITY, 0f, 0f, 0f}, {1f, 0f, 5f, 0f}};
        assertThat(windowsKept(WindowKvSelector.select(inf, 20, 12, 4, 4, null), 4)).containsExactly(0, 2);
        // Nothing usable: all tie, so the later windows go first.
        float[][] none = {{0f, 0f, 0f, 0f}, {Float.NaN, 0f, 0f, 0f}};
        assertThat(windowsKept(WindowKvSelector.select(none, 20, 12, 4, 4, null), 4)).containsExactly(0, 1);
    }

    @Test
    void tiesDropTheLaterWindowFirst() {
        float[][] s = {{0.3f, 0.3f, 0.3f, 0.3f}};
        assertThat(windowsKept(WindowKvSelector.select(s, 20, 12, 4, 4, null), 4)).containsExactly(0, 1);
        float[][] s2 = {{0.5f, 0.1f, 0.5f, 0.1f}};
        assertThat(windowsKept(WindowKvSelector.select(s2, 20, 16, 4, 4, null), 4)).containsExactly(0, 1, 2);
    }

    @Test
    void suffixOnlyWhenAllWindowsGo() {
        float[][] s = {{0.1f, 0.5f, 0.2f, 0.9f}};
        assertThat(WindowKvSelector.select(s, 20, 4, 4, 4, null).kept()).containsExactly(16, 17, 18, 19);
        assertThat(WindowKvSelector.select(s, 20, 7, 4, 4, null).kept()).containsExactly(16, 17, 18, 19);
        assertThat(WindowKvSelector.select(s, 20, 8, 4, 4, null).kept()).containsExactly(12, 13, 14, 15, 16, 17, 18, 19);
    }

    @Test
    void randomizedInvariants() {
        Random r = new Random(11);
        for (int t = 0; t < 500; t++) {
            int n = 1 + r.nextInt(300);
            int suffix = r.nextInt(Math.min(n, 40) + 1);
            int w = 1 + r.nextInt(12);
            int budget = Math.max(1, suffix + r.nextInt(n + 5));
            int review = n - suffix;
            int windows = (review + w - 1) / w;
            int leaders = 1 + r.nextInt(4);
            float[][] s = new float[leaders][windows];
            for (float[] row : s) for (int m = 0; m < windows; m++) row[m] = r.nextInt(5) == 0 ? 0.25f : r.nextFloat();
            double[] weights = r.nextBoolean() ? null : r.doubles(leaders, 0.1, 1).toArray();
            KeptSet k = WindowKvSelector.select(s, n, budget, suffix, w, weights);
            String ctx = "n=" + n + " suffix=" + suffix + " w=" + w + " budget=" + budget;
            if (budget >= n) {
                assertThat(k).as(ctx).isEqualTo(KeptSet.all(n));
                continue;
            }
            assertThat(k.keptCount()).as(ctx).isLessThanOrEqualTo(budget).isGreaterThanOrEqualTo(Math.max(suffix, budget - w + 1));
            for (int p = review; p < n; p++) assertThat(k.contains(p)).as(ctx).isTrue();
            // Whole windows: a kept review token's window is kept entirely (the partial last window is whole too).
            for (int p = 0; p < review; p++) {
                if (!k.contains(p)) continue;
                int m = p / w;
                for (int q = m * w; q < Math.min((m + 1) * w, review); q++) assertThat(k.contains(q)).as(ctx + " window " + m).isTrue();
            }
        }
    }

    @Test
    void budgetAtLeastNKeepsAllWithoutReadingScores() {
        assertThat(WindowKvSelector.select(null, 20, 20, 4, 8, null)).isEqualTo(KeptSet.all(20));
        assertThat(WindowKvSelector.select(new float[0][], 20, 2048, 4, 8, null)).isEqualTo(KeptSet.all(20));
    }

    @Test
    void badArguments() {
        float[][] s = {{0.1f, 0.5f, 0.2f, 0.9f}};
        assertThatThrownBy(() -> WindowKvSelector.select(s, 20, 3, 4, 4, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("budget 3 tokens is smaller than the observation window of 4");
        assertThatThrownBy(() -> WindowKvSelector.select(s, 20, 0, 4, 4, null)).hasMessageContaining("budget must be >= 1, got 0");
        assertThatThrownBy(() -> WindowKvSelector.select(s, 20, 12, 4, 0, null)).hasMessageContaining("w must be >= 1");
        assertThatThrownBy(() -> WindowKvSelector.select(s, 20, 12, 21, 4, null)).hasMessageContaining("suffix must be in [0, 20]");
        assertThatThrownBy(() -> WindowKvSelector.select(s, 20, 12, 4, 8, null)).hasMessageContaining("expected 2 window scores");
        assertThatThrownBy(() -> WindowKvSelector.select(new float[0][], 20, 12, 4, 4, null)).hasMessageContaining("at least one leader");
        assertThatThrownBy(() -> WindowKvSelector.select(s, 20, 12, 4, 4, new double[] {1, 1})).hasMessageContaining("expected 1 leader weights");
        assertThatThrownBy(() -> WindowKvSelector.select(s, 20, 12, 4, 4, new double[] {-1})).hasMessageContaining("finite and >= 0");
        assertThatThrownBy(() -> WindowKvSelector.select(s, 20, 12, 4, 4, new double[] {Double.NaN})).hasMessageContaining("finite");
    }

    /** Indices of the fully kept windows of size w in the review region (for hand-made cases with whole windows). */
    private static int[] windowsKept(KeptSet k, int w) {
        int review = k.total() - 4;
        return java.util.stream.IntStream.range(0, review / w).filter(m -> k.contains(m * w)).toArray();
    }
}

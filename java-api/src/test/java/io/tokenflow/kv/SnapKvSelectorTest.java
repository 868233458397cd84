package io.tokenflow.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SnapKvSelectorTest {

    private static final float NAN = Float.NaN;

    @Test
    void keepsWindowAndTopPrefix() {
        float[] s = {0.1f, 0.9f, 0.3f, 0.8f, NAN, 0.5f, 0.2f};
        assertThat(SnapKvSelector.select(s, 10, 6, 3).kept()).containsExactly(1, 3, 5, 7, 8, 9);
        assertThat(SnapKvSelector.select(s, 10, 4, 3).kept()).containsExactly(1, 7, 8, 9);
        assertThat(SnapKvSelector.select(s, 10, 3, 3).kept()).containsExactly(7, 8, 9); // window only
        // NaN is last: every other prefix position goes first.
        assertThat(SnapKvSelector.select(s, 10, 9, 3).kept()).containsExactly(0, 1, 2, 3, 5, 6, 7, 8, 9);
    }

    @Test
    void tiesKeepTheSmallerPosition() {
        float[] s = {0.5f, 0.7f, 0.5f, 0.7f, 0.5f};
        assertThat(SnapKvSelector.select(s, 7, 3, 2).kept()).containsExactly(1, 5, 6);
        assertThat(SnapKvSelector.select(s, 7, 5, 2).kept()).containsExactly(0, 1, 3, 5, 6);
        float[] zeros = {0f, -0f, 0f, -0f};
        assertThat(SnapKvSelector.select(zeros, 5, 3, 1).kept()).containsExactly(0, 1, 4);
        float[] nans = {NAN, NAN, NAN, Float.NEGATIVE_INFINITY};
        assertThat(SnapKvSelector.select(nans, 5, 3, 1).kept()).containsExactly(0, 1, 4); // NaN == -inf
        float[] neg = {-3f, -1f, -2f, Float.MAX_VALUE, Float.POSITIVE_INFINITY};
        assertThat(SnapKvSelector.select(neg, 5, 3, 0).kept()).containsExactly(1, 3, 4);
    }

    @Test
    void randomizedInvariants() {
        Random r = new Random(7);
        for (int t = 0; t < 500; t++) {
            int n = 1 + r.nextInt(200);
            int window = r.nextInt(Math.min(n, 40) + 1);
            int budget = Math.max(1, window + r.nextInt(n + 5));
            float[] s = new float[n - window];
            for (int j = 0; j < s.length; j++) s[j] = r.nextInt(4) == 0 ? r.nextInt(3) : r.nextFloat(); // with ties
            KeptSet k = SnapKvSelector.select(s, n, budget, window);
            assertThat(k.keptCount()).isEqualTo(Math.min(budget, n));
            for (int p = n - window; p < n; p++) assertThat(k.contains(p)).isTrue();
            // Every kept prefix token beats every evicted one (or ties with a larger position).
            for (int a = 0; a < s.length; a++) {
                if (!k.contains(a)) continue;
                for (int b = 0; b < s.length; b++) {
                    if (k.contains(b)) continue;
                    assertThat(s[a] > s[b] || (s[a] == s[b] && a < b)).as("kept %d vs evicted %d", a, b).isTrue();
                }
            }
        }
    }

    @Test
    void budgetAtLeastNKeepsAllWithoutReadingScores() {
        assertThat(SnapKvSelector.select(null, 10, 10, 3)).isEqualTo(KeptSet.all(10));
        assertThat(SnapKvSelector.select(new float[0], 10, 2048, 3)).isEqualTo(KeptSet.all(10));
    }

    @Test
    void badArguments() {
        float[] s = new float[7];
        assertThatThrownBy(() -> SnapKvSelector.select(s, 10, 2, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("budget 2 tokens is smaller than the observation window of 3");
        assertThatThrownBy(() -> SnapKvSelector.select(s, 10, 0, 3)).hasMessageContaining("budget must be >= 1, got 0");
        assertThatThrownBy(() -> SnapKvSelector.select(s, 10, -1, 3)).hasMessageContaining("got -1");
        assertThatThrownBy(() -> SnapKvSelector.select(new float[6], 10, 5, 3)).hasMessageContaining("expected 7 pooled scores");
        assertThatThrownBy(() -> SnapKvSelector.select(null, 10, 5, 3)).hasMessageContaining("got null");
        assertThatThrownBy(() -> SnapKvSelector.select(s, 10, 5, 11)).hasMessageContaining("window must be in [0, 10]");
        assertThatThrownBy(() -> SnapKvSelector.select(s, 10, 5, -1)).hasMessageContaining("window");
    }
}

package io.tokenflow.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StreamingSelectorTest {

    @Test
    void keepsSinksAndRecent() {
        KeptSet k = StreamingSelector.select(10, 6, 4);
        assertThat(k.kept()).containsExactly(0, 1, 2, 3, 8, 9);
        assertThat(k.total()).isEqualTo(10);
        assertThat(k.evictedRanges()).containsExactly(new int[] {4, 8});
        assertThat(StreamingSelector.select(10, 3, 0).kept()).containsExactly(7, 8, 9);
        assertThat(StreamingSelector.select(10, 4, 4).kept()).containsExactly(0, 1, 2, 3); // sinks only
    }

    @Test
    void exactBudgetSinksAndRecentAlwaysKept() {
        for (int n = 1; n <= 40; n++) {
            for (int sinks = 0; sinks <= 6; sinks++) {
                for (int budget = Math.max(1, sinks); budget <= n + 2; budget++) {
                    KeptSet k = StreamingSelector.select(n, budget, sinks);
                    assertThat(k.keptCount()).isEqualTo(Math.min(budget, n));
                    for (int p = 0; p < Math.min(sinks, n); p++) assertThat(k.contains(p)).isTrue();
                    int recent = Math.min(n, budget) - Math.min(sinks, n);
                    for (int p = n - recent; p < n; p++) assertThat(k.contains(p)).isTrue();
                    assertThat(k.evictedRanges()).hasSizeLessThanOrEqualTo(1); // the middle, in one piece
                }
            }
        }
    }

    @Test
    void budgetAtLeastNKeepsAll() {
        assertThat(StreamingSelector.select(5, 5, 4)).isEqualTo(KeptSet.all(5));
        assertThat(StreamingSelector.select(5, 100, 4)).isEqualTo(KeptSet.all(5));
        assertThat(StreamingSelector.select(0, 1, 4).keptCount()).isZero();
    }

    @Test
    void badArguments() {
        assertThatThrownBy(() -> StreamingSelector.select(10, 3, 4)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("budget 3 tokens is smaller than the 4 sink tokens");
        assertThatThrownBy(() -> StreamingSelector.select(10, 0, 4)).hasMessageContaining("budget must be >= 1, got 0");
        assertThatThrownBy(() -> StreamingSelector.select(10, -2, 4)).hasMessageContaining("got -2");
        assertThatThrownBy(() -> StreamingSelector.select(10, 5, -1)).hasMessageContaining("sinks");
        assertThatThrownBy(() -> StreamingSelector.select(-1, 5, 4)).hasMessageContaining("n must be >= 0");
    }
}

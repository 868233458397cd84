package io.tokenflow.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KeptSetTest {

    @Test
    void countsAndContains() {
        KeptSet k = new KeptSet(new int[] {0, 1, 5, 9}, 10);
        assertThat(k.keptCount()).isEqualTo(4);
        assertThat(k.evictedCount()).isEqualTo(6);
        assertThat(k.total()).isEqualTo(10);
        assertThat(k.contains(5)).isTrue();
        assertThat(k.contains(4)).isFalse();
        assertThat(k.contains(-1)).isFalse();
        assertThat(k.contains(10)).isFalse();
    }

    @Test
    void evictedRanges() {
        assertThat(new KeptSet(new int[] {0, 1, 5, 9}, 10).evictedRanges()).containsExactly(new int[] {2, 5}, new int[] {6, 9});
        assertThat(new KeptSet(new int[] {3, 4}, 8).evictedRanges()).containsExactly(new int[] {0, 3}, new int[] {5, 8});
        assertThat(new KeptSet(new int[] {}, 4).evictedRanges()).containsExactly(new int[] {0, 4});
        assertThat(KeptSet.all(6).evictedRanges()).isEmpty();
        assertThat(new KeptSet(new int[] {}, 0).evictedRanges()).isEmpty();
        assertThat(new KeptSet(new int[] {7}, 8).evictedRanges()).containsExactly(new int[] {0, 7});
    }

    @Test
    void rangesCoverExactlyTheEvicted() {
        KeptSet k = new KeptSet(new int[] {2, 3, 4, 10, 12, 19}, 20);
        boolean[] evicted = new boolean[20];
        int count = 0;
        for (int[] r : k.evictedRanges()) {
            assertThat(r[0]).isLessThan(r[1]);
            for (int p = r[0]; p < r[1]; p++) {
                evicted[p] = true;
                count++;
            }
        }
        assertThat(count).isEqualTo(k.evictedCount());
        for (int p = 0; p < 20; p++) assertThat(evicted[p]).as("position " + p).isEqualTo(!k.contains(p));
    }

    @Test
    void validatesAndCopies() {
        assertThatThrownBy(() -> new KeptSet(new int[] {1, 1}, 4)).hasMessageContaining("ascending and distinct");
        assertThatThrownBy(() -> new KeptSet(new int[] {2, 1}, 4)).hasMessageContaining("ascending and distinct");
        assertThatThrownBy(() -> new KeptSet(new int[] {4}, 4)).hasMessageContaining("outside [0, 4)");
        assertThatThrownBy(() -> new KeptSet(new int[] {-1}, 4)).hasMessageContaining("outside");
        assertThatThrownBy(() -> new KeptSet(new int[] {}, -1)).hasMessageContaining("total");
        int[] in = {1, 2};
        KeptSet k = new KeptSet(in, 3);
        in[0] = 0;
        assertThat(k.kept()).containsExactly(1, 2);
        k.kept()[0] = 2;
        assertThat(k.kept()).containsExactly(1, 2);
        assertThat(k).isEqualTo(new KeptSet(new int[] {1, 2}, 3)).hasSameHashCodeAs(new KeptSet(new int[] {1, 2}, 3));
        assertThat(k).isNotEqualTo(new KeptSet(new int[] {1, 2}, 4));
        assertThat(k.toString()).contains("2 of 3").contains("[0, 1)");
    }
}

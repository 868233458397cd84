package io.tokenflow.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KvStatsTest {

    @Test
    void savedAndFraction() {
        long cell = 131072;  // Llama-3-8B, F16: 32 layers x (2 KiB K + 2 KiB V)
        KvStats s = KvStats.of("windowkv", 1024 + 100, 7950 + 100, cell, 6926, 12.5);
        assertThat(s.bytesUsed()).isEqualTo(1124L * 131072);
        assertThat(s.bytesFull()).isEqualTo(8050L * 131072);
        assertThat(s.bytesSaved()).isEqualTo(6926L * 131072);
        assertThat(s.keptFraction()).isEqualTo(1124.0 / 8050);
        assertThat(s.toString()).contains("windowkv").contains("1124 of 8050 cells").contains("6926 tokens evicted");
        KvStats none = new KvStats("none", 0, 0, 0, 0, 0, 0);
        assertThat(none.bytesSaved()).isZero();
        assertThat(none.keptFraction()).isEqualTo(1);
    }

    @Test
    void validation() {
        assertThatThrownBy(() -> new KvStats("x", 5, 4, 0, 0, 0, 0)).hasMessageContaining("cellsUsed (5) exceeds cellsFull (4)");
        assertThatThrownBy(() -> new KvStats("x", 1, 1, 5, 4, 0, 0)).hasMessageContaining("bytesUsed");
        assertThatThrownBy(() -> new KvStats("x", -1, 1, 0, 0, 0, 0)).hasMessageContaining(">= 0");
        assertThatThrownBy(() -> new KvStats("x", 1, 1, 0, 0, 0, Double.NaN)).hasMessageContaining("scoringTimeMs");
        assertThatThrownBy(() -> new KvStats(null, 1, 1, 0, 0, 0, 0)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> KvStats.of("x", 1, 1, -1, 0, 0)).hasMessageContaining("bytesPerCell");
    }
}

package io.tokenflow.sparse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokenflow.FlashAttention;
import io.tokenflow.SessionOptions;
import org.junit.jupiter.api.Test;

class SparseAttentionTest {
    @Test
    void parsesEveryPolicyWithItsDefaults() {
        assertThat(SparseAttention.parse("none").enabled()).isFalse();
        SparseAttention q = SparseAttention.parse("quest:256");
        assertThat(q.policy()).isEqualTo(SparseAttention.Policy.QUEST);
        assertThat(q.budget()).isEqualTo(256);
        assertThat(q.page()).isEqualTo(16);
        assertThat(q.dense()).isEqualTo(2);
        SparseAttention t = SparseAttention.parse("tidal:128,dense=0,reselect=1");
        assertThat(t.dense()).isZero();
        assertThat(t.reselect()).isEqualTo(1);
        SparseAttention s = SparseAttention.parse("TokenSelect:64,init=4,local=8,theta=0.9");
        assertThat(s.policy()).isEqualTo(SparseAttention.Policy.TOKENSELECT);
        assertThat(s.dense()).isZero();
        assertThat(s.init()).isEqualTo(4);
        assertThat(s.local()).isEqualTo(8);
        assertThat(s.theta()).isEqualTo(0.9);
    }

    @Test
    void toStringParsesBackToTheSameValue() {
        for (String spec : new String[] {"none", "quest:256", "quest:128,dense=0,page=8", "tidal:64,reselect=5",
                "tokenselect:32,init=4,local=16,theta=0.95", "tokenselect:2048,dense=2"}) {
            SparseAttention a = SparseAttention.parse(spec);
            assertThat(SparseAttention.parse(a.toString())).as(spec).isEqualTo(a);
        }
        assertThat(SparseAttention.parse("quest:256,page=16").toString()).isEqualTo("quest:256");
    }

    @Test
    void badSpecsSayWhatIsWrong() {
        assertThatThrownBy(() -> SparseAttention.parse("quest")).hasMessageContaining("needs a budget");
        assertThatThrownBy(() -> SparseAttention.parse("quest:0")).hasMessageContaining(">= 1");
        assertThatThrownBy(() -> SparseAttention.parse("quest:x")).hasMessageContaining("integer");
        assertThatThrownBy(() -> SparseAttention.parse("lru:5")).hasMessageContaining("unknown sparse attention policy");
        assertThatThrownBy(() -> SparseAttention.parse("quest:5,reselect=3")).hasMessageContaining("applies to tidal only");
        assertThatThrownBy(() -> SparseAttention.parse("tidal:5,page=3")).hasMessageContaining("applies to quest only");
        assertThatThrownBy(() -> SparseAttention.parse("quest:5,page=0")).hasMessageContaining("page");
        assertThatThrownBy(() -> SparseAttention.parse("quest:5,dense=-1")).hasMessageContaining("dense");
        assertThatThrownBy(() -> SparseAttention.parse("quest:5,dense=1,dense=2")).hasMessageContaining("twice");
        assertThatThrownBy(() -> SparseAttention.parse("tokenselect:5,theta=nan")).hasMessageContaining("theta");
        assertThatThrownBy(() -> SparseAttention.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void needsFlashAttention() {
        assertThatThrownBy(() -> SessionOptions.builder().flashAttention(FlashAttention.OFF)
                .sparseAttention(SparseAttention.parse("quest:64")).build()).hasMessageContaining("needs flash attention");
        assertThatThrownBy(() -> SessionOptions.builder().sparseAttention(null).build()).hasMessageContaining("sparseAttention is null");
        assertThat(SessionOptions.builder().sparseAttention(SparseAttention.parse("quest:64")).build().sparseAttention().budget())
                .isEqualTo(64);
    }

    @Test
    void statsReportTheReadFraction() {
        SparseStats st = new SparseStats("quest:64", 250, 1000, 1.5, 4, 1, 2);
        assertThat(st.readFraction()).isEqualTo(0.25);
        assertThat(st.cacheHitRate()).isEqualTo(0.25);
        assertThat(new SparseStats("none", 0, 0, 0, 0, 0, 0).readFraction()).isEqualTo(1.0);
        assertThatThrownBy(() -> new SparseStats("q", 1, 1, 0, 1, 2, 0)).hasMessageContaining("cacheHits");
    }
}

package io.tokenflow.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KvPolicyTest {

    @Test
    void idsAndParse() {
        assertThat(KvPolicy.NONE.id()).isEqualTo("none");
        assertThat(KvPolicy.STREAMING.id()).isEqualTo("streaming");
        assertThat(KvPolicy.SNAPKV.id()).isEqualTo("snapkv");
        assertThat(KvPolicy.WINDOWKV.id()).isEqualTo("windowkv");
        for (KvPolicy p : KvPolicy.values()) {
            assertThat(KvPolicy.parse(p.id())).isSameAs(p);
            assertThat(KvPolicy.parse(" " + p.id().toUpperCase() + " ")).isSameAs(p);
            assertThat(p).hasToString(p.id());
        }
        assertThat(KvPolicy.parse("WindowKV")).isSameAs(KvPolicy.WINDOWKV);
    }

    @Test
    void unknownListsTheChoices() {
        assertThatThrownBy(() -> KvPolicy.parse("h2o")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'h2o'").hasMessageContaining("none|streaming|snapkv|windowkv");
        assertThatThrownBy(() -> KvPolicy.parse(null)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("none|streaming");
        assertThatThrownBy(() -> KvPolicy.parse("")).isInstanceOf(IllegalArgumentException.class);
    }
}

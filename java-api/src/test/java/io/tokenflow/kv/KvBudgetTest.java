package io.tokenflow.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KvBudgetTest {

    @Test
    void parsesCountsFractionsAndPercentages() {
        assertThat(KvBudget.parse("512")).isEqualTo(KvBudget.tokens(512));
        assertThat(KvBudget.parse("512").isFraction()).isFalse();
        assertThat(KvBudget.parse("512").tokens()).isEqualTo(512);
        assertThat(KvBudget.parse("1")).isEqualTo(KvBudget.tokens(1));
        assertThat(KvBudget.parse("0.12")).isEqualTo(KvBudget.fraction(0.12));
        assertThat(KvBudget.parse("0.12").fraction()).isEqualTo(0.12);
        assertThat(KvBudget.parse(".5")).isEqualTo(KvBudget.fraction(0.5));
        assertThat(KvBudget.parse("1.0")).isEqualTo(KvBudget.fraction(1));
        assertThat(KvBudget.parse("1e-3")).isEqualTo(KvBudget.fraction(0.001));
        assertThat(KvBudget.parse("12%")).isEqualTo(KvBudget.fraction(0.12));
        assertThat(KvBudget.parse("33.3%")).isEqualTo(KvBudget.parse("0.333"));
        assertThat(KvBudget.parse("100%")).isEqualTo(KvBudget.fraction(1));
        assertThat(KvBudget.parse(" 25% ")).isEqualTo(KvBudget.fraction(0.25));
    }

    @Test
    void toStringRoundTrips() {
        for (String s : new String[] {"512", "1", "0.12", "1.0", "12%", "0.5", "1e-4", "2147483647", "7.5%"}) {
            KvBudget b = KvBudget.parse(s);
            assertThat(KvBudget.parse(b.toString())).as(s).isEqualTo(b);
        }
        assertThat(KvBudget.tokens(512)).hasToString("512");
        assertThat(KvBudget.fraction(0.12)).hasToString("0.12");
        assertThat(KvBudget.parse("12%")).hasToString("0.12");
        assertThat(KvBudget.fraction(1)).hasToString("1.0");
    }

    @Test
    void resolveFloorsFractionsWithAMinimumOfOne() {
        assertThat(KvBudget.tokens(512).resolve(8000)).isEqualTo(512);
        assertThat(KvBudget.tokens(512).resolve(100)).isEqualTo(512); // more than the prompt: nothing evicted
        assertThat(KvBudget.fraction(0.12).resolve(7950)).isEqualTo(954);
        assertThat(KvBudget.fraction(0.5).resolve(7)).isEqualTo(3);
        assertThat(KvBudget.fraction(0.29).resolve(100)).isEqualTo(29); // 28.999999999999996 in binary
        assertThat(KvBudget.fraction(0.01).resolve(50)).isEqualTo(1);
        assertThat(KvBudget.fraction(1).resolve(1234)).isEqualTo(1234);
        assertThat(KvBudget.fraction(0.5).resolve(0)).isEqualTo(1);
        assertThatThrownBy(() -> KvBudget.fraction(0.5).resolve(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesBadValuesNamingThemAndTheRange() {
        for (String bad : new String[] {"0", "0.0", "0%", "-5", "-0.5", "1.5", "101%", "NaN", "Infinity", "abc", "", "12 %%",
                "0x10", "1e", "99999999999999999999", "2147483648", "%", "1,5"}) {
            assertThatThrownBy(() -> KvBudget.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'" + bad + "'").hasMessageContaining("fraction in (0, 1]")
                    .hasMessageContaining("token count >= 1");
        }
        assertThatThrownBy(() -> KvBudget.parse(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KvBudget.tokens(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0")
                .hasMessageContaining(">= 1");
        assertThatThrownBy(() -> KvBudget.tokens(-3)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-3");
        assertThatThrownBy(() -> KvBudget.fraction(0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("(0, 1]");
        assertThatThrownBy(() -> KvBudget.fraction(1.01)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1.01");
        assertThatThrownBy(() -> KvBudget.fraction(Double.NaN)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NaN");
        assertThatThrownBy(() -> KvBudget.fraction(Double.POSITIVE_INFINITY)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void kindSpecificAccessorsRefuseTheOtherKind() {
        assertThatThrownBy(() -> KvBudget.tokens(5).fraction()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> KvBudget.fraction(0.5).tokens()).isInstanceOf(IllegalStateException.class);
        assertThat(KvBudget.tokens(1)).isNotEqualTo(KvBudget.fraction(1));
        assertThat(KvBudget.fraction(0.25).hashCode()).isEqualTo(KvBudget.parse("25%").hashCode());
    }
}

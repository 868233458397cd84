package io.tokenflow.speculative;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SpeculationTest {

    @Test
    void parse() {
        assertThat(Speculation.parse("none")).isEqualTo(Speculation.NONE);
        assertThat(Speculation.parse("ngram")).isEqualTo(Speculation.NGRAM);
        assertThat(Speculation.parse(" Lookahead ")).isEqualTo(Speculation.LOOKAHEAD);
        assertThat(Speculation.parse("RECYCLING")).isEqualTo(Speculation.RECYCLING);
        assertThat(Speculation.parse("auto")).isEqualTo(Speculation.AUTO);
        for (Speculation s : Speculation.values()) assertThat(Speculation.parse(s.cliName())).isEqualTo(s);
        assertThat(Speculation.AUTO.toString()).isEqualTo("auto");
    }

    @Test
    void parseErrors() {
        assertThatThrownBy(() -> Speculation.parse("eagle")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown speculation 'eagle': expected one of none|ngram|lookahead|recycling|auto");
        assertThatThrownBy(() -> Speculation.parse("")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("''");
        assertThatThrownBy(() -> Speculation.parse(null)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("null");
        assertThatThrownBy(() -> Speculation.parse("n-gram")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void drafters() {
        assertThat(Speculation.NGRAM.newDrafter(100)).isInstanceOf(NgramDrafter.class);
        assertThat(Speculation.LOOKAHEAD.newDrafter(100)).isInstanceOf(LookaheadDrafter.class);
        assertThat(Speculation.RECYCLING.newDrafter(100)).isInstanceOf(TokenRecyclingDrafter.class);
        Drafter auto = Speculation.AUTO.newDrafter(100);
        assertThat(auto).isInstanceOf(AutoDrafter.class);
        assertThat(((AutoDrafter) auto).drafters()).extracting(Drafter::name).containsExactly("ngram", "lookahead", "recycling");
        assertThatThrownBy(() -> Speculation.NONE.newDrafter(100)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> Speculation.NGRAM.newDrafter(0)).hasMessageContaining("vocabSize");
    }
}

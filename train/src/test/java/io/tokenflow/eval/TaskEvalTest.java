package io.tokenflow.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.tokenflow.GenerationOptions;
import io.tokenflow.SessionOptions;
import org.junit.jupiter.api.Test;

class TaskEvalTest {
    @Test
    void wilsonIntervalMatchesKnownValues() {
        // Reference values of the 95% Wilson score interval.
        double[] a = TaskEval.wilson(8, 10);
        assertThat(a[0]).isCloseTo(0.4902, within(1e-4));
        assertThat(a[1]).isCloseTo(0.9433, within(1e-4));
        double[] zero = TaskEval.wilson(0, 20);
        assertThat(zero[0]).isZero();
        assertThat(zero[1]).isCloseTo(0.1611, within(1e-4));
        double[] all = TaskEval.wilson(50, 50);
        assertThat(all[1]).isEqualTo(1.0);
        assertThat(all[0]).isCloseTo(0.9287, within(1e-4));
        assertThatThrownBy(() -> TaskEval.wilson(3, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TaskEval.wilson(0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void answersMatchByPrefixIgnoringSurroundingWhitespace() {
        assertThat(TaskEval.correct(" 48213. Remember", " 48213")).isTrue();
        assertThat(TaskEval.correct("48213", " 48213")).isTrue();
        assertThat(TaskEval.correct(" 4821", " 48213")).isFalse();
        assertThat(TaskEval.correct(" 48212", " 48213")).isFalse();
        assertThat(TaskEval.correct("anything", "  ")).isFalse();
    }

    @Test
    void plansAreValidated() {
        SessionOptions so = SessionOptions.defaults();
        GenerationOptions g = GenerationOptions.builder().build();
        assertThat(TaskEval.TASKS).allSatisfy(t -> assertThat(TaskEval.generator(t).family()).isEqualTo(t));
        assertThatThrownBy(() -> new TaskEval.Plan("bogus", new int[] {64}, 1, 1, so, g))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("passkey");
        assertThatThrownBy(() -> new TaskEval.Plan("passkey", new int[0], 1, 1, so, g)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TaskEval.Plan("passkey", new int[] {8}, 1, 1, so, g)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TaskEval.Plan("passkey", new int[] {64}, 0, 1, so, g)).isInstanceOf(IllegalArgumentException.class);
        int[] lengths = {64, 128};
        TaskEval.Plan p = new TaskEval.Plan("copy", lengths, 3, 7, so, g);
        lengths[0] = 1;
        assertThat(p.lengths()).containsExactly(64, 128);
    }
}

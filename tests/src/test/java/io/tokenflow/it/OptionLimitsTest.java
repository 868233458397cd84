package io.tokenflow.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.TokenListener;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Limits that depend on the model and the context, checked before llama.cpp sees the values. */
class OptionLimitsTest {
    static Model model;

    @BeforeAll
    static void load() { model = Model.load(ItEnv.stories()); }

    @AfterAll
    static void close() { if (model != null) model.close(); }

    @Test
    void moreSequencesThanContextIsRefusedNotAnAbort() {
        // llama.cpp asserts on n_outputs_max when n_seq_max exceeds the context
        assertThatThrownBy(() -> model.newSession(ItEnv.sessionOptions(64).sequences(200).build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sequences");
        try (Session s = model.newSession(ItEnv.sessionOptions(64).sequences(8).build())) {
            assertThat(s.generate("Once upon a time", GenerationOptions.greedy(2)).tokens()).hasSize(2);
        }
    }

    @Test
    void repeatWindowLongerThanTheContextIsRefused() {
        try (Session s = model.newSession(ItEnv.sessionOptions(128).build())) {
            GenerationOptions o = GenerationOptions.builder().maxTokens(4).repeatPenalty(1.3f).repeatLastN(Integer.MAX_VALUE).build();
            assertThatThrownBy(() -> s.generate("Once upon a time", o)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("repeatLastN");
        }
    }

    @Test
    void repeatLastNMinusOneIsTheWholeContext() {
        int n = 48;
        try (Session s = model.newSession(ItEnv.sessionOptions(128).build())) {
            GenerationResult whole = s.generate("Once upon a time", penalty(-1, n), TokenListener.NONE);
            GenerationResult context = s.generate("Once upon a time", penalty(s.contextSize(), n), TokenListener.NONE);
            GenerationResult off = s.generate("Once upon a time", penalty(0, n), TokenListener.NONE);
            assertThat(whole.tokens()).as("-1 = a window of the whole context").containsExactly(context.tokens());
            assertThat(whole.tokens()).as("-1 is not 'no penalty'").isNotEqualTo(off.tokens());
        }
    }

    private static GenerationOptions penalty(int lastN, int n) {
        return GenerationOptions.builder().maxTokens(n).temperature(0).repeatPenalty(2.0f).repeatLastN(lastN).ignoreEos(true).build();
    }
}

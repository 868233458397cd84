package io.tokenflow.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.Model;
import io.tokenflow.Session;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Seeded sampling is reproducible across sessions, seeds matter, and the repetition penalty takes effect. */
class SamplingTest {
    static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(ItEnv.stories());
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    static GenerationOptions sampled(long seed) {
        return GenerationOptions.builder().maxTokens(48).temperature(0.8f).topK(40).topP(0.9f).seed(seed).ignoreEos(true)
                .build();
    }

    static GenerationResult generateFresh(String prompt, GenerationOptions o) {
        try (Session s = model.newSession(ItEnv.sessionOptions(256).build())) {
            return s.generate(prompt, o);
        }
    }

    @Test
    void sameSeedGivesIdenticalTokensAcrossSessions() {
        GenerationResult a = generateFresh("Once upon a time", sampled(1234));
        GenerationResult b = generateFresh("Once upon a time", sampled(1234));
        assertThat(a.tokens()).hasSize(48);
        assertThat(b.tokens()).containsExactly(a.tokens());
        assertThat(b.text()).isEqualTo(a.text());
    }

    @Test
    void sameSeedIsReproducibleOnOneSessionToo() {
        try (Session s = model.newSession(ItEnv.sessionOptions(256).build())) {
            GenerationResult a = s.generate("The little dog", sampled(99));
            GenerationResult b = s.generate("The little dog", sampled(99)); // prefix cached this time
            assertThat(b.stats().cachedPromptTokens()).isPositive();
            assertThat(b.tokens()).containsExactly(a.tokens());
        }
    }

    @Test
    void differentSeedsGiveDifferentOutputs() {
        GenerationResult base = generateFresh("Once upon a time", sampled(0));
        List<String> others = new ArrayList<>();
        int differing = 0;
        for (long seed = 1; seed <= 4; seed++) {
            GenerationResult r = generateFresh("Once upon a time", sampled(seed));
            others.add(r.text());
            if (!Arrays.equals(r.tokens(), base.tokens())) differing++;
        }
        assertThat(differing).as("seeds 1..4 vs seed 0 (%s) gave %s", base.text(), others).isPositive();
    }

    @Test
    void greedyIgnoresTheSeed() {
        GenerationOptions g = GenerationOptions.builder().maxTokens(24).seed(1).build();
        GenerationResult a = generateFresh("One day, a cat", g);
        GenerationResult b = generateFresh("One day, a cat", g.toBuilder().seed(777).build());
        assertThat(b.tokens()).containsExactly(a.tokens());
    }

    @Test
    void repetitionPenaltyChangesGreedyOutputOnARepetitivePrompt() {
        String prompt = "The cat and the cat and the cat and the cat and the cat and the cat and the cat and the";
        GenerationOptions plain = GenerationOptions.builder().maxTokens(32).ignoreEos(true).build();
        GenerationResult a = generateFresh(prompt, plain);
        GenerationResult b = generateFresh(prompt, plain.toBuilder().repeatPenalty(1.5f).repeatLastN(64).build());
        assertThat(b.tokens()).as("without penalty: %s%nwith penalty 1.5: %s", a.text(), b.text())
                .isNotEqualTo(a.tokens());
        // the penalty discourages the repeated words: fewer " cat" continuations than without it
        assertThat(count(b.text(), "cat")).as("with penalty: %s", b.text()).isLessThanOrEqualTo(count(a.text(), "cat"));
    }

    static int count(String s, String word) {
        int n = 0;
        for (int i = s.indexOf(word); i >= 0; i = s.indexOf(word, i + 1)) n++;
        return n;
    }
}

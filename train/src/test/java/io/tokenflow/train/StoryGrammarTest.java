package io.tokenflow.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class StoryGrammarTest {
    static StoryGrammar grammar;

    @BeforeAll
    static void build() {
        grammar = StoryGrammar.fromTraining(1, 3000);
    }

    @Test
    void heldOutStoriesAreAllValid() {
        StoryGenerator gen = new StoryGenerator();
        int sentences = 0;
        for (int i = 0; i < 200; i++) {
            String text = gen.sample(1, Split.HELD_OUT, i, 0, LengthMeasure.CHARS).text();
            StoryGrammar.Score s = grammar.score(text);
            assertThat(s.invalid()).as(text).isEmpty();
            sentences += s.sentences();
        }
        assertThat(sentences).isGreaterThan(800);
    }

    @Test
    void slotsFilledWithOtherWordsOfTheSameListStayValid() {
        // Names, colours and objects not necessarily seen together in training.
        assertThat(grammar.score("Once upon a time, there was a brave girl named Zoe. She found a purple drum in the tall grass.").fraction())
                .isEqualTo(1.0);
    }

    @Test
    void brokenSentencesAreCaught() {
        StoryGrammar.Score s = grammar.score(
                "Once upon a time, there was a little boy named Hugo had rained. He found a long stick to the shipot came to see what he had found. "
                        + "Max went to the park. The sky is teh.");
        // "Max went to the park." alone is not a sentence of the grammar either ("One sunny day, Max went to the park." is).
        assertThat(s.sentences()).isEqualTo(4);
        assertThat(s.valid()).isZero();
        assertThat(s.invalid()).hasSize(4);
    }

    @Test
    void dialogueIsOneSentenceAndAnUnfinishedTailIsNotJudged() {
        StoryGrammar.Score s = grammar.score("\"Look at this ball!\" said Lily. \"Can we share it?\" asked Spot. Then the ball fell in");
        assertThat(s.sentences()).isEqualTo(2);
        assertThat(s.valid()).isEqualTo(2);
    }

    @Test
    void wholeWordsOnly() {
        // "Tom" inside "Tomato" is no name; "red" inside "bored" is no colour.
        assertThat(grammar.skeleton("Tomato was bored.")).isEqualTo("Tomato was bored.");
        assertThat(grammar.skeleton("Tom found a red box.")).isEqualTo("<NAME> found a <COLOR> <OBJECT>.");
    }

    @Test
    void badArguments() {
        assertThatThrownBy(() -> StoryGrammar.fromTraining(1, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThat(grammar.score("").sentences()).isZero();
    }
}

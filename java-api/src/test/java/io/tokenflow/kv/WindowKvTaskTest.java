package io.tokenflow.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class WindowKvTaskTest {

    private static final String FILLER = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again. ".repeat(40);

    @Test
    void scoringAndWindowPerTask() {
        assertThat(WindowKvTask.QA.maxScoring()).isTrue();
        assertThat(WindowKvTask.QA.observationWindow()).isEqualTo(32);
        assertThat(WindowKvTask.OTHER.maxScoring()).isFalse();
        assertThat(WindowKvTask.OTHER.observationWindow()).isEqualTo(16);
        assertThatThrownBy(WindowKvTask.AUTO::maxScoring).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(WindowKvTask.AUTO::observationWindow).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void parse() {
        assertThat(WindowKvTask.parse("QA")).isSameAs(WindowKvTask.QA);
        assertThat(WindowKvTask.parse(" other")).isSameAs(WindowKvTask.OTHER);
        assertThat(WindowKvTask.parse("auto")).isSameAs(WindowKvTask.AUTO);
        assertThatThrownBy(() -> WindowKvTask.parse("summary")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("auto|qa|other");
    }

    @Test
    void questionsAreQa() {
        assertThat(WindowKvTask.classify(FILLER + "\nWhat is the color of the sky?")).isSameAs(WindowKvTask.QA);
        assertThat(WindowKvTask.classify(FILLER + "Question: who wrote the report\nAnswer:")).isSameAs(WindowKvTask.QA);
        assertThat(WindowKvTask.classify(FILLER + "\nwhere did they go")).isSameAs(WindowKvTask.QA);
        assertThat(WindowKvTask.classify(FILLER + " Find the name of the city mentioned above.")).isSameAs(WindowKvTask.QA);
        assertThat(WindowKvTask.classify(FILLER + "\nRetrieve the number hidden in the text.")).isSameAs(WindowKvTask.QA);
        assertThat(WindowKvTask.classify(FILLER + "\nWhat's the pass key")).isSameAs(WindowKvTask.QA);
        assertThat(WindowKvTask.classify(FILLER + "Remember it. The passkey is")).isSameAs(WindowKvTask.QA);
        assertThat(WindowKvTask.classify(FILLER + "Key: \"a1b2\"\nThe value associated with the specified key is:")).isSameAs(WindowKvTask.QA);
        assertThat(WindowKvTask.classify(FILLER + "Give the value of x.")).isSameAs(WindowKvTask.QA);
        assertThat(WindowKvTask.classify("how")).isSameAs(WindowKvTask.QA); // a whole short prompt starts a line
    }

    @Test
    void instructionsAreOther() {
        assertThat(WindowKvTask.classify(FILLER + "\nNow, write a one-page summary of the report.\n\nSummary:")).isSameAs(WindowKvTask.OTHER);
        assertThat(WindowKvTask.classify(FILLER + "\nTranslate the text above into French.")).isSameAs(WindowKvTask.OTHER);
        assertThat(WindowKvTask.classify("def f(x):\n    return x + 1\n")).isSameAs(WindowKvTask.OTHER);
        assertThat(WindowKvTask.classify("")).isSameAs(WindowKvTask.OTHER);
        assertThat(WindowKvTask.classify(null)).isSameAs(WindowKvTask.OTHER);
        // Words merely containing the keywords don't count; nor does "showcase" (how) or "monkey" (key).
        assertThat(WindowKvTask.classify(FILLER + "\nA monkey's showcase, keyboards and somewhere else.")).isSameAs(WindowKvTask.OTHER);
    }

    @Test
    void onlyTheTailCounts() {
        String questionFirst = "What is the capital of France? " + FILLER + "\nSummarize the text.";
        assertThat(WindowKvTask.classify(questionFirst)).isSameAs(WindowKvTask.OTHER);
        // A tail cut in the middle of a word is not a line start.
        String tailStartsAtHow = "abc" + "how " + "y".repeat(WindowKvTask.CLASSIFY_TAIL_CHARS - 4);
        assertThat(WindowKvTask.classify(tailStartsAtHow)).isSameAs(WindowKvTask.OTHER);
    }

    @Test
    void resolveKeepsExplicitTasks() {
        String q = "Who is it?";
        assertThat(WindowKvTask.AUTO.resolve(q)).isSameAs(WindowKvTask.QA);
        assertThat(WindowKvTask.OTHER.resolve(q)).isSameAs(WindowKvTask.OTHER);
        assertThat(WindowKvTask.QA.resolve("Summarize.")).isSameAs(WindowKvTask.QA);
    }
}

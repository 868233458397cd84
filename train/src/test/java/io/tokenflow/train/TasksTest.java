package io.tokenflow.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class TasksTest {
    static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) n++;
        return n;
    }

    @Test
    void passkeyIsHiddenOnceAndAskedAtTheEnd() {
        PasskeyTask task = new PasskeyTask();
        List<Double> depths = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            TaskSample s = task.sample(1, Split.TRAIN, i, 300 + 20 * i);
            String key = s.answer().substring(1);
            assertThat(s.answer()).matches(" [1-9][0-9]{4}");
            assertThat(s.needles()).containsExactly(PasskeyTask.needle(Integer.parseInt(key)));
            String needle = s.needles().get(0);
            assertThat(count(s.prompt(), needle)).isEqualTo(1);
            assertThat(count(s.prompt(), key)).as("the key only inside the needle line").isEqualTo(2);
            assertThat(s.prompt().replace(needle, "")).doesNotContainPattern("[0-9]");
            assertThat(s.prompt()).startsWith(PasskeyTask.INTRO).endsWith("\n" + PasskeyTask.QUESTION);
            int body = PasskeyTask.INTRO.length();
            depths.add((double) (s.prompt().indexOf(needle) - body) / (s.prompt().length() - body));
        }
        assertThat(depths.stream().filter(d -> d < 0.2).count()).isGreaterThan(20);
        assertThat(depths.stream().filter(d -> d > 0.7).count()).isGreaterThan(20);
    }

    @Test
    void lengthsFollowTheTarget() {
        List<TaskGenerator> tasks = List.of(new PasskeyTask(), new KvRecallTask(), new MultiNeedleTask(), new CopyTask());
        for (TaskGenerator t : tasks) {
            for (int target : new int[] {1000, 4000, 16000}) {
                for (int i = 0; i < 10; i++) {
                    int len = t.sample(2, Split.HELD_OUT, i, target).text().length();
                    assertThat(len).as("%s at %d", t.family(), target).isBetween(target * 9 / 10, target * 11 / 10 + 150);
                }
            }
        }
    }

    @Test
    void tokenLengthsFollowTheTarget() {
        BpeVocabulary v = new BpeTrainer(600).train(Corpus.standard(1, 2000).texts(300));
        LengthMeasure tokens = LengthMeasure.tokens(v);
        for (TaskGenerator t : List.of(new PasskeyTask(), new KvRecallTask(), new MultiNeedleTask(), new CopyTask())) {
            for (int i = 0; i < 5; i++) {
                int n = v.encode(t.sample(4, Split.TRAIN, i, 1500, tokens).text()).length;
                assertThat(n).as(t.family()).isBetween(1350, 1700);
            }
        }
    }

    @Test
    void kvRecallAsksForOneOfItsFacts() {
        Pattern sentence = Pattern.compile("The code of ([A-Za-z ]+) is ([0-9]+)\\.");
        Pattern line = Pattern.compile("([A-Za-z ]+): ([0-9]+)");
        for (int i = 0; i < 200; i++) {
            TaskSample s = new KvRecallTask().sample(3, Split.TRAIN, i, 200 + 30 * i);
            assertThat(s.needles()).hasSize(8);
            List<String> values = new ArrayList<>();
            String asked = null;
            for (String fact : s.needles()) {
                assertThat(count(s.prompt(), fact + "\n")).isEqualTo(1);
                Matcher m = sentence.matcher(fact);
                Matcher l = line.matcher(fact);
                assertThat(m.matches() || l.matches()).as(fact).isTrue();
                String name = m.matches() ? m.group(1) : l.group(1);
                String value = m.matches() ? m.group(2) : l.group(2);
                values.add(value);
                if (s.prompt().endsWith("code of " + name + " is") || s.prompt().endsWith("\n" + name + ":")) {
                    asked = value;
                }
            }
            assertThat(values).doesNotHaveDuplicates();
            assertThat(asked).as(s.prompt()).isNotNull();
            assertThat(s.answer()).isEqualTo(" " + asked);
        }
        assertThat(new KvRecallTask(40).sample(1, Split.TRAIN, 0, 100).needles()).hasSize(40);
    }

    @Test
    void multiNeedleAnswersOneOrAllInOrder() {
        Pattern needle = Pattern.compile("The pass key of the ([a-z ]+) is ([0-9]+)\\.");
        for (MultiNeedleTask.Mode mode : MultiNeedleTask.Mode.values()) {
            for (int i = 0; i < 80; i++) {
                TaskSample s = new MultiNeedleTask(4, mode).sample(5, Split.TRAIN, i, 500 + 40 * i);
                assertThat(s.needles()).hasSize(4);
                List<String> keys = new ArrayList<>();
                String askedKey = null;
                int last = -1;
                for (String n : s.needles()) {
                    Matcher m = needle.matcher(n);
                    assertThat(m.matches()).isTrue();
                    assertThat(count(s.prompt(), n)).isEqualTo(1);
                    assertThat(s.prompt().indexOf(n)).as("in order").isGreaterThan(last);
                    last = s.prompt().indexOf(n);
                    keys.add(m.group(2));
                    if (s.prompt().endsWith("pass key of the " + m.group(1) + " is")) askedKey = m.group(2);
                }
                if (s.prompt().endsWith(MultiNeedleTask.ALL_QUESTION)) {
                    assertThat(mode).isNotEqualTo(MultiNeedleTask.Mode.ONE);
                    assertThat(s.answer()).isEqualTo(" " + String.join(", ", keys));
                } else {
                    assertThat(mode).isNotEqualTo(MultiNeedleTask.Mode.ALL);
                    assertThat(s.answer()).isEqualTo(" " + askedKey);
                }
            }
        }
    }

    @Test
    void copyAnswerRepeatsTheBlock() {
        for (int i = 0; i < 150; i++) {
            TaskSample s = new CopyTask().sample(6, Split.TRAIN, i, 100 + 20 * i);
            assertThat(s.answer()).startsWith("\n").contains("\n");
            String header = s.prompt().substring(0, s.prompt().indexOf('\n'));
            assertThat(s.prompt()).isEqualTo(header + s.answer() + s.prompt().substring(header.length() + s.answer().length()));
            assertThat(s.prompt().substring(header.length() + s.answer().length())).matches("\n[^\n]*again:");
        }
    }

    @Test
    void repeatAnswerIsTheSequenceAgain() {
        for (int i = 0; i < 150; i++) {
            TaskSample s = new RepeatTask().sample(6, i % 2 == 0 ? Split.TRAIN : Split.HELD_OUT, i, 100 + 20 * i);
            assertThat(s.prompt()).isEqualTo(RepeatTask.HEADER + s.answer() + RepeatTask.CUE);
            assertThat(s.answer()).startsWith(" ").doesNotContain("\n");
            assertThat(s.text().length()).isBetween(100 + 20 * i - 60, 100 + 20 * i + 80);
            assertThat(Split.ofText(s.text())).isEqualTo(s.split());
        }
    }

    @Test
    void storiesAreShortAndReadable() {
        StoryGenerator g = new StoryGenerator();
        int withDialogue = 0;
        for (int i = 0; i < 300; i++) {
            TaskSample s = g.sample(7, Split.TRAIN, i, 0);
            String story = s.text();
            assertThat(s.prompt()).endsWith(".");
            assertThat(s.answer()).startsWith(" ").endsWith(".");
            int sentences = story.split("(?<=[.!?]\"?) (?=[A-Z\"])").length;
            assertThat(sentences).as(story).isBetween(3, 10);
            assertThat(story).doesNotContainPattern("[0-9]").doesNotContain("  ");
            if (story.contains("\"")) withDialogue++;
            assertThat(g.sample(7, Split.TRAIN, i, 0)).isEqualTo(s);
        }
        assertThat(withDialogue).isGreaterThan(50);
    }
}

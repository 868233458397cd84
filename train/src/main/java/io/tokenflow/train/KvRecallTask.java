package io.tokenflow.train;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Key-value recall: {@code facts} "name -> code" facts (three-digit codes, distinct), then a question about one of
 * them. Two layouts, drawn per sample:
 * <pre>
 * Remember the code of each person.          Here is a list of names and their codes.
 * The code of Tom is 371.                    Tom: 371
 * The code of Anna is 825.                   Anna: 825
 * What is the code of Anna? The code of      Question: what is the code of Anna?
 * Anna is   -> answer " 825"                 Anna:   -> answer " 825"
 * </pre>
 * Longer targets put filler sentences between the facts.
 */
public final class KvRecallTask extends SplitTask {
    public static final String FAMILY = "kv-recall";
    private final int facts;

    /** Eight facts per sample. */
    public KvRecallTask() {
        this(8);
    }

    public KvRecallTask(int facts) {
        if (facts < 1 || facts > 200) throw new IllegalArgumentException("facts must be in [1, 200]");
        this.facts = facts;
    }

    public int facts() { return facts; }

    @Override
    public String family() { return FAMILY; }

    @Override
    Draw draw(Rng rng, Split split, int targetLength, LengthMeasure measure) {
        boolean sentences = rng.chance(0.5);
        List<String> names = Words.distinctNames(rng, facts);
        Set<Integer> used = new HashSet<>();
        List<String> lines = new ArrayList<>(facts);
        int[] codes = new int[facts];
        for (int i = 0; i < facts; i++) {
            int v;
            do {
                v = split.drawValue(rng, 100, 999);
            } while (!used.add(v));
            codes[i] = v;
            lines.add(sentences ? "The code of " + names.get(i) + " is " + v + "." : names.get(i) + ": " + v);
        }
        int asked = rng.nextInt(facts);
        String header = sentences ? "Remember the code of each person." : "Here is a list of names and their codes.";
        String question = sentences
                ? "What is the code of " + names.get(asked) + "? The code of " + names.get(asked) + " is"
                : "Question: what is the code of " + names.get(asked) + "?\n" + names.get(asked) + ":";
        String answer = " " + codes[asked];
        int fixed = measure.of(header + "\n" + String.join("\n", lines) + "\n" + question + answer);
        // filler paragraphs go into the gaps after facts, each gap drawn uniformly
        List<String> filler = Words.filler(rng, targetLength - fixed, measure);
        List<List<String>> gaps = new ArrayList<>();
        for (int i = 0; i < facts; i++) gaps.add(new ArrayList<>());
        for (String s : filler) gaps.get(rng.nextInt(facts)).add(s);
        StringBuilder prompt = new StringBuilder(header).append('\n');
        for (int i = 0; i < facts; i++) {
            prompt.append(lines.get(i)).append('\n');
            if (!gaps.get(i).isEmpty()) prompt.append(String.join(" ", gaps.get(i))).append('\n');
        }
        prompt.append(question);
        return new Draw(prompt.toString(), answer, lines);
    }
}

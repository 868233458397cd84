package io.tokenflow.train;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Several pass keys, each labelled ("the pass key of the red door is 48213."), scattered at uniformly drawn
 * depths in filler; the question asks for one of them, or for all in the order they appear
 * ("The pass keys are" -> " 48213, 51720, 90431").
 */
public final class MultiNeedleTask extends SplitTask {
    public static final String FAMILY = "multi-needle";
    static final String INTRO = "Several pass keys are hidden inside a lot of irrelevant text. Each belongs to"
            + " a different thing. Find them and remember them.";
    static final String ALL_QUESTION = "What are all the pass keys, in the order they appear? The pass keys are";

    /** Which question a sample asks. */
    public enum Mode { ONE, ALL, MIXED }

    private final int needles;
    private final Mode mode;

    /** Four needles; one asked in 70% of samples, all in the rest. */
    public MultiNeedleTask() {
        this(4, Mode.MIXED);
    }

    public MultiNeedleTask(int needles, Mode mode) {
        if (needles < 2 || needles > 20) throw new IllegalArgumentException("needles must be in [2, 20]");
        this.needles = needles;
        this.mode = java.util.Objects.requireNonNull(mode, "mode");
    }

    @Override
    public String family() { return FAMILY; }

    @Override
    Draw draw(Rng rng, Split split, int targetLength, LengthMeasure measure) {
        List<String> labels = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        while (labels.size() < needles) {
            String label = rng.pick(Words.COLORS) + " " + rng.pick(Words.OBJECTS);
            if (seen.add(label)) labels.add(label);
        }
        Set<Integer> usedKeys = new HashSet<>();
        List<String> lines = new ArrayList<>();
        int[] keys = new int[needles];
        for (int i = 0; i < needles; i++) {
            int k;
            do {
                k = split.drawValue(rng, 10_000, 99_999);
            } while (!usedKeys.add(k));
            keys[i] = k;
            lines.add("The pass key of the " + labels.get(i) + " is " + k + ".");
        }
        boolean all = mode == Mode.ALL || (mode == Mode.MIXED && rng.chance(0.3));
        String question;
        String answer;
        if (all) {
            question = ALL_QUESTION;
            StringBuilder a = new StringBuilder();
            for (int k : keys) a.append(a.length() == 0 ? " " : ", ").append(k);
            answer = a.toString();
        } else {
            int asked = rng.nextInt(needles);
            String label = labels.get(asked);
            question = "What is the pass key of the " + label + "? The pass key of the " + label + " is";
            answer = " " + keys[asked];
        }
        int fixed = measure.of(INTRO + "\n" + String.join(" ", lines) + "\n" + question + answer);
        List<String> filler = Words.filler(rng, targetLength - fixed, measure);
        // sorted depths keep the needles in label order, so "in the order they appear" is the key order
        int[] at = new int[needles];
        for (int i = 0; i < needles; i++) at[i] = rng.nextInt(filler.size() + 1);
        java.util.Arrays.sort(at);
        List<String> parts = new ArrayList<>(filler);
        for (int i = needles - 1; i >= 0; i--) parts.add(at[i], lines.get(i));
        String prompt = INTRO + "\n" + String.join(" ", parts) + "\n" + question;
        return new Draw(prompt, answer, lines);
    }
}

package io.tokenflow.train;

import java.util.ArrayList;
import java.util.List;

/**
 * Pass key retrieval: a five-digit key hidden once in filler text at a uniformly drawn depth, asked for at the end.
 * <pre>
 * There is a pass key hidden inside a lot of irrelevant text. Find it and remember it. ...
 * The grass is green. ... The pass key is 48213. Remember it. 48213 is the pass key. ... The sky is blue.
 * What is the pass key? The pass key is   -> answer " 48213"
 * </pre>
 */
public final class PasskeyTask extends SplitTask {
    public static final String FAMILY = "passkey";
    static final String INTRO = "There is a pass key hidden inside a lot of irrelevant text. Find it and remember it."
            + " I will ask you about the pass key later.";
    static final String QUESTION = "What is the pass key? The pass key is";

    @Override
    public String family() { return FAMILY; }

    static String needle(int key) {
        return "The pass key is " + key + ". Remember it. " + key + " is the pass key.";
    }

    @Override
    Draw draw(Rng rng, Split split, int targetLength, LengthMeasure measure) {
        int key = split.drawValue(rng, 10_000, 99_999);
        String needle = needle(key);
        String answer = " " + key;
        int fixed = measure.of(INTRO + "\n" + needle + " " + "\n" + QUESTION + answer);
        List<String> filler = Words.filler(rng, targetLength - fixed, measure);
        int at = (int) Math.round(rng.nextDouble() * filler.size()); // depth uniform in [0, 1]
        List<String> parts = new ArrayList<>(filler.size() + 1);
        parts.addAll(filler);
        parts.add(at, needle);
        String prompt = INTRO + "\n" + String.join(" ", parts) + "\n" + QUESTION;
        return new Draw(prompt, answer, List.of(needle));
    }
}

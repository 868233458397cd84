package io.tokenflow.train;

import java.util.List;

/**
 * Dense copy signal for training (induction): a random sequence of words and numbers, a cue, and the same sequence
 * again. The first copy is unpredictable, the second is predictable only by copying from the context, so most of
 * the learnable loss of this family is on copy positions.
 * <pre>
 * Repeat after me: lemon 482 window red kite 71 ...
 * Again: lemon 482 window red kite 71 ...   (the answer is " lemon 482 window ...")
 * </pre>
 */
public final class RepeatTask extends SplitTask {
    public static final String FAMILY = "repeat";
    static final String HEADER = "Repeat after me:";
    static final String CUE = "\nAgain:";

    @Override
    public String family() { return FAMILY; }

    @Override
    Draw draw(Rng rng, Split split, int targetLength, LengthMeasure measure) {
        int budget = Math.max(4, (targetLength - measure.of(HEADER + CUE)) / 2);
        StringBuilder seq = new StringBuilder();
        int used = 0;
        int items = 0;
        while (items < 3 || used < budget) {
            String item = switch (rng.nextInt(4)) {
                case 0 -> rng.pick(Words.NOUNS);
                case 1 -> rng.pick(Words.COLORS) + " " + rng.pick(Words.OBJECTS);
                case 2 -> rng.pick(Words.FRUITS);
                default -> Integer.toString(split.drawValue(rng, 1, 999));
            };
            seq.append(' ').append(item);
            used += measure.of(" " + item);
            items++;
        }
        return new Draw(HEADER + seq + CUE, seq.toString(), List.of());
    }
}

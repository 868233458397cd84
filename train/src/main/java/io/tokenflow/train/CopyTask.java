package io.tokenflow.train;

import java.util.ArrayList;
import java.util.List;

/**
 * Repetition: a block of text, a cue, and the same block again as the answer; the text speculative decoding
 * (copying from the context) should do well on. Three kinds of block, drawn per sample: lines of random words,
 * a numbered list, and code-like function templates.
 * <pre>
 * Here is a list.                      def get_lily(x):
 * 1. a red kite                            return x + 42
 * 2. an orange cup                     ...
 * The same list again:                 # the same code again:
 *   -> answer "\n1. a red kite\n..."     -> answer "\ndef get_lily(x):\n..."
 * </pre>
 */
public final class CopyTask extends SplitTask {
    public static final String FAMILY = "copy";

    @Override
    public String family() { return FAMILY; }

    @Override
    Draw draw(Rng rng, Split split, int targetLength, LengthMeasure measure) {
        int kind = rng.nextInt(3);
        String header = switch (kind) {
            case 0 -> "Read these lines, then write them again.";
            case 1 -> "Here is a list.";
            default -> "# some small functions";
        };
        String cue = switch (kind) {
            case 0 -> "Now the same lines again:";
            case 1 -> "The same list again:";
            default -> "# the same code again:";
        };
        // the block appears twice; grow it until both copies fill the target, at least two items
        int budget = (targetLength - measure.of(header + "\n\n" + cue)) / 2;
        List<String> items = new ArrayList<>();
        int used = 0;
        while (items.size() < 2 || used < budget) {
            String item = switch (kind) {
                case 0 -> wordLine(rng);
                case 1 -> (items.size() + 1) + ". " + listItem(rng);
                default -> function(rng);
            };
            items.add(item);
            used += measure.of("\n" + item);
        }
        String block = "\n" + String.join("\n", items);
        return new Draw(header + block + "\n" + cue, block, List.of());
    }

    private static String wordLine(Rng rng) {
        int n = rng.between(3, 7);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) b.append(' ');
            b.append(rng.pick(Words.NOUNS));
        }
        return b.toString();
    }

    private static String listItem(Rng rng) {
        String thing = rng.chance(0.5) ? rng.pick(Words.OBJECTS) : rng.pick(Words.FRUITS);
        String color = rng.pick(Words.COLORS);
        return switch (rng.nextInt(3)) {
            case 0 -> Words.article(color) + " " + color + " " + thing;
            case 1 -> "buy " + rng.between(2, 9) + " " + rng.pick(Words.FRUITS) + "s";
            default -> "find the " + color + " " + thing;
        };
    }

    private static String function(Rng rng) {
        String verb = rng.pick(Words.VERBS);
        String noun = rng.pick(Words.NOUNS);
        return switch (rng.nextInt(3)) {
            case 0 -> "def " + verb + "_" + noun + "(x):\n    return x + " + rng.between(1, 99);
            case 1 -> "def " + verb + "_" + noun + "(items):\n    for item in items:\n        print(item, \""
                    + noun + "\")";
            default -> "int " + verb + Words.capitalize(noun) + "(int a, int b) {\n    return a * " + rng.between(2, 9)
                    + " + b;\n}";
        };
    }
}

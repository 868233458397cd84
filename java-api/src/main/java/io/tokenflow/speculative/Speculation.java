package io.tokenflow.speculative;

import java.util.Locale;

/** The speculative decoding policy, as the CLI names it: {@value #CHOICES}. */
public enum Speculation {
    /** Plain decoding. */
    NONE("none"),
    /** Prompt lookup ({@link NgramDrafter}). */
    NGRAM("ngram"),
    /** Frequency trie over prompt and outputs ({@link LookaheadDrafter}). */
    LOOKAHEAD("lookahead"),
    /** Token Recycling ({@link TokenRecyclingDrafter}). */
    RECYCLING("recycling"),
    /** N-gram, Lookahead and Token Recycling merged ({@link AutoDrafter}). */
    AUTO("auto");

    public static final String CHOICES = "none|ngram|lookahead|recycling|auto";

    private final String cliName;

    Speculation(String cliName) { this.cliName = cliName; }

    public String cliName() { return cliName; }

    /** The policy named {@code text} (case-insensitive, surrounding blanks ignored). */
    public static Speculation parse(String text) {
        if (text == null) throw new IllegalArgumentException("speculation must be one of " + CHOICES + ", got null");
        String t = text.strip().toLowerCase(Locale.ROOT);
        for (Speculation s : values()) if (s.cliName.equals(t)) return s;
        throw new IllegalArgumentException("unknown speculation '" + text + "': expected one of " + CHOICES);
    }

    /** A new drafter for this policy; NONE has none. Recycling needs the model's vocabulary size. */
    Drafter newDrafter(int vocabSize) {
        if (vocabSize <= 0) throw new IllegalArgumentException("vocabSize must be positive, got " + vocabSize);
        return switch (this) {
            case NONE -> throw new IllegalStateException("speculation 'none' has no drafter (decode plainly)");
            case NGRAM -> new NgramDrafter();
            case LOOKAHEAD -> new LookaheadDrafter();
            case RECYCLING -> new TokenRecyclingDrafter(vocabSize);
            case AUTO -> AutoDrafter.standard(vocabSize);
        };
    }

    @Override
    public String toString() { return cliName; }
}

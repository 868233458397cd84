package io.tokenflow.train;

/** How sample lengths are counted: characters, or tokens of a vocabulary. */
@FunctionalInterface
public interface LengthMeasure {
    LengthMeasure CHARS = String::length;

    int of(String text);

    /** Tokens of {@code vocabulary} (no BOS). */
    static LengthMeasure tokens(BpeVocabulary vocabulary) {
        return text -> vocabulary.encode(text).length;
    }
}

package io.tokenflow;

/**
 * The outcome of a generation: the text (without any stop string), the generated token ids, why it stopped,
 * and measurements.
 */
public record GenerationResult(String text, int[] tokens, StopReason stopReason, GenerationStats stats) {
    public GenerationResult {
        tokens = tokens.clone();
    }

    @Override
    public int[] tokens() { return tokens.clone(); }
}

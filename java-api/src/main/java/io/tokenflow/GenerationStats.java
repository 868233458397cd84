package io.tokenflow;

/**
 * Measurements of one generation.
 *
 * @param promptTokens tokens in the prompt
 * @param cachedPromptTokens prompt tokens reused from the KV cache (not decoded again)
 * @param generatedTokens tokens generated
 * @param ttftMillis time from the call to the first generated token
 * @param promptTokensPerSecond prompt tokens decoded per second (the uncached part)
 * @param generationTokensPerSecond generated tokens per second after the first
 * @param totalMillis wall time of the call
 */
public record GenerationStats(int promptTokens, int cachedPromptTokens, int generatedTokens, double ttftMillis,
        double promptTokensPerSecond, double generationTokensPerSecond, double totalMillis) {}

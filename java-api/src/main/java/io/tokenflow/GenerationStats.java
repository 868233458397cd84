package io.tokenflow;

import io.tokenflow.kv.KvStats;
import io.tokenflow.sparse.SparseStats;
import io.tokenflow.speculative.SpeculationStats;
import java.util.Objects;
import java.util.Optional;

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
 * @param speculation speculative decoding figures, when a speculation policy ran
 * @param kv KV-cache figures at the end of the call, when the session compresses its cache
 * @param sparse what query-aware sparse attention read during the call, when the session uses it
 */
public record GenerationStats(int promptTokens, int cachedPromptTokens, int generatedTokens, double ttftMillis,
        double promptTokensPerSecond, double generationTokensPerSecond, double totalMillis,
        Optional<SpeculationStats> speculation, Optional<KvStats> kv, Optional<SparseStats> sparse) {
    public GenerationStats {
        Objects.requireNonNull(speculation, "speculation");
        Objects.requireNonNull(kv, "kv");
        Objects.requireNonNull(sparse, "sparse");
    }
}

package io.tokenflow.batch;

/**
 * A snapshot of a {@link ContinuousBatcher}'s counters since it started.
 *
 * @param slots slots configured
 * @param activeSlots slots serving a request now
 * @param queued requests waiting for a slot
 * @param requestsTotal requests admitted to a slot
 * @param requestsCancelled requests that ended cancelled (by the caller, a shutdown, or while queued)
 * @param promptTokensTotal prompt tokens of admitted requests
 * @param promptTokensReused of those, tokens whose cells a slot already held or the prompt cache restored (not decoded
 *     again)
 * @param generatedTokensTotal tokens generated
 * @param decodeCalls llama.cpp decode calls for generation steps (one per step, any number of slots and prompts)
 * @param decodeRowsTotal rows of those calls (their sum over calls; / decodeCalls = slots busy per step)
 * @param promptSeconds time spent decoding prompts
 * @param generationSeconds time spent in generation steps (decode and sampling)
 * @param kvCellsUsed KV cells the slots hold now (active and cached)
 * @param kvCellsTotal KV cells of the context
 * @param promptCacheRestores requests that started from a state of the host-memory prompt cache
 * @param promptCacheBytes bytes the prompt cache holds now ({@link BatcherOptions#promptCacheBytes()} at most)
 */
public record BatcherStats(int slots, int activeSlots, int queued, long requestsTotal, long requestsCancelled,
        long promptTokensTotal, long promptTokensReused, long generatedTokensTotal, long decodeCalls, long decodeRowsTotal,
        double promptSeconds, double generationSeconds, int kvCellsUsed, int kvCellsTotal,
        long promptCacheRestores, long promptCacheBytes) {}

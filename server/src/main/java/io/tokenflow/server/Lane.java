package io.tokenflow.server;

import java.util.Locale;

/**
 * Where a request runs. BATCH: the continuous batcher's shared context (plain decoding, many requests per step).
 * SOLO: a session of its own on one worker thread, for what needs a context to itself: speculative trees (several
 * sequences per step, cache compaction), KV compression (evicts cells of the one sequence) and sparse attention (a
 * per-context mask hook).
 */
enum Lane {
    BATCH, SOLO;

    String id() { return name().toLowerCase(Locale.ROOT); }
}

package io.tokenflow.internal;

import io.tokenflow.StopReason;

/** Plain decoding, one token per step: sample from the last logits, emit, decode it. */
public final class PlainLoop {
    private PlainLoop() {}

    /**
     * Runs until the emitter says stop, a cancel request, or a full context; the cache then holds every emitted token
     * but the last. {@code firstTokenAt[0]} is set (nanoTime) when the first token is sampled, if it is still 0.
     */
    public static void run(NativeSession session, NativeSampler sampler, Emitter out, long[] firstTokenAt) {
        while (true) {
            if (session.cancelRequested()) { out.end(StopReason.CANCELLED); return; }
            int next = sampler.sample(session);
            if (firstTokenAt[0] == 0) firstTokenAt[0] = System.nanoTime();
            if (!out.emit(next)) return;
            if (session.cellsInUse() >= session.contextSize()) { out.end(StopReason.CONTEXT_FULL); return; }
            if (!session.appendOne(next)) { out.end(StopReason.CANCELLED); return; }
        }
    }
}

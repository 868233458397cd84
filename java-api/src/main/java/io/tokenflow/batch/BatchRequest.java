package io.tokenflow.batch;

import io.tokenflow.GenerationResult;
import java.util.concurrent.CompletableFuture;

/** A request submitted to a {@link ContinuousBatcher}: its result, and a way to cancel it. */
public final class BatchRequest {
    private final long id;
    private final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
    private volatile boolean cancelRequested;
    private final Runnable wake;

    BatchRequest(long id, Runnable wake) {
        this.id = id;
        this.wake = wake;
    }

    /** Unique within its batcher, in submission order. */
    public long id() { return id; }

    /**
     * Completes normally when generation ends, also when it was cancelled ({@link io.tokenflow.StopReason#CANCELLED})
     * or ran out of cache ({@link io.tokenflow.StopReason#CONTEXT_FULL}); exceptionally with the cause when llama.cpp
     * failed or the listener threw.
     */
    public CompletableFuture<GenerationResult> result() { return result; }

    /** Asks the batcher to end this request; its slot is free within one step. Any thread; idempotent. */
    public void cancel() {
        cancelRequested = true;
        wake.run();
    }

    public boolean isDone() { return result.isDone(); }

    boolean cancelRequested() { return cancelRequested; }

    CompletableFuture<GenerationResult> future() { return result; }
}

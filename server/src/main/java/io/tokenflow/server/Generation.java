package io.tokenflow.server;

import io.tokenflow.GenerationResult;
import io.tokenflow.batch.TokenLogprobs;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A request running in a lane, seen from the HTTP thread that answers it. The lane's thread {@link #offer}s tokens
 * (never blocking: the queue is unbounded and each token is small) and completes {@link #result()}; the HTTP thread
 * {@link #poll}s tokens and writes them. Every token is offered before the result completes, so once the result is
 * done a drain of the queue has them all.
 */
final class Generation {
    private final Lane lane;
    private final BlockingQueue<TokenEvent> events = new LinkedBlockingQueue<>();
    private final CompletableFuture<GenerationResult> result = new CompletableFuture<>();
    private final AtomicReference<CancelCause> cause = new AtomicReference<>(CancelCause.NONE);
    private volatile Runnable canceller;

    Generation(Lane lane) {
        this.lane = lane;
    }

    Lane lane() { return lane; }

    /** From the lane's thread: a token. */
    void offer(int token, String text, TokenLogprobs logprobs) {
        events.add(new TokenEvent(token, text, logprobs));
    }

    /** The next token, waiting at most {@code millis}; null when none came. */
    TokenEvent poll(long millis) throws InterruptedException {
        return events.poll(millis, TimeUnit.MILLISECONDS);
    }

    /** The next token without waiting, or null. */
    TokenEvent pollNow() { return events.poll(); }

    CompletableFuture<GenerationResult> result() { return result; }

    /** Connects the lane's own cancel and result; a cancel that came first is applied now. */
    void bind(CompletableFuture<GenerationResult> laneResult, Runnable laneCancel) {
        laneResult.whenComplete((r, e) -> {
            if (e != null) result.completeExceptionally(e);
            else result.complete(r);
        });
        bindCancel(laneCancel);
    }

    /** Connects the lane's cancel (for lanes that complete {@link #result()} themselves). */
    void bindCancel(Runnable laneCancel) {
        canceller = laneCancel;
        if (cause.get() != CancelCause.NONE) laneCancel.run();
    }

    /** Cancels for {@code why}; the first cause wins. The lane frees the slot within one step. */
    void cancel(CancelCause why) {
        cause.compareAndSet(CancelCause.NONE, why);
        Runnable c = canceller;
        if (c != null) c.run();
    }

    CancelCause cause() { return cause.get(); }
}

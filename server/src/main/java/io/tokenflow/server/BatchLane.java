package io.tokenflow.server;

import io.tokenflow.ContextOverflowException;
import io.tokenflow.GenerationOptions;
import io.tokenflow.Model;
import io.tokenflow.batch.BatchRequest;
import io.tokenflow.batch.BatcherOptions;
import io.tokenflow.batch.BatcherStats;
import io.tokenflow.batch.ContinuousBatcher;
import io.tokenflow.batch.QueueFullException;
import java.time.Duration;

/** The batch lane: every plain request shares one {@link ContinuousBatcher} (slots = {@code --parallel}). */
final class BatchLane implements AutoCloseable {
    private final ContinuousBatcher batcher;
    private final int queue;

    BatchLane(Model model, ServerOptions o) {
        this.queue = o.queue();
        this.batcher = ContinuousBatcher.start(model, BatcherOptions.builder().slots(o.parallel()).contextSize(o.contextSize())
                .threads(o.threads()).queueCapacity(o.queue()).promptCacheBytes(o.promptCacheBytes()).build());
    }

    /** Submits; 429 when the queue is full, 503 once shutdown began, 400 for what the batcher refuses. */
    Generation submit(int[] prompt, GenerationOptions options, int topLogprobs) {
        Generation g = new Generation(Lane.BATCH);
        BatchRequest r;
        try {
            r = batcher.submit(prompt, options, topLogprobs, g::offer);
        } catch (QueueFullException e) {
            throw ApiException.queueFull("batch", queue, 1);
        } catch (IllegalStateException e) {
            throw ApiException.unavailable("the server is shutting down", "shutting_down");
        } catch (IllegalArgumentException | ContextOverflowException e) {
            throw ApiException.invalid(null, e.getMessage());
        }
        g.bind(r.result(), r::cancel);
        return g;
    }

    BatcherStats stats() { return batcher.stats(); }

    /** Stops accepting; in-flight requests may finish within {@code grace}. True when all finished in time. */
    boolean shutdown(Duration grace) { return batcher.shutdown(grace); }

    @Override
    public void close() { batcher.close(); }
}

package io.tokenflow.server;

import io.tokenflow.Embedder;
import io.tokenflow.Model;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;

/**
 * What the server serves once the model is loaded: the model, its id, chat formatting, the two lanes and (opened on
 * the first embeddings request, since it is a context of its own) the embedder.
 */
final class ServedModel implements AutoCloseable {
    final Model model;
    final String id;
    final long created = Instant.now().getEpochSecond();
    final ChatFormat chatFormat;
    final Logprobs logprobs;
    final BatchLane batch;
    final SoloLane solo;
    private final ServerOptions options;
    private Embedder embedder; // guarded by this

    ServedModel(Model model, ServerOptions options) {
        this.model = model;
        this.options = options;
        this.id = options.modelId() != null ? options.modelId() : model.info().name();
        this.chatFormat = new ChatFormat(model, options.chatTemplate());
        this.logprobs = new Logprobs(model.tokenizer());
        this.batch = new BatchLane(model, options);
        this.solo = new SoloLane(model, options);
    }

    int vocabularySize() { return model.tokenizer().vocabularySize(); }

    synchronized Embedder embedder() {
        if (embedder == null) {
            int trained = model.info().contextLengthTrained();
            embedder = model.newEmbedder(trained > 0 ? Math.min(trained, options.contextSize()) : options.contextSize(), options.threads());
        }
        return embedder;
    }

    /** Both lanes stop accepting and get the same grace; true when nothing had to be cancelled. */
    boolean shutdown(Duration grace) {
        CompletableFuture<Boolean> b = CompletableFuture.supplyAsync(() -> batch.shutdown(grace));
        boolean s = solo.shutdown(grace);
        return b.join() && s;
    }

    @Override
    public void close() {
        batch.close();
        solo.close();
        synchronized (this) {
            if (embedder != null) embedder.close();
            embedder = null;
        }
    }
}

package io.tokenflow.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import io.tokenflow.Model;
import io.tokenflow.langchain4j.spi.TokenflowStreamingChatModelBuilderFactory;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A LangChain4j {@link StreamingChatModel} that runs a tokenflow model in this process (no HTTP). {@code chat}
 * returns at once; the answer is generated on the model's executor and streamed to the handler: partial responses as
 * text is released, then one {@code onCompleteResponse} (the same {@code ChatResponse} {@link TokenflowChatModel}
 * gives: token usage, finish reason, {@link TokenflowChatResponseMetadata}), or one {@code onError} instead. Every
 * failure, a refused request included (tools, JSON formats, non-text content, bad values), reaches {@code onError};
 * nothing is thrown into the caller's thread. Partial responses carry a {@code StreamingHandle}: cancelling it stops
 * the generation within one token, after which the handler hears nothing more.
 *
 * <p>Threading: requests take turns, first come first served, on one session (see {@link TokenflowChatModel}). By
 * default they run on one daemon thread the model owns; {@link Builder#executor} runs them on yours instead.
 *
 * <p>Close it to stop the running answer (its handler gets {@code onError}), fail the queued ones, and free the
 * session and the model the builder loaded.
 */
public final class TokenflowStreamingChatModel implements StreamingChatModel, AutoCloseable {
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final ChatEngine engine;
    private final List<ChatModelListener> listeners;
    private final Executor executor;
    /** The executor this model created (and shuts down), or null when the user gave one. */
    private final ExecutorService ownExecutor;

    private TokenflowStreamingChatModel(Builder b) {
        this.listeners = b.listeners;
        this.engine = new ChatEngine(b);
        if (b.executor != null) {
            this.executor = b.executor;
            this.ownExecutor = null;
        } else {
            // One worker is enough: answers take turns on the session anyway.
            this.ownExecutor = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "tokenflow-langchain4j-stream-" + THREADS.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            this.executor = ownExecutor;
        }
    }

    /** A new builder, or the one a {@link TokenflowStreamingChatModelBuilderFactory} registered in {@code META-INF/services} gives. */
    public static Builder builder() {
        return BuilderFactories.builder(TokenflowStreamingChatModelBuilderFactory.class, Builder::new);
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        if (handler == null) throw new IllegalArgumentException("handler is null");
        StreamingRun run = new StreamingRun(engine, request, handler);
        try {
            executor.execute(run);
        } catch (RejectedExecutionException e) {
            run.fail(engine.isClosed() ? new IllegalStateException("the chat model is closed", e) : e);
        }
    }

    @Override
    public TokenflowChatRequestParameters defaultRequestParameters() { return engine.defaults(); }

    @Override
    public List<ChatModelListener> listeners() { return listeners; }

    @Override
    public ModelProvider provider() { return ModelProvider.OTHER; }

    /** None of LangChain4j's optional capabilities (JSON schema output): tokenflow generates free text. */
    @Override
    public Set<Capability> supportedCapabilities() { return Set.of(); }

    /** The tokenflow model answering. */
    public Model model() { return engine.model(); }

    /** Tokens the session's cache holds (tests: a cancelled stream stops within a token). */
    int cachedTokens() { return engine.cachedTokens(); }

    @Override
    public void close() {
        if (ownExecutor != null) ownExecutor.shutdown(); // queued runs still start, find the model closed, report onError
        engine.close();
    }

    public static final class Builder extends TokenflowChatModelBuilder<Builder> {
        private Executor executor;

        public Builder() {}

        /** Where answers are generated (e.g. virtual threads); default: one daemon thread owned by the model. */
        public Builder executor(Executor executor) { this.executor = executor; return this; }

        /**
         * Loads the model when asked to, opens the session, checks the template and the default parameters.
         *
         * @throws IllegalArgumentException a bad setting (the message says which)
         * @throws io.tokenflow.TokenflowException the model could not be loaded or the session opened
         */
        public TokenflowStreamingChatModel build() { return new TokenflowStreamingChatModel(this); }
    }
}

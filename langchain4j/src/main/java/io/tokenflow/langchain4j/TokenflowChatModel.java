package io.tokenflow.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.Capability;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import io.tokenflow.Model;
import io.tokenflow.TokenListener;
import io.tokenflow.langchain4j.spi.TokenflowChatModelBuilderFactory;
import java.util.List;
import java.util.Set;

/**
 * A LangChain4j {@link ChatModel} that runs a tokenflow model in this process (no HTTP): messages go through the
 * model's chat template (or {@link Builder#chatTemplate}), are generated in one tokenflow session, and come back as a
 * {@link ChatResponse} with token usage, finish reason ({@code STOP}: end of turn or a stop sequence; {@code LENGTH}:
 * {@code maxOutputTokens} or a full context) and {@link TokenflowChatResponseMetadata}.
 *
 * <p>Text only: tools, JSON response formats and non-text content are refused with LangChain4j's
 * {@code UnsupportedFeatureException} (see {@link TokenflowChatRequestParameters} for what is supported).
 * Thread-safe: calls from many threads take turns, first come first served, on one session whose cache reuses the
 * prefix shared with the previous prompt (the turns of one conversation decode only the new messages). The answer is
 * the generated text as is (not trimmed).
 *
 * <p>Close it to free the session, and the model when the builder loaded it (a model passed in stays open).
 */
public final class TokenflowChatModel implements ChatModel, AutoCloseable {
    private final ChatEngine engine;
    private final List<ChatModelListener> listeners;

    private TokenflowChatModel(Builder b) {
        this.listeners = b.listeners;
        this.engine = new ChatEngine(b);
    }

    /** A new builder, or the one a {@link TokenflowChatModelBuilderFactory} registered in {@code META-INF/services} gives. */
    public static Builder builder() {
        return BuilderFactories.builder(TokenflowChatModelBuilderFactory.class, Builder::new);
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        ChatEngine.Prepared prepared = engine.prepare(request);
        return engine.response(engine.generate(prepared, TokenListener.NONE, () -> false));
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

    /** Frees the session (a running answer fails with IllegalStateException) and a model the builder loaded. */
    @Override
    public void close() { engine.close(); }

    public static final class Builder extends TokenflowChatModelBuilder<Builder> {
        public Builder() {}

        /**
         * Loads the model when asked to, opens the session, checks the template and the default parameters.
         *
         * @throws IllegalArgumentException a bad setting (the message says which)
         * @throws io.tokenflow.TokenflowException the model could not be loaded or the session opened
         */
        public TokenflowChatModel build() { return new TokenflowChatModel(this); }
    }
}

package io.tokenflow.langchain4j;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.listener.EmbeddingModelListener;
import dev.langchain4j.model.embedding.request.EmbeddingInput;
import dev.langchain4j.model.embedding.request.EmbeddingRequest;
import dev.langchain4j.model.embedding.response.EmbeddingResponse;
import dev.langchain4j.model.embedding.response.EmbeddingResponseMetadata;
import dev.langchain4j.model.output.TokenUsage;
import io.tokenflow.Embedder;
import io.tokenflow.Model;
import io.tokenflow.ModelOptions;
import io.tokenflow.langchain4j.spi.TokenflowEmbeddingModelBuilderFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A LangChain4j {@link EmbeddingModel} over tokenflow's {@link Embedder}, in this process: each text becomes the
 * mean of the model's last hidden states over its tokens (BOS included when the model adds one), L2-normalized, so
 * cosine similarity is a dot product; the vectors are the ones {@code Embedder.embed(String)} gives. Token usage
 * counts the tokens embedded. A text longer than the embedder's context fails with
 * {@code ContextOverflowException} (nothing is truncated silently). Text only; LangChain4j refuses per-call
 * parameters (model name, dimensions, input type) with {@code UnsupportedFeatureException}, as this model supports
 * none.
 *
 * <p>LangChain4j's {@code embed}/{@code embedAll} call {@link #doEmbed} and notify the builder's
 * {@link Builder#listeners listeners} around it. Thread-safe: the embedder serializes calls. Close it to free the
 * embedder, and the model when the builder loaded it (a model passed in stays open).
 */
public final class TokenflowEmbeddingModel implements EmbeddingModel, AutoCloseable {
    private final ModelHandle handle;
    private final Embedder embedder;
    private final List<EmbeddingModelListener> listeners;

    private TokenflowEmbeddingModel(Builder b) {
        this.listeners = b.listeners;
        ModelHandle h = ModelHandle.resolve(b.model, b.modelPath, b.modelOptions);
        try {
            this.embedder = b.contextSize == null && b.threads == null ? h.model().newEmbedder()
                    : h.model().newEmbedder(b.contextSize == null ? defaultContextSize(h.model()) : b.contextSize,
                            b.threads == null ? 0 : b.threads);
        } catch (RuntimeException e) {
            h.release();
            throw e;
        }
        this.handle = h;
    }

    /** What {@link Model#newEmbedder()} takes: 512 tokens, or the trained context if shorter. */
    private static int defaultContextSize(Model model) {
        int trained = model.info().contextLengthTrained();
        return trained > 0 ? Math.min(512, trained) : 512;
    }

    /** A new builder, or the one a {@link TokenflowEmbeddingModelBuilderFactory} registered in {@code META-INF/services} gives. */
    public static Builder builder() {
        return BuilderFactories.builder(TokenflowEmbeddingModelBuilderFactory.class, Builder::new);
    }

    @Override
    public EmbeddingResponse doEmbed(EmbeddingRequest request) {
        if (request == null) throw new IllegalArgumentException("embedding request is null");
        List<Embedding> out = new ArrayList<>(request.inputs().size());
        int tokens = 0;
        for (EmbeddingInput input : request.inputs()) {
            // Tokenized here, as Embedder.embed(String) does, so that the usage counts exactly the tokens embedded.
            int[] ids = handle.model().tokenizer().encode(input.text());
            if (ids.length == 0) throw new IllegalArgumentException("text " + out.size() + " has no tokens");
            out.add(Embedding.from(embedder.embed(ids)));
            tokens += ids.length;
        }
        return EmbeddingResponse.builder()
                .embeddings(out)
                .metadata(EmbeddingResponseMetadata.builder().modelName(modelName()).tokenUsage(new TokenUsage(tokens)).build())
                .build();
    }

    /** Width of the vectors (the model's embedding length). */
    @Override
    public int dimension() { return embedder.dimension(); }

    @Override
    public String modelName() { return handle.model().info().name(); }

    @Override
    public List<EmbeddingModelListener> listeners() { return listeners; }

    @Override
    public ModelProvider provider() { return ModelProvider.OTHER; }

    /** The tokenflow model embedding. */
    public Model model() { return handle.model(); }

    @Override
    public void close() {
        embedder.close();
        handle.release();
    }

    public static final class Builder {
        private Model model;
        private Path modelPath;
        private ModelOptions modelOptions;
        private Integer contextSize;
        private Integer threads;
        private List<EmbeddingModelListener> listeners = List.of();

        public Builder() {}

        /** A model you loaded; the embedding model does not close it. */
        public Builder model(Model model) { this.model = model; return this; }

        /** A GGUF file to load at {@code build()}; closed with the embedding model. Neither: the packaged default model. */
        public Builder modelPath(Path modelPath) { this.modelPath = modelPath; return this; }

        /** How {@link #modelPath} or the default model is loaded. */
        public Builder modelOptions(ModelOptions modelOptions) { this.modelOptions = modelOptions; return this; }

        /** Tokens one text may have at most (the embedder's context); unset: 512, or the model's trained context if shorter. */
        public Builder contextSize(Integer contextSize) { this.contextSize = contextSize; return this; }

        /** Threads that compute an embedding; unset: every core. */
        public Builder threads(Integer threads) { this.threads = threads; return this; }

        /** Observers of every embedding request, response and error. */
        public Builder listeners(List<EmbeddingModelListener> listeners) {
            this.listeners = listeners == null ? List.of() : List.copyOf(listeners);
            return this;
        }

        /**
         * Loads the model when asked to and opens the embedder.
         *
         * @throws IllegalArgumentException a bad setting
         * @throws io.tokenflow.TokenflowException the model could not be loaded or the embedder opened
         */
        public TokenflowEmbeddingModel build() { return new TokenflowEmbeddingModel(this); }
    }
}

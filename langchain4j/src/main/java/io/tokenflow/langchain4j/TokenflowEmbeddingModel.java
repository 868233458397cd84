package io.tokenflow.langchain4j;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.output.Response;
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
 * mean of the model's last hidden states over its tokens, L2-normalized (so cosine similarity is a dot product).
 * Token usage counts the tokens embedded. A text longer than the embedder's context fails with
 * {@code ContextOverflowException} (nothing is truncated silently).
 *
 * <p>Thread-safe: the embedder serializes calls. Close it to free the embedder, and the model when the builder
 * loaded it (a model passed in stays open).
 */
public final class TokenflowEmbeddingModel implements EmbeddingModel, AutoCloseable {
    private final ModelHandle handle;
    private final Embedder embedder;

    private TokenflowEmbeddingModel(Builder b) {
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
    public Response<List<Embedding>> embedAll(List<TextSegment> segments) {
        if (segments == null) throw new IllegalArgumentException("text segments are null");
        List<Embedding> out = new ArrayList<>(segments.size());
        int tokens = 0;
        for (TextSegment segment : segments) {
            if (segment == null) throw new IllegalArgumentException("a text segment is null");
            // Tokenized here, as Embedder.embed(String) does, so that the usage counts exactly the tokens embedded.
            int[] ids = handle.model().tokenizer().encode(segment.text());
            if (ids.length == 0) throw new IllegalArgumentException("text segment " + out.size() + " has no tokens");
            out.add(Embedding.from(embedder.embed(ids)));
            tokens += ids.length;
        }
        return Response.from(out, new TokenUsage(tokens));
    }

    /** Width of the vectors (the model's embedding length). */
    @Override
    public int dimension() { return embedder.dimension(); }

    @Override
    public String modelName() { return handle.model().info().name(); }

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

        public TokenflowEmbeddingModel build() { return new TokenflowEmbeddingModel(this); }
    }
}

package io.tokenflow;

import io.tokenflow.internal.NativeSession;

/**
 * Sentence embeddings from a model: a llama.cpp context of its own in embeddings mode decodes a text alone and
 * averages the last layer's (normalized) outputs over its tokens (llama.cpp's mean pooling); the vector returned is
 * then scaled to unit length, so a dot product is the cosine similarity (what OpenAI's embeddings and llama-server's
 * default give). A generative model was not trained for this; the vectors are what the model makes of a text, useful
 * for similarity within one model, not comparable across models.
 *
 * <p>Obtained from {@link Model#newEmbedder()}. Thread-safe: calls are serialized. Closing twice is harmless; use after
 * close throws {@link IllegalStateException}.
 */
public final class Embedder implements AutoCloseable {
    private final Model model;
    private final NativeSession nat;
    private final int dimension;

    Embedder(Model model, NativeSession nat) {
        this.model = model;
        this.nat = nat;
        this.dimension = model.info().embeddingLength();
    }

    /** Length of every vector. */
    public int dimension() { return dimension; }

    /** Tokens a text may have (the batch size: llama.cpp may round the context itself up). */
    public int contextSize() { return nat.batchSize(); }

    /** The embedding of {@code text}, tokenized with the special tokens the model adds (e.g. BOS). */
    public float[] embed(String text) {
        if (text == null) throw new IllegalArgumentException("text is null");
        int[] tokens = model.tokenizer().encode(text);
        if (tokens.length == 0) throw new IllegalArgumentException("text has no tokens");
        return embed(tokens);
    }

    /**
     * The embedding of {@code tokens}.
     *
     * @throws IllegalArgumentException no tokens, or an id outside the vocabulary
     * @throws ContextOverflowException more tokens than {@link #contextSize()}
     */
    public synchronized float[] embed(int[] tokens) {
        if (tokens == null || tokens.length == 0) throw new IllegalArgumentException("no tokens to embed");
        checkOpen();
        model.tokenizer().checkTokens(tokens);
        if (tokens.length > contextSize()) {
            throw new ContextOverflowException("text has " + tokens.length + " tokens but the embedder holds " + contextSize());
        }
        float[] v = nat.embed(tokens.clone(), dimension);
        double norm = 0;
        for (float x : v) norm += (double) x * x;
        norm = Math.sqrt(norm);
        if (norm > 0) {
            for (int i = 0; i < v.length; i++) v[i] = (float) (v[i] / norm);
        }
        return v;
    }

    public boolean isClosed() { return nat.isClosed(); }

    private void checkOpen() {
        if (nat.isClosed()) throw new IllegalStateException("embedder is closed");
    }

    @Override
    public synchronized void close() {
        if (nat.isClosed()) return;
        nat.close();
        model.forgetOwner(this);
    }
}

package io.tokenflow;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** The model's own tokenizer (llama.cpp's). Thread-safe. */
public final class Tokenizer {
    private final Model model;
    private final int vocabularySize;
    private final SpecialTokens special;

    Tokenizer(Model model) {
        this.model = model;
        var h = model.nativeModel();
        this.vocabularySize = h.vocabularySize();
        this.special = new SpecialTokens(h.specialToken(0), h.specialToken(1), h.specialToken(2), h.specialToken(3),
                h.specialToken(4), h.specialToken(5), h.addsBos());
    }

    public int vocabularySize() { return vocabularySize; }

    public SpecialTokens specialTokens() { return special; }

    /** Tokenizes like llama.cpp's tools do by default: BOS added if the model wants it, special text parsed. */
    public int[] encode(String text) {
        return encode(text, true, true);
    }

    /**
     * @param addSpecial add BOS/EOS as the model's metadata asks
     * @param parseSpecial turn special-token text (e.g. "&lt;/s&gt;") into special tokens instead of plain text
     */
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        if (text == null) throw new IllegalArgumentException("text is null");
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return model.nativeModel().tokenize(bytes, addSpecial, parseSpecial);
    }

    /** Text of tokens, special tokens removed/not rendered. */
    public String decode(int[] tokens) {
        return decode(tokens, true, false);
    }

    public String decode(int[] tokens, boolean removeSpecial, boolean renderSpecial) {
        checkTokens(tokens);
        if (tokens.length == 0) return "";
        return new String(model.nativeModel().detokenize(tokens, removeSpecial, renderSpecial), StandardCharsets.UTF_8);
    }

    /** Bytes of one token; may be a partial UTF-8 sequence (concatenate before decoding). */
    public byte[] piece(int token, boolean renderSpecial) {
        checkToken(token);
        return model.nativeModel().piece(token, renderSpecial);
    }

    public byte[] piece(int token) { return piece(token, false); }

    /** Concatenated bytes of the pieces of {@code tokens}. */
    public byte[] bytes(int[] tokens, boolean renderSpecial) {
        checkTokens(tokens);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int t : tokens) out.writeBytes(piece(t, renderSpecial));
        return out.toByteArray();
    }

    public boolean isEndOfGeneration(int token) {
        checkToken(token);
        return model.nativeModel().isEndOfGeneration(token);
    }

    public boolean isControl(int token) {
        checkToken(token);
        return model.nativeModel().isControl(token);
    }

    void checkToken(int token) {
        if (token < 0 || token >= vocabularySize) {
            throw new IllegalArgumentException("token id " + token + " out of range [0, " + vocabularySize + ")");
        }
    }

    void checkTokens(int[] tokens) {
        if (tokens == null) throw new IllegalArgumentException("tokens is null");
        for (int i = 0; i < tokens.length; i++) {
            int t = tokens[i];
            if (t < 0 || t >= vocabularySize) {
                throw new IllegalArgumentException("token id " + t + " at index " + i + " out of range [0, " + vocabularySize + ")");
            }
        }
    }
}

package io.tokenflow;

import io.tokenflow.internal.TokenflowNative;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** The model's own tokenizer (llama.cpp's). Thread-safe. */
public final class Tokenizer {
    private final Model model;
    private final int vocabularySize;
    private final SpecialTokens special;

    Tokenizer(Model model) {
        this.model = model;
        var h = model.handle();
        this.vocabularySize = TokenflowNative.tf_model_n_vocab(h);
        this.special = new SpecialTokens(TokenflowNative.tf_vocab_special(h, 0), TokenflowNative.tf_vocab_special(h, 1),
                TokenflowNative.tf_vocab_special(h, 2), TokenflowNative.tf_vocab_special(h, 3),
                TokenflowNative.tf_vocab_special(h, 4), TokenflowNative.tf_vocab_special(h, 5),
                TokenflowNative.tf_vocab_add_bos(h));
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
        var h = model.handle();
        int[] out = new int[bytes.length + 8];
        int n = TokenflowNative.tf_tokenize(h, bytes, bytes.length, out, out.length, addSpecial, parseSpecial);
        if (n == Integer.MIN_VALUE) throw new NativeException("tokenize failed: " + TokenflowNative.lastError());
        if (n < 0) {
            out = new int[-n];
            n = TokenflowNative.tf_tokenize(h, bytes, bytes.length, out, out.length, addSpecial, parseSpecial);
            if (n < 0) throw new NativeException("tokenize failed: " + TokenflowNative.lastError());
        }
        return n == out.length ? out : java.util.Arrays.copyOf(out, n);
    }

    /** Text of tokens, special tokens removed/not rendered. */
    public String decode(int[] tokens) {
        return decode(tokens, true, false);
    }

    public String decode(int[] tokens, boolean removeSpecial, boolean renderSpecial) {
        checkTokens(tokens);
        if (tokens.length == 0) return "";
        var h = model.handle();
        byte[] buf = new byte[tokens.length * 8 + 16];
        int n = TokenflowNative.tf_detokenize(h, tokens, tokens.length, buf, buf.length, removeSpecial, renderSpecial);
        if (n < 0) {
            buf = new byte[-n];
            n = TokenflowNative.tf_detokenize(h, tokens, tokens.length, buf, buf.length, removeSpecial, renderSpecial);
            if (n < 0) throw new NativeException("detokenize failed: " + TokenflowNative.lastError());
        }
        return new String(buf, 0, n, StandardCharsets.UTF_8);
    }

    /** Bytes of one token; may be a partial UTF-8 sequence (concatenate before decoding). */
    public byte[] piece(int token, boolean renderSpecial) {
        checkToken(token);
        var h = model.handle();
        byte[] buf = new byte[32];
        int n = TokenflowNative.tf_token_to_piece(h, token, buf, buf.length, renderSpecial);
        if (n < 0) {
            buf = new byte[-n];
            n = TokenflowNative.tf_token_to_piece(h, token, buf, buf.length, renderSpecial);
            if (n < 0) throw new NativeException("token_to_piece failed: " + TokenflowNative.lastError());
        }
        return java.util.Arrays.copyOf(buf, n);
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
        return TokenflowNative.tf_vocab_is_eog(model.handle(), token);
    }

    public boolean isControl(int token) {
        checkToken(token);
        return TokenflowNative.tf_vocab_is_control(model.handle(), token);
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

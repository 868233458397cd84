package io.tokenflow;

/**
 * Receives generated tokens as they are produced, on the generating thread. {@code text} holds the complete
 * UTF-8 characters this token finished (possibly empty: a token can be half a character, and text that might
 * begin a stop string is held back until it is known not to).
 */
@FunctionalInterface
public interface TokenListener {
    TokenListener NONE = (token, text) -> { };

    void onToken(int token, String text);
}

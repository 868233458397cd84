package io.tokenflow;

/** Base of every exception tokenflow throws on purpose. Unchecked, like {@link IllegalArgumentException}. */
public class TokenflowException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TokenflowException(String message) { super(message); }

    public TokenflowException(String message, Throwable cause) { super(message, cause); }
}

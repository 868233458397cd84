package io.tokenflow;

/** The tokens to decode do not fit in the session's context window. */
public class ContextOverflowException extends TokenflowException {
    private static final long serialVersionUID = 1L;

    public ContextOverflowException(String message) { super(message); }
}

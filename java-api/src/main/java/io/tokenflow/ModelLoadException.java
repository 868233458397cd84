package io.tokenflow;

/** A model could not be loaded: missing file, unreadable file, or llama.cpp refused it. */
public class ModelLoadException extends TokenflowException {
    private static final long serialVersionUID = 1L;

    public ModelLoadException(String message) { super(message); }

    public ModelLoadException(String message, Throwable cause) { super(message, cause); }
}

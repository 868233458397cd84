package io.tokenflow;

/** The file is not a well-formed GGUF model; the message names what is wrong and where. */
public class InvalidModelException extends ModelLoadException {
    private static final long serialVersionUID = 1L;

    public InvalidModelException(String message) { super(message); }

    public InvalidModelException(String message, Throwable cause) { super(message, cause); }
}

package io.tokenflow;

/** llama.cpp or a tokenflow kernel reported a failure (the message carries the native reason). */
public class NativeException extends TokenflowException {
    private static final long serialVersionUID = 1L;

    public NativeException(String message) { super(message); }
}

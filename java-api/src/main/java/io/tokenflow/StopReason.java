package io.tokenflow;

/** Why a generation ended. */
public enum StopReason {
    /** maxTokens were generated. */
    MAX_TOKENS,
    /** The model produced an end-of-generation token. */
    END_OF_GENERATION,
    /** A stop string appeared (it is not part of the text). */
    STOP_STRING,
    /** {@link Session#cancel()} was called. */
    CANCELLED,
    /** The context window is full. */
    CONTEXT_FULL
}

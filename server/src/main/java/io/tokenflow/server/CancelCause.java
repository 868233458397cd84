package io.tokenflow.server;

/** Why the server cancelled a generation; decides how the response ends. */
enum CancelCause {
    /** Not cancelled by the server. */
    NONE,
    /** The client closed the connection (nobody is left to answer). */
    CLIENT_GONE,
    /** The request ran past {@code --timeout}. */
    TIMEOUT,
    /** The server is shutting down and the grace period ended. */
    SHUTDOWN
}

package io.tokenflow.server;

/** Where a {@link TokenflowServer} is in its life. */
public enum ServerState {
    /** Listening; the model is not ready yet: API routes and /health answer 503. */
    LOADING,
    /** Serving. */
    READY,
    /** Shutting down: new requests get 503, in-flight ones finish within the grace period. */
    DRAINING,
    /** Closed. */
    STOPPED
}

package io.tokenflow.server;

import io.tokenflow.TokenflowException;

/**
 * A request the server answers with an OpenAI-style error body
 * {@code {"error": {"message", "type", "param", "code"}}} and an HTTP status. Thrown by request parsing and
 * validation (400), authentication (401), admission (429, 503) and the lanes; never for a server bug (those are 500s
 * the exception handler logs).
 */
public final class ApiException extends TokenflowException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String type;
    private final String param;
    private final String code;
    private final Integer retryAfterSeconds;
    private boolean admitted;

    public ApiException(int status, String type, String message, String param, String code, Integer retryAfterSeconds) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** 400 {@code invalid_request_error}: the request names {@code param} and what is wrong with it. */
    public static ApiException invalid(String param, String message) {
        return new ApiException(400, "invalid_request_error", message, param, param == null ? null : "invalid_value", null);
    }

    /** 400 for a field the server recognises but does not implement (tools, n > 1, json_schema, ...). */
    public static ApiException unsupported(String param, String message) {
        return new ApiException(400, "invalid_request_error", message, param, "unsupported_parameter", null);
    }

    /** 401: missing or wrong bearer token. */
    public static ApiException unauthorized() {
        return new ApiException(401, "invalid_request_error",
                "missing or invalid API key: send the header 'Authorization: Bearer KEY' with the key given to --api-key",
                null, "invalid_api_key", null);
    }

    /** 429: the lane's queue is full; the client may retry after {@code retryAfterSeconds}. */
    public static ApiException queueFull(String lane, int capacity, int retryAfterSeconds) {
        return new ApiException(429, "rate_limit_exceeded", "the " + lane + " lane's queue is full (" + capacity
                + " waiting requests, --queue); retry after " + retryAfterSeconds + " s", null, "queue_full", retryAfterSeconds);
    }

    /** 503 while the model loads or the server shuts down. */
    public static ApiException unavailable(String message, String code) {
        return new ApiException(503, "server_error", message, null, code, 1);
    }

    /** Marks an error that ended a request after it was admitted (a timeout, a shutdown): not a rejection. */
    ApiException admitted() {
        admitted = true;
        return this;
    }

    /** True when the request had been admitted and ran (counted as cancelled, not as rejected). */
    boolean wasAdmitted() { return admitted; }

    public int status() { return status; }

    public String type() { return type; }

    /** The request field at fault, or null. */
    public String param() { return param; }

    public String code() { return code; }

    /** Seconds for a {@code Retry-After} header, or null. */
    public Integer retryAfterSeconds() { return retryAfterSeconds; }
}

package io.tokenflow.server;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** OpenAI's error body: {@code {"error": {"message", "type", "param", "code"}}}. */
final class ErrorBody {
    private ErrorBody() {}

    static ObjectNode of(ApiException e) {
        ObjectNode body = Json.object();
        ObjectNode err = body.putObject("error");
        err.put("message", e.getMessage());
        err.put("type", e.type());
        if (e.param() != null) err.put("param", e.param());
        else err.putNull("param");
        if (e.code() != null) err.put("code", e.code());
        else err.putNull("code");
        return body;
    }
}

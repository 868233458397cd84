package io.tokenflow.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;

/** The server's one Jackson mapper, and request bodies read into trees (so field checks can name the field). */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            // deep nesting is never a valid request: fail fast instead of recursing
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
            .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Json() {}

    static ObjectNode object() { return MAPPER.createObjectNode(); }

    /** The body as a JSON object; 400 for anything else (empty, malformed, an array, trailing garbage). */
    static ObjectNode parseObject(byte[] body) {
        if (body == null || body.length == 0) throw ApiException.invalid(null, "the request body is empty: send a JSON object");
        JsonNode n;
        try {
            n = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw ApiException.invalid(null, "the request body is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiException.invalid(null, "could not read the request body: " + e.getMessage());
        }
        if (n == null || n.isMissingNode()) throw ApiException.invalid(null, "the request body is empty: send a JSON object");
        if (!n.isObject()) throw ApiException.invalid(null, "the request body must be a JSON object, got " + Fields.kind(n));
        return (ObjectNode) n;
    }

    static byte[] bytes(JsonNode n) {
        try {
            return MAPPER.writeValueAsBytes(n);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e); // a tree of our own always serializes
        }
    }

    static String string(JsonNode n) {
        try {
            return MAPPER.writeValueAsString(n);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}

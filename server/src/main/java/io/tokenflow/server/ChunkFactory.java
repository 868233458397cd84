package io.tokenflow.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The objects of one stream, all with the same {@code id}, {@code created} and {@code model}: chat streams send
 * {@code chat.completion.chunk}s with {@code choices[].delta} (the first carries the role), text streams
 * {@code text_completion} objects with {@code choices[].text}. As OpenAI does, the finish reason comes in a chunk of
 * its own after the last text (the end is only known once the lane reports it); that chunk carries the
 * {@code tokenflow} object, and so does the usage chunk ({@code choices: []}) that {@code include_usage} adds.
 */
final class ChunkFactory {
    private final boolean chat;
    private final String id;
    private final long created;
    private final String model;

    ChunkFactory(boolean chat, String id, long created, String model) {
        this.chat = chat;
        this.id = id;
        this.created = created;
        this.model = model;
    }

    private ObjectNode base() {
        ObjectNode c = Json.object();
        c.put("id", id);
        c.put("object", chat ? "chat.completion.chunk" : "text_completion");
        c.put("created", created);
        c.put("model", model);
        c.put("system_fingerprint", "tokenflow");
        return c;
    }

    private ObjectNode choice(ObjectNode chunk, JsonNode logprobs, String finishReason) {
        ObjectNode ch = chunk.putArray("choices").addObject();
        ch.put("index", 0);
        if (logprobs != null) ch.set("logprobs", logprobs);
        else ch.putNull("logprobs");
        if (finishReason != null) ch.put("finish_reason", finishReason);
        else ch.putNull("finish_reason");
        return ch;
    }

    /** Chat only: the first chunk, {@code delta: {role: assistant, content: ""}}. */
    ObjectNode role() {
        ObjectNode c = base();
        ObjectNode d = choice(c, null, null).putObject("delta");
        d.put("role", "assistant");
        d.put("content", "");
        return c;
    }

    ObjectNode content(String text, JsonNode logprobs) {
        ObjectNode c = base();
        ObjectNode ch = choice(c, logprobs, null);
        if (chat) ch.putObject("delta").put("content", text);
        else ch.put("text", text);
        return c;
    }

    ObjectNode finish(String finishReason, JsonNode logprobs, ObjectNode tokenflow) {
        ObjectNode c = base();
        ObjectNode ch = choice(c, logprobs, finishReason);
        if (chat) ch.putObject("delta");
        else ch.put("text", "");
        c.set("tokenflow", tokenflow);
        return c;
    }

    ObjectNode usage(ObjectNode usage, ObjectNode tokenflow) {
        ObjectNode c = base();
        c.putArray("choices");
        c.set("usage", usage);
        c.set("tokenflow", tokenflow);
        return c;
    }

    /** An error inside a stream (timeout, shutdown, failure): OpenAI's error object as the event's data. */
    static ObjectNode error(ApiException e) {
        ObjectNode c = Json.object();
        c.set("error", ErrorBody.of(e).get("error"));
        return c;
    }
}

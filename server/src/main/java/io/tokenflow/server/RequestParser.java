package io.tokenflow.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokenflow.ChatMessage;
import io.tokenflow.GenerationOptions;
import io.tokenflow.kv.KvCompression;
import io.tokenflow.sparse.SparseAttention;
import io.tokenflow.speculative.Speculation;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * Reads and validates completion request bodies: every field the server uses is type- and range-checked here, so
 * nothing a client sends reaches the runtime unchecked (400 with the field's name, never a 500). Fields the server
 * does not know are ignored; fields it knows but cannot honour (tools, n &gt; 1, json_schema, non-zero presence or
 * frequency penalties) are a 400 rather than being silently dropped.
 */
final class RequestParser {
    /** OpenAI's ceiling for top_logprobs. */
    static final int MAX_TOP_LOGPROBS = 20;
    static final int MAX_STOP_STRINGS = 16;

    private RequestParser() {}

    /** A {@code /v1/chat/completions} body. */
    static CompletionRequest chat(ObjectNode body, int vocabularySize, int contextSize) {
        List<ChatMessage> messages = messages(body);
        boolean logprobs = Fields.bool(body, "logprobs", false);
        int top = (int) Fields.integer(body, "top_logprobs", -1, 0, MAX_TOP_LOGPROBS);
        if (top >= 0 && !logprobs) throw ApiException.invalid("top_logprobs", "top_logprobs needs \"logprobs\": true");
        int topLogprobs = logprobs ? Math.max(0, top) : -1;
        rejectNonEmpty(body, "tools", "tools (function calling) are not supported by this server");
        rejectNonEmpty(body, "functions", "functions (function calling) are not supported by this server");
        return common(body, true, messages, null, null, topLogprobs, vocabularySize, contextSize);
    }

    /** A {@code /v1/completions} body (the legacy text completion API). */
    static CompletionRequest completion(ObjectNode body, int vocabularySize, int contextSize) {
        if (!Fields.present(body, "prompt")) throw ApiException.invalid("prompt", "prompt is required");
        JsonNode p = body.get("prompt");
        String text = null;
        int[] tokens = null;
        if (p.isTextual()) {
            text = p.textValue();
        } else if (p.isArray() && p.size() > 0 && p.get(0).isTextual()) {
            if (p.size() != 1) throw ApiException.unsupported("prompt", "one prompt per request (got " + p.size() + "): n = 1 only");
            text = p.get(0).textValue();
        } else if (p.isArray() && p.size() > 0 && p.get(0).isArray()) {
            if (p.size() != 1) throw ApiException.unsupported("prompt", "one prompt per request (got " + p.size() + "): n = 1 only");
            tokens = Fields.tokens(p.get(0), "prompt", vocabularySize);
        } else if (p.isArray()) {
            tokens = Fields.tokens(p, "prompt", vocabularySize);
        } else {
            throw ApiException.invalid("prompt", "prompt must be a string, an array of one string, or an array of token ids, got "
                    + Fields.kind(p));
        }
        if (tokens != null && tokens.length == 0) throw ApiException.invalid("prompt", "prompt has no tokens");
        if (text != null && text.indexOf('\0') >= 0) throw ApiException.invalid("prompt", "prompt must not contain NUL characters");
        JsonNode lp = body.get("logprobs");
        int topLogprobs = -1;
        if (lp != null && !lp.isNull()) {
            // the legacy form: an integer count of alternatives; true/false accepted as 0 / absent for convenience
            if (lp.isBoolean()) {
                topLogprobs = lp.booleanValue() ? 0 : -1;
            } else {
                topLogprobs = (int) Fields.integerValue(lp, "logprobs", 0, MAX_TOP_LOGPROBS);
            }
        }
        if (Fields.bool(body, "echo", false)) throw ApiException.unsupported("echo", "echo is not supported by this server");
        if (Fields.integer(body, "best_of", 1, 1, 128) != 1) throw ApiException.unsupported("best_of", "best_of must be 1");
        if (!Fields.string(body, "suffix", "").isEmpty()) throw ApiException.unsupported("suffix", "suffix (insertion) is not supported");
        return common(body, false, List.of(), text, tokens, topLogprobs, vocabularySize, contextSize);
    }

    private static CompletionRequest common(ObjectNode body, boolean chat, List<ChatMessage> messages, String text, int[] tokens,
            int topLogprobs, int vocabularySize, int contextSize) {
        Fields.string(body, "model", null); // any id is accepted; only its type is checked
        if (Fields.integer(body, "n", 1, 1, 128) != 1) throw ApiException.unsupported("n", "n must be 1: one choice per request");
        boolean stream = Fields.bool(body, "stream", false);
        ObjectNode so = Fields.object(body, "stream_options");
        boolean includeUsage = so != null && Fields.bool(so, "include_usage", false);
        long maxCap = Math.max(1, contextSize - 1L);
        int maxTokens = (int) Fields.integer(body, "max_tokens", 0, 1, maxCap);
        maxTokens = (int) Fields.integer(body, "max_completion_tokens", maxTokens, 1, maxCap);
        float temperature = (float) Fields.number(body, "temperature", Defaults.TEMPERATURE, 0, false, 2);
        float topP = (float) Fields.number(body, "top_p", Defaults.TOP_P, 0, true, 1);
        int topK = (int) Fields.integer(body, "top_k", Defaults.TOP_K, 0, vocabularySize);
        float minP = (float) Fields.number(body, "min_p", Defaults.MIN_P, 0, false, 1);
        float repeatPenalty = (float) Fields.number(body, "repeat_penalty", 1, 0, true, 10);
        boolean ignoreEos = Fields.bool(body, "ignore_eos", false);
        for (String name : List.of("presence_penalty", "frequency_penalty")) {
            if (Fields.number(body, name, 0, -2, false, 2) != 0) {
                throw ApiException.unsupported(name, name + " is not supported (only 0); use the llama.cpp field repeat_penalty "
                        + "(e.g. 1.1) for a repetition penalty");
            }
        }
        long seed = GenerationOptions.RANDOM_SEED;
        if (Fields.present(body, "seed")) {
            // OpenAI seeds are 64-bit; llama.cpp's are 32-bit with 0xFFFFFFFF meaning "random": fold into the rest
            long s = Fields.integer(body, "seed", 0, Long.MIN_VALUE, Long.MAX_VALUE);
            seed = Math.floorMod(s, GenerationOptions.RANDOM_SEED);
        }
        List<String> stop = Fields.stringOrStrings(body, "stop", MAX_STOP_STRINGS);
        boolean jsonObject = responseFormat(body);
        JsonNode bias = body.get("logit_bias");
        if (bias != null && !bias.isNull() && !(bias.isObject() && bias.isEmpty())) {
            throw ApiException.unsupported("logit_bias", "logit_bias is not supported by this server");
        }
        Speculation speculation = policy(body, "speculation", Speculation::parse);
        KvCompression kv = policy(body, "kv_compression", KvCompression::parse);
        SparseAttention sparse = policy(body, "sparse_attention", SparseAttention::parse);
        return new CompletionRequest(chat, messages, text, tokens, stream, includeUsage, maxTokens, temperature, topP, topK, minP,
                repeatPenalty, ignoreEos, seed, stop, topLogprobs, jsonObject, speculation, kv, sparse);
    }

    private static boolean responseFormat(ObjectNode body) {
        ObjectNode rf = Fields.object(body, "response_format");
        if (rf == null) return false;
        String type = Fields.string(rf, "type", null);
        if (type == null) throw ApiException.invalid("response_format", "response_format.type is required (text or json_object)");
        return switch (type) {
            case "text" -> false;
            case "json_object" -> true;
            case "json_schema" -> throw ApiException.unsupported("response_format",
                    "response_format json_schema is not supported (no constrained decoding yet); use json_object");
            default -> throw ApiException.invalid("response_format", "unknown response_format.type '" + type
                    + "': expected text or json_object");
        };
    }

    private static <T> T policy(ObjectNode body, String name, Function<String, T> parse) {
        String spec = Fields.string(body, name, null);
        if (spec == null) return null;
        try {
            return parse.apply(spec);
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(name, e.getMessage());
        }
    }

    private static void rejectNonEmpty(ObjectNode body, String name, String message) {
        JsonNode n = body.get(name);
        if (n != null && !n.isNull() && !(n.isArray() && n.isEmpty())) throw ApiException.unsupported(name, message);
    }

    private static List<ChatMessage> messages(ObjectNode body) {
        JsonNode ms = body.get("messages");
        if (ms == null || ms.isNull()) throw ApiException.invalid("messages", "messages is required");
        if (!ms.isArray()) throw ApiException.invalid("messages", "messages must be an array, got " + Fields.kind(ms));
        if (ms.isEmpty()) throw ApiException.invalid("messages", "messages must not be empty");
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) {
            String where = "messages[" + i + "]";
            JsonNode m = ms.get(i);
            if (!m.isObject()) throw ApiException.invalid(where, where + " must be an object, got " + Fields.kind(m));
            ObjectNode mo = (ObjectNode) m;
            String role = Fields.string(mo, "role", null);
            if (role == null) throw ApiException.invalid(where + ".role", where + ".role is required");
            role = switch (role.toLowerCase(Locale.ROOT)) {
                case "system", "developer" -> "system"; // OpenAI's newer name for the system role
                case "user" -> "user";
                case "assistant" -> "assistant";
                case "tool", "function" -> throw ApiException.unsupported(where + ".role", "tool messages are not supported (no function calling)");
                default -> throw ApiException.invalid(where + ".role", "unknown role '" + role + "': expected system, developer, user or assistant");
            };
            String content = content(mo.get("content"), where + ".content", role);
            try {
                out.add(new ChatMessage(role, content));
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid(where + ".content", e.getMessage());
            }
        }
        return out;
    }

    /** A message's text: a string, or an array of {@code {"type": "text", "text": ...}} parts, joined. */
    private static String content(JsonNode c, String where, String role) {
        if (c == null || c.isNull()) {
            if (role.equals("assistant")) return ""; // assistant turns that only carried tool calls
            throw ApiException.invalid(where, where + " is required");
        }
        if (c.isTextual()) return c.textValue();
        if (!c.isArray()) throw ApiException.invalid(where, where + " must be a string or an array of content parts, got " + Fields.kind(c));
        StringBuilder sb = new StringBuilder();
        for (int j = 0; j < c.size(); j++) {
            JsonNode part = c.get(j);
            String pw = where + "[" + j + "]";
            if (!part.isObject()) throw ApiException.invalid(pw, pw + " must be an object, got " + Fields.kind(part));
            String type = Fields.string((ObjectNode) part, "type", null);
            if (!"text".equals(type)) {
                throw ApiException.unsupported(pw + ".type", "content part type '" + type + "' is not supported: text only");
            }
            String t = Fields.string((ObjectNode) part, "text", null);
            if (t == null) throw ApiException.invalid(pw + ".text", pw + ".text is required");
            sb.append(t);
        }
        return sb.toString();
    }
}

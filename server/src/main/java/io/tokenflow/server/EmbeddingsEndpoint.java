package io.tokenflow.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.tokenflow.ContextOverflowException;
import io.tokenflow.Embedder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * {@code POST /v1/embeddings}: one vector per input, from {@link Embedder}: the model's last hidden states mean-pooled
 * over the input's tokens and L2-normalized (so a dot product is the cosine similarity). Inputs: a string, an array of
 * strings, an array of token ids, or an array of such arrays; {@code encoding_format} float (default) or base64
 * (little-endian float32, as OpenAI sends it).
 */
final class EmbeddingsEndpoint {
    /** OpenAI's limit of inputs per request. */
    static final int MAX_INPUTS = 2048;

    private final TokenflowServer server;

    EmbeddingsEndpoint(TokenflowServer server) {
        this.server = server;
    }

    private record Input(String text, int[] tokens) {}

    void handle(Context ctx) {
        ServedModel m = server.served();
        ObjectNode body = Json.parseObject(ctx.bodyAsBytes());
        Fields.string(body, "model", null);
        String format = Fields.string(body, "encoding_format", "float");
        if (!format.equals("float") && !format.equals("base64")) {
            throw ApiException.invalid("encoding_format", "encoding_format must be float or base64, got '" + format + "'");
        }
        List<Input> inputs = inputs(body.get("input"), m.vocabularySize());
        Embedder embedder = m.embedder();
        if (Fields.present(body, "dimensions")) {
            long d = Fields.integer(body, "dimensions", 0, 1, Integer.MAX_VALUE);
            if (d != embedder.dimension()) {
                throw ApiException.unsupported("dimensions", "this model's embeddings have " + embedder.dimension()
                        + " dimensions; shortening is not supported");
            }
        }
        ObjectNode res = Json.object();
        res.put("object", "list");
        ArrayNode data = res.putArray("data");
        long tokens = 0;
        for (int i = 0; i < inputs.size(); i++) {
            Input in = inputs.get(i);
            int[] ids = in.tokens != null ? in.tokens : m.model.tokenizer().encode(in.text, true, true);
            if (ids.length == 0) throw ApiException.invalid("input", "input " + i + " has no tokens");
            float[] v;
            try {
                v = embedder.embed(ids);
            } catch (ContextOverflowException | IllegalArgumentException e) {
                throw ApiException.invalid("input", "input " + i + ": " + e.getMessage());
            }
            tokens += ids.length;
            ObjectNode d = data.addObject();
            d.put("object", "embedding");
            d.put("index", i);
            if (format.equals("base64")) {
                ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float x : v) b.putFloat(x);
                d.put("embedding", Base64.getEncoder().encodeToString(b.array()));
            } else {
                ArrayNode e = d.putArray("embedding");
                for (float x : v) e.add(x);
            }
        }
        res.put("model", m.id);
        ObjectNode usage = res.putObject("usage");
        usage.put("prompt_tokens", tokens);
        usage.put("total_tokens", tokens);
        server.metrics().embedded();
        ctx.status(200).contentType("application/json").result(Json.bytes(res));
    }

    private static List<Input> inputs(JsonNode n, int vocabularySize) {
        if (n == null || n.isNull()) throw ApiException.invalid("input", "input is required");
        List<Input> out = new ArrayList<>();
        if (n.isTextual()) {
            out.add(text(n.textValue(), "input"));
        } else if (n.isArray()) {
            if (n.isEmpty()) throw ApiException.invalid("input", "input must not be empty");
            if (n.size() > MAX_INPUTS) throw ApiException.invalid("input", "at most " + MAX_INPUTS + " inputs per request, got " + n.size());
            JsonNode first = n.get(0);
            if (first.isNumber()) {
                out.add(new Input(null, Fields.tokens(n, "input", vocabularySize)));
            } else {
                for (int i = 0; i < n.size(); i++) {
                    JsonNode e = n.get(i);
                    String where = "input[" + i + "]";
                    if (e.isTextual()) out.add(text(e.textValue(), where));
                    else if (e.isArray()) {
                        int[] t = Fields.tokens(e, where, vocabularySize);
                        if (t.length == 0) throw ApiException.invalid(where, where + " has no tokens");
                        out.add(new Input(null, t));
                    } else {
                        throw ApiException.invalid(where, where + " must be a string or an array of token ids, got " + Fields.kind(e));
                    }
                }
            }
        } else {
            throw ApiException.invalid("input", "input must be a string or an array, got " + Fields.kind(n));
        }
        return out;
    }

    private static Input text(String s, String where) {
        if (s.isEmpty()) throw ApiException.invalid(where, where + " must not be an empty string");
        if (s.indexOf('\0') >= 0) throw ApiException.invalid(where, where + " must not contain NUL characters");
        return new Input(s, null);
    }
}

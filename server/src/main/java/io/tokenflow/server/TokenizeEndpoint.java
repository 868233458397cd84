package io.tokenflow.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.tokenflow.Tokenizer;
import java.nio.charset.StandardCharsets;

/**
 * llama-server's {@code POST /tokenize} ({@code {"content", "add_special": false, "parse_special": true,
 * "with_pieces": false}} to {@code {"tokens": [...]}}) and {@code POST /detokenize} ({@code {"tokens": [...]}} to
 * {@code {"content": "..."}}, special tokens rendered as their text).
 */
final class TokenizeEndpoint {
    private final TokenflowServer server;

    TokenizeEndpoint(TokenflowServer server) {
        this.server = server;
    }

    void tokenize(Context ctx) {
        ServedModel m = server.served();
        ObjectNode body = Json.parseObject(ctx.bodyAsBytes());
        String content = Fields.string(body, "content", null);
        if (content == null) throw ApiException.invalid("content", "content is required");
        if (content.indexOf('\0') >= 0) throw ApiException.invalid("content", "content must not contain NUL characters");
        boolean addSpecial = Fields.bool(body, "add_special", false);
        boolean parseSpecial = Fields.bool(body, "parse_special", true);
        boolean withPieces = Fields.bool(body, "with_pieces", false);
        Tokenizer tok = m.model.tokenizer();
        int[] ids = tok.encode(content, addSpecial, parseSpecial);
        ObjectNode res = Json.object();
        ArrayNode tokens = res.putArray("tokens");
        for (int id : ids) {
            if (withPieces) {
                ObjectNode t = tokens.addObject();
                t.put("id", id);
                t.put("piece", new String(tok.piece(id, true), StandardCharsets.UTF_8));
            } else {
                tokens.add(id);
            }
        }
        ctx.status(200).contentType("application/json").result(Json.bytes(res));
    }

    void detokenize(Context ctx) {
        ServedModel m = server.served();
        ObjectNode body = Json.parseObject(ctx.bodyAsBytes());
        if (!Fields.present(body, "tokens")) throw ApiException.invalid("tokens", "tokens is required");
        int[] ids = Fields.tokens(body.get("tokens"), "tokens", m.vocabularySize());
        ObjectNode res = Json.object();
        res.put("content", m.model.tokenizer().decode(ids, false, true));
        ctx.status(200).contentType("application/json").result(Json.bytes(res));
    }
}

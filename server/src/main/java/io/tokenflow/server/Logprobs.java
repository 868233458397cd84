package io.tokenflow.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokenflow.Tokenizer;
import io.tokenflow.batch.TokenLogprobs;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Log-probabilities in OpenAI's two shapes: chat's {@code logprobs.content[]} (token, logprob, bytes, top_logprobs) and
 * the legacy completions object (tokens, token_logprobs, top_logprobs as maps, text_offset). Token text is the token's
 * piece (special tokens rendered); a piece that is part of a UTF-8 character shows as U+FFFD, its bytes say exactly.
 */
final class Logprobs {
    private final Tokenizer tokenizer;

    Logprobs(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** Chat: one {@code content[]} entry per token. */
    ArrayNode chatContent(List<TokenLogprobs> tokens) {
        ArrayNode content = Json.MAPPER.createArrayNode();
        for (TokenLogprobs t : tokens) {
            ObjectNode e = entry(t.token(), t.logprob());
            ArrayNode top = e.putArray("top_logprobs");
            int[] ids = t.topTokens();
            float[] lps = t.topLogprobs();
            for (int i = 0; i < ids.length; i++) top.add(entry(ids[i], lps[i]));
            content.add(e);
        }
        return content;
    }

    /** Chat: the {@code logprobs} object of a choice. */
    ObjectNode chat(List<TokenLogprobs> tokens) {
        ObjectNode lp = Json.object();
        lp.set("content", chatContent(tokens));
        lp.putNull("refusal");
        return lp;
    }

    /** Legacy completions: {@code offset} is the text length before these tokens (for text_offset). */
    ObjectNode legacy(List<TokenLogprobs> tokens, int offset) {
        ObjectNode lp = Json.object();
        ArrayNode toks = lp.putArray("tokens");
        ArrayNode tlps = lp.putArray("token_logprobs");
        ArrayNode tops = lp.putArray("top_logprobs");
        ArrayNode offsets = lp.putArray("text_offset");
        int at = offset;
        for (TokenLogprobs t : tokens) {
            String text = text(t.token());
            toks.add(text);
            tlps.add(t.logprob());
            ObjectNode top = Json.object();
            int[] ids = t.topTokens();
            float[] lps = t.topLogprobs();
            for (int i = 0; i < ids.length; i++) top.put(text(ids[i]), lps[i]);
            tops.add(top);
            offsets.add(at);
            at += text.length();
        }
        return lp;
    }

    private ObjectNode entry(int token, float logprob) {
        ObjectNode e = Json.object();
        byte[] b = tokenizer.piece(token, true);
        e.put("token", new String(b, StandardCharsets.UTF_8));
        e.put("logprob", logprob);
        ArrayNode bytes = e.putArray("bytes");
        for (byte x : b) bytes.add(x & 0xFF);
        return e;
    }

    private String text(int token) {
        return new String(tokenizer.piece(token, true), StandardCharsets.UTF_8);
    }
}

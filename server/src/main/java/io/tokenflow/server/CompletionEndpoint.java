package io.tokenflow.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.tokenflow.ContextOverflowException;
import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.SessionOptions;
import io.tokenflow.StopReason;
import io.tokenflow.batch.TokenLogprobs;
import io.tokenflow.kv.KvCompression;
import io.tokenflow.sparse.SparseAttention;
import io.tokenflow.speculative.Speculation;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code POST /v1/chat/completions} and {@code POST /v1/completions}: validates, tokenizes, picks the lane, submits,
 * then answers with one JSON body or a server-sent event stream. Whatever happens to the HTTP exchange, the generation
 * ends: a failed write or an exception cancels it, so a slot is never left running for nobody.
 */
final class CompletionEndpoint {
    private static final System.Logger LOG = System.getLogger(CompletionEndpoint.class.getName());
    /** Poll interval of the streaming loop; also bounds how late a finished result is noticed. */
    private static final long POLL_MS = 50;
    /** Least time between two flushes of a stream's token events (the first token is flushed at once). */
    static final long FLUSH_MS = 5;

    /** Silence after which a stream writes an SSE comment, to find out whether the client is still there. */
    private static final long HEARTBEAT_MS = 2000;

    private final TokenflowServer server;

    CompletionEndpoint(TokenflowServer server) {
        this.server = server;
    }

    /** A request ready to run: the parsed body plus what the server resolved for it. */
    private record Prepared(CompletionRequest request, Lane lane, int[] prompt, GenerationOptions options,
            SessionOptions soloSession) {}

    void handle(Context ctx, boolean chat) throws IOException {
        ServedModel m = server.served();
        ObjectNode body = Json.parseObject(ctx.bodyAsBytes());
        ServerOptions o = server.options();
        CompletionRequest req = chat ? RequestParser.chat(body, m.vocabularySize(), o.contextSize())
                : RequestParser.completion(body, m.vocabularySize(), o.contextSize());
        Prepared p = prepare(m, o, req);
        Generation g = p.lane == Lane.BATCH ? m.batch.submit(p.prompt, p.options, req.topLogprobs())
                : m.solo.submit(p.prompt, p.options, p.soloSession);
        server.metrics().admitted(p.lane);
        server.exchangeStarted();
        ScheduledFuture<?> timer = null;
        try {
            if (o.hasTimeout()) {
                timer = server.timer().schedule(() -> g.cancel(CancelCause.TIMEOUT), o.timeout().toMillis(), TimeUnit.MILLISECONDS);
            }
            String id = (chat ? "chatcmpl-" : "cmpl-") + UUID.randomUUID().toString().replace("-", "");
            long created = Instant.now().getEpochSecond();
            if (req.stream()) stream(ctx, m, p, g, id, created);
            else respond(ctx, m, p, g, id, created);
        } finally {
            if (timer != null) timer.cancel(false);
            if (!g.result().isDone()) g.cancel(CancelCause.CLIENT_GONE); // an exception or a dead client: free the slot
            server.exchangeEnded();
        }
    }

    private Prepared prepare(ServedModel m, ServerOptions o, CompletionRequest req) {
        Speculation spec = req.speculation() != null ? req.speculation() : o.speculation();
        KvCompression kv = req.kvCompression() != null ? req.kvCompression() : o.kvCompression();
        SparseAttention sparse = req.sparseAttention() != null ? req.sparseAttention() : o.sparseAttention();
        Lane lane = spec != Speculation.NONE || kv.enabled() || sparse.enabled() ? Lane.SOLO : Lane.BATCH;
        if (lane == Lane.SOLO && req.logprobs()) {
            throw ApiException.unsupported("logprobs", "logprobs are not available with speculation, kv_compression or "
                    + "sparse_attention (those run in the solo lane, which does not report them); drop one or the other");
        }
        SessionOptions solo = null;
        if (lane == Lane.SOLO) {
            try {
                solo = m.solo.sessionOptions(kv, sparse);
            } catch (IllegalArgumentException e) {
                throw ApiException.invalid(sparse.enabled() ? "sparse_attention" : "kv_compression", e.getMessage());
            }
        }
        String promptParam = req.chat() ? "messages" : "prompt";
        int[] prompt;
        if (req.promptTokens() != null) {
            prompt = req.promptTokens();
        } else {
            String text = req.chat() ? m.chatFormat.render(req.messages()) : req.promptText();
            prompt = m.model.tokenizer().encode(text, true, true);
        }
        if (prompt.length == 0) throw ApiException.invalid(promptParam, "the prompt has no tokens");
        int ctxSize = o.contextSize();
        String maxParam = "max_tokens";
        int maxTokens;
        if (kv.enabled()) {
            // a compressed prompt may be longer than the context; how much room is left is known only after prefill
            maxTokens = req.maxTokens() > 0 ? req.maxTokens() : Math.max(1, ctxSize / 2);
        } else {
            if (prompt.length >= ctxSize) {
                throw new ApiException(400, "invalid_request_error", "the prompt has " + prompt.length + " tokens but the context holds "
                        + ctxSize + " (--ctx-size), and one more is needed to generate", promptParam, "context_length_exceeded", null);
            }
            int room = ctxSize - prompt.length;
            if (req.maxTokens() > room) {
                throw new ApiException(400, "invalid_request_error", "the prompt (" + prompt.length + " tokens) plus max_tokens ("
                        + req.maxTokens() + ") exceed the context of " + ctxSize + " tokens (--ctx-size)", maxParam,
                        "context_length_exceeded", null);
            }
            maxTokens = req.maxTokens() > 0 ? req.maxTokens() : room;
        }
        GenerationOptions go;
        try {
            go = GenerationOptions.builder().maxTokens(maxTokens).stopStrings(req.stop()).temperature(req.temperature())
                    .topP(req.topP()).topK(req.topK()).minP(req.minP()).repeatPenalty(req.repeatPenalty()).ignoreEos(req.ignoreEos()).seed(req.seed())
                    .speculation(spec).build();
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid(null, e.getMessage());
        }
        return new Prepared(req, lane, prompt, go, solo);
    }

    // ---------------------------------------------------------------- one JSON body

    private void respond(Context ctx, ServedModel m, Prepared p, Generation g, String id, long created) {
        GenerationResult r = await(g);
        List<TokenLogprobs> lps = new ArrayList<>();
        for (TokenEvent e; (e = g.pollNow()) != null; ) if (e.logprobs() != null) lps.add(e.logprobs());
        if (r.stopReason() == StopReason.CANCELLED) throw cancelled(g.cause());
        server.metrics().finished(p.lane, r);
        CompletionRequest req = p.request;
        ObjectNode res = Json.object();
        res.put("id", id);
        res.put("object", req.chat() ? "chat.completion" : "text_completion");
        res.put("created", created);
        res.put("model", m.id);
        res.put("system_fingerprint", "tokenflow");
        ArrayNode choices = res.putArray("choices");
        ObjectNode choice = choices.addObject();
        choice.put("index", 0);
        if (req.chat()) {
            ObjectNode msg = choice.putObject("message");
            msg.put("role", "assistant");
            msg.put("content", r.text());
            msg.putNull("refusal");
            if (req.logprobs()) choice.set("logprobs", m.logprobs.chat(lps));
            else choice.putNull("logprobs");
        } else {
            choice.put("text", r.text());
            if (req.logprobs()) choice.set("logprobs", m.logprobs.legacy(lps, 0));
            else choice.putNull("logprobs");
        }
        choice.put("finish_reason", finishReason(r.stopReason()));
        res.set("usage", StatsJson.usage(r));
        res.set("tokenflow", StatsJson.tokenflow(r, p.lane, jsonValid(req, r.text())));
        ctx.status(200).contentType("application/json").result(Json.bytes(res));
    }

    /** Waits for the result; a failure inside the lane becomes an API error (400 for what the input caused, else 500). */
    private GenerationResult await(Generation g) {
        try {
            return g.result().get();
        } catch (InterruptedException e) {
            g.cancel(CancelCause.SHUTDOWN);
            Thread.currentThread().interrupt();
            throw ApiException.unavailable("the server is shutting down", "shutting_down");
        } catch (ExecutionException e) {
            throw laneFailure(e.getCause());
        }
    }

    private RuntimeException laneFailure(Throwable t) {
        if (t instanceof ApiException a) return a;
        if (t instanceof ContextOverflowException || t instanceof IllegalArgumentException) return ApiException.invalid(null, t.getMessage());
        LOG.log(System.Logger.Level.WARNING, "generation failed", t);
        server.metrics().failed();
        return new ApiException(500, "server_error", "generation failed: " + t.getMessage(), null, "generation_failed", null).admitted();
    }

    private ApiException cancelled(CancelCause cause) {
        server.metrics().cancelled(cause == CancelCause.NONE ? CancelCause.SHUTDOWN : cause);
        if (cause == CancelCause.TIMEOUT) {
            return new ApiException(504, "timeout_error", "the request ran longer than the server's timeout of "
                    + server.options().timeout().toMillis() / 1000.0 + " s (--timeout) and was cancelled", null, "timeout", null)
                    .admitted();
        }
        // SHUTDOWN, or the lane itself ended it (its grace ran out)
        return ApiException.unavailable("the server is shutting down; the request was cancelled", "shutting_down").admitted();
    }

    // ---------------------------------------------------------------- server-sent events

    private void stream(Context ctx, ServedModel m, Prepared p, Generation g, String id, long created) throws IOException {
        CompletionRequest req = p.request;
        var res = ctx.res();
        res.setStatus(200);
        res.setContentType("text/event-stream");
        res.setCharacterEncoding("utf-8");
        res.setHeader("Cache-Control", "no-cache");
        res.setHeader("X-Accel-Buffering", "no"); // proxies must not buffer the stream
        SseWriter sse = new SseWriter(res.getOutputStream());
        ChunkFactory chunks = new ChunkFactory(req.chat(), id, created, m.id);
        if (req.chat()) sse.data(chunks.role());
        List<TokenLogprobs> pending = new ArrayList<>();
        int textChars = 0;
        boolean finished = false;
        boolean cancelSent = false;
        boolean unflushed = false, flushedOnce = false;
        while (!finished) {
            TokenEvent e;
            try {
                // with events written but not flushed, wait only until their flush is due
                long wait = unflushed ? FLUSH_MS - sse.millisSinceLastWrite() : POLL_MS;
                e = wait <= 0 ? g.pollNow() : g.poll(wait);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                g.cancel(CancelCause.SHUTDOWN);
                break;
            }
            if (e == null && unflushed) {
                sse.flush();
                unflushed = false;
            }
            if (e == null) {
                if (g.result().isDone()) {
                    e = g.pollNow();
                    if (e == null) finished = true;
                } else if (sse.millisSinceLastWrite() >= HEARTBEAT_MS) {
                    sse.comment("waiting");
                }
            }
            if (e != null) {
                // this token and every one already waiting behind it, in one write
                boolean wrote = false;
                for (; e != null; e = g.pollNow()) {
                    if (e.logprobs() != null) pending.add(e.logprobs());
                    if (!e.text().isEmpty()) {
                        JsonNode lp = !req.logprobs() ? null : req.chat() ? m.logprobs.chat(pending) : m.logprobs.legacy(pending, textChars);
                        sse.append(chunks.content(e.text(), lp));
                        wrote = true;
                        textChars += e.text().length();
                        pending.clear();
                    }
                }
                // The first token goes out at once (time to first token); later ones at most every FLUSH_MS: a model
                // that makes tokens faster than that (a tiny one) would otherwise pay a flush and a wake-up per token,
                // which on few cores slows its decoding; a slower model's tokens still go out one by one.
                if (wrote && (!flushedOnce || sse.millisSinceLastWrite() >= FLUSH_MS)) {
                    sse.flush();
                    flushedOnce = true;
                    unflushed = false;
                } else if (wrote) {
                    unflushed = true;
                }
            }
            if (sse.broken() && !cancelSent && !g.result().isDone()) {
                g.cancel(CancelCause.CLIENT_GONE);
                cancelSent = true;
            }
        }
        GenerationResult r;
        try {
            r = g.result().get(30, TimeUnit.SECONDS); // done already, or cancelled a moment ago: ends within one step
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            sse.data(ChunkFactory.error(ApiException.unavailable("the server is shutting down", "shutting_down")));
            sse.done();
            return;
        } catch (ExecutionException ee) {
            RuntimeException err = laneFailure(ee.getCause());
            sse.data(ChunkFactory.error(err instanceof ApiException a ? a
                    : new ApiException(500, "server_error", err.getMessage(), null, null, null)));
            sse.done();
            return;
        } catch (java.util.concurrent.TimeoutException te) {
            LOG.log(System.Logger.Level.WARNING, "a cancelled generation did not end within 30 s");
            sse.data(ChunkFactory.error(new ApiException(500, "server_error", "the generation did not end", null, null, null)));
            sse.done();
            return;
        }
        if (r.stopReason() == StopReason.CANCELLED) {
            ApiException err = cancelled(g.cause());
            if (g.cause() != CancelCause.CLIENT_GONE) {
                sse.data(ChunkFactory.error(err));
                sse.done();
            }
            return;
        }
        server.metrics().finished(p.lane, r);
        JsonNode lp = !req.logprobs() || pending.isEmpty() ? null
                : req.chat() ? m.logprobs.chat(pending) : m.logprobs.legacy(pending, textChars);
        ObjectNode stats = StatsJson.tokenflow(r, p.lane, jsonValid(req, r.text()));
        sse.data(chunks.finish(finishReason(r.stopReason()), lp, stats));
        if (req.includeUsage()) sse.data(chunks.usage(StatsJson.usage(r), stats));
        sse.done();
    }

    static String finishReason(StopReason reason) {
        return switch (reason) {
            case MAX_TOKENS, CONTEXT_FULL -> "length";
            case END_OF_GENERATION, STOP_STRING, CANCELLED -> "stop";
        };
    }

    /** For {@code response_format: json_object}: whether the reply is one JSON object; null when not asked. */
    private static Boolean jsonValid(CompletionRequest req, String text) {
        if (!req.jsonObject()) return null;
        try {
            JsonNode n = Json.MAPPER.readTree(text);
            return n != null && n.isObject();
        } catch (IOException e) {
            return false;
        }
    }
}

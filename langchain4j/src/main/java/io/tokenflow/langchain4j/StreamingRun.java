package io.tokenflow.langchain4j;

import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import io.tokenflow.GenerationResult;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One streamed request, run on the streaming model's executor: partial responses as tokenflow releases text (whole
 * UTF-8 characters, never part of a stop sequence), then exactly one {@code onCompleteResponse}, or exactly one
 * {@code onError} instead. Nothing is thrown to the executor: every failure, a bad request included, reaches
 * {@code onError}. It is also the request's {@link StreamingHandle}: after {@link #cancel()} the generation stops
 * within one token and the handler hears nothing more.
 */
final class StreamingRun implements Runnable, StreamingHandle {
    private static final System.Logger LOG = System.getLogger(StreamingRun.class.getName());

    private final ChatEngine engine;
    private final ChatRequest request;
    private final StreamingChatResponseHandler handler;
    private final PartialResponseContext context = new PartialResponseContext(this);
    private final AtomicBoolean cancelled = new AtomicBoolean();

    StreamingRun(ChatEngine engine, ChatRequest request, StreamingChatResponseHandler handler) {
        this.engine = engine;
        this.request = request;
        this.handler = handler;
    }

    @Override
    public void run() {
        ChatResponse response;
        try {
            GenerationResult result = engine.generate(engine.prepare(request), this::onToken, cancelled::get);
            if (result == null) return; // cancelled: no further events
            response = engine.response(result);
        } catch (RuntimeException | Error e) {
            fail(e);
            return;
        }
        if (cancelled.get()) return;
        try {
            handler.onCompleteResponse(response);
        } catch (RuntimeException e) {
            handlerFailed("onCompleteResponse", e);
        }
    }

    private void onToken(int token, String text) {
        if (text.isEmpty() || cancelled.get()) return;
        try {
            handler.onPartialResponse(new PartialResponse(text), context);
        } catch (RuntimeException e) {
            handlerFailed("onPartialResponse", e);
        }
    }

    /** Reports a failure of the request (not one of the handler's own callbacks). */
    void fail(Throwable error) {
        if (cancelled.get()) return;
        try {
            handler.onError(error);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "StreamingChatResponseHandler.onError threw while reporting " + error, e);
        }
    }

    /**
     * The handler's own callback threw: as LangChain4j's providers do, it is passed to {@code onError} and streaming
     * goes on (the generation is not the handler's to abort; cancel through the handle for that).
     */
    private void handlerFailed(String callback, RuntimeException e) {
        LOG.log(System.Logger.Level.DEBUG, () -> "StreamingChatResponseHandler." + callback + " threw: " + e);
        fail(e);
    }

    @Override
    public void cancel() { cancelled.set(true); }

    @Override
    public boolean isCancelled() { return cancelled.get(); }
}

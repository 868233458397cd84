package io.tokenflow.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import io.tokenflow.ChatMessage;
import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import io.tokenflow.StopReason;
import io.tokenflow.TokenListener;
import io.tokenflow.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * What both chat models run on: one model, one {@link Session}, the chat template and the default parameters.
 *
 * <p>Threading: a session generates one answer at a time, so requests from many threads take turns on a fair lock
 * (first come, first served). One session, not a pool: each answer already uses every core llama.cpp is given, and
 * the session's cache keeps the longest prefix shared with the previous prompt, so the turns of a conversation (and
 * requests with the same system message) decode only what is new. Parallel requests on shared hardware are the job of
 * tokenflow's continuous batching (the server), not of this adapter.
 */
final class ChatEngine implements AutoCloseable {

    /** A request turned into tokenflow input: the templated prompt and how to generate. */
    record Prepared(String prompt, GenerationOptions options) {}

    private final ModelHandle handle;
    private final Session session;
    private final String template;
    private final String bosText;
    private final String modelName;
    private final TokenflowChatRequestParameters defaults;
    private final ReentrantLock turn = new ReentrantLock(true);
    private volatile boolean closed;

    ChatEngine(TokenflowChatModelBuilder<?> b) {
        ModelHandle h = ModelHandle.resolve(b.model, b.modelPath, b.modelOptions);
        try {
            Model model = h.model();
            this.modelName = model.info().name();
            this.template = b.chatTemplate;
            checkTemplate(model, template);
            this.bosText = bosText(model.tokenizer());
            this.defaults = b.requestDefaults(modelName);
            RequestOptions.toGenerationOptions(defaults, modelName, true); // bad defaults fail at build()
            this.session = model.newSession(b.sessionOptions == null ? SessionOptions.defaults() : b.sessionOptions);
        } catch (RuntimeException e) {
            h.release();
            throw e;
        }
        this.handle = h;
    }

    private static void checkTemplate(Model model, String template) {
        if (template == null && model.info().chatTemplate().isEmpty()) {
            throw new IllegalArgumentException("model " + model.info().name() + " has no chat template; give one with "
                    + "chatTemplate(...), e.g. chatTemplate(\"chatml\")");
        }
        try {
            model.applyChatTemplate(List.of(ChatMessage.user("hi")), true, template);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("chat template '" + abbreviate(template) + "' is not one llama.cpp knows: "
                    + e.getMessage(), e);
        }
    }

    /** The text of BOS, so that a template writing BOS itself does not get a second one from the tokenizer. */
    private static String bosText(Tokenizer tok) {
        int bos = tok.specialTokens().bos();
        return bos >= 0 ? new String(tok.piece(bos, true), StandardCharsets.UTF_8) : "";
    }

    private static String abbreviate(String s) {
        return s == null ? "(model's own)" : s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    Model model() { return handle.model(); }

    String modelName() { return modelName; }

    TokenflowChatRequestParameters defaults() { return defaults; }

    /** Checks the request and applies the template; throws what is wrong with it (nothing has run yet). */
    Prepared prepare(ChatRequest request) {
        checkOpen();
        if (request == null) throw new IllegalArgumentException("chat request is null");
        ChatRequestParameters p = request.parameters() == null ? defaults : defaults.overrideWith(request.parameters());
        GenerationOptions probe = RequestOptions.toGenerationOptions(p, modelName, true);
        List<ChatMessage> turns = Messages.toTurns(request.messages());
        String prompt = handle.model().applyChatTemplate(turns, true, template);
        boolean addSpecial = bosText.isEmpty() || !prompt.startsWith(bosText);
        return new Prepared(prompt, addSpecial ? probe : probe.toBuilder().addSpecial(false).build());
    }

    /**
     * Generates the answer when this request's turn comes. {@code stop} is polled before the start and after every
     * token: once it says true the generation ends within one step and this returns null (the caller cancelled, so
     * there is no answer to report). The cancel is sent from inside the generation's own token callback, so it can
     * never reach the next request's generation.
     */
    GenerationResult generate(Prepared p, TokenListener listener, BooleanSupplier stop) {
        turn.lock();
        try {
            checkOpen();
            if (stop.getAsBoolean()) return null;
            GenerationResult r = session.generate(p.prompt(), p.options(), (token, text) -> {
                listener.onToken(token, text);
                if (stop.getAsBoolean()) session.cancel();
            });
            if (stop.getAsBoolean()) return null; // even if it ended on its own meanwhile: the caller wants no answer
            if (r.stopReason() == StopReason.CANCELLED) {
                throw new IllegalStateException("the chat model was closed during the generation");
            }
            return r;
        } finally {
            turn.unlock();
        }
    }

    /** The LangChain4j response: the answer, token usage, finish reason, and tokenflow's own figures. */
    ChatResponse response(GenerationResult r) {
        TokenUsage usage = new TokenUsage(r.stats().promptTokens(), r.stats().generatedTokens());
        TokenflowChatResponseMetadata metadata = TokenflowChatResponseMetadata.builder()
                .modelName(modelName)
                .tokenUsage(usage)
                .finishReason(finishReason(r.stopReason()))
                .stopReason(r.stopReason())
                .stats(r.stats())
                .build();
        return ChatResponse.builder().aiMessage(AiMessage.from(r.text())).metadata(metadata).build();
    }

    static FinishReason finishReason(StopReason reason) {
        return switch (reason) {
            case END_OF_GENERATION, STOP_STRING -> FinishReason.STOP;
            case MAX_TOKENS, CONTEXT_FULL -> FinishReason.LENGTH;
            case CANCELLED -> FinishReason.OTHER;
        };
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("the chat model is closed");
    }

    boolean isClosed() { return closed; }

    /** Tokens the session's cache holds (call while no generation runs; tests check that a cancel cut one short). */
    int cachedTokens() { return session.cachedTokens(); }

    /** Stops a running generation, frees the session, and closes the model if this engine loaded it. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        session.close();
        handle.release();
    }
}

package io.tokenflow;

import java.util.ArrayList;
import java.util.List;

/**
 * A multi-turn conversation on one {@link Session}, formatted with the model's chat template (llama.cpp's
 * template application). Each turn re-renders the whole conversation; the session's prefix reuse means only
 * the new turn's tokens are decoded. Not thread-safe.
 */
public final class Chat {
    private final Session session;
    private final String template;
    private final List<ChatMessage> messages = new ArrayList<>();

    /** Uses the model's own template. */
    public Chat(Session session) {
        this(session, null);
    }

    /** Uses {@code template} (a template llama.cpp recognises, or a name like "chatml") instead of the model's. */
    public Chat(Session session, String template) {
        if (session == null) throw new IllegalArgumentException("session is null");
        this.session = session;
        this.template = template;
        if (template == null && session.model().info().chatTemplate().isEmpty()) {
            throw new IllegalStateException("model " + session.model().info().name()
                    + " has no chat template; pass one (e.g. \"chatml\")");
        }
    }

    public Chat system(String content) {
        messages.add(ChatMessage.system(content));
        return this;
    }

    public List<ChatMessage> messages() { return List.copyOf(messages); }

    /** Adds the user's message, generates the assistant's reply, and records it. */
    public GenerationResult send(String userMessage, GenerationOptions options, TokenListener listener) {
        if (userMessage == null) throw new IllegalArgumentException("message is null");
        messages.add(ChatMessage.user(userMessage));
        try {
            String prompt = session.model().applyChatTemplate(messages, true, template);
            // Templates that write BOS themselves must not get a second one from the tokenizer.
            Tokenizer tok = session.model().tokenizer();
            int bos = tok.specialTokens().bos();
            String bosText = bos >= 0 ? new String(tok.piece(bos, true), java.nio.charset.StandardCharsets.UTF_8) : "";
            boolean addSpecial = bosText.isEmpty() || !prompt.startsWith(bosText);
            GenerationOptions o = options.toBuilder().addSpecial(addSpecial).parseSpecial(true).build();
            GenerationResult r = session.generate(prompt, o, listener);
            messages.add(ChatMessage.assistant(r.text().strip()));
            return r;
        } catch (RuntimeException e) {
            messages.remove(messages.size() - 1);
            throw e;
        }
    }
}

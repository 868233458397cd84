package io.tokenflow.server;

import io.tokenflow.ChatMessage;
import io.tokenflow.Model;
import java.util.List;

/**
 * Turns chat messages into prompt text: with the template given to the server ({@code --chat-template}), else the
 * model's own (llama.cpp's template application), else - for models without one, like the packaged story model - plain
 * text: the contents joined by newlines, so the model continues the conversation as text.
 */
final class ChatFormat {
    private final Model model;
    private final String template;
    private final boolean plain;

    ChatFormat(Model model, String template) {
        this.model = model;
        this.template = template;
        this.plain = template == null && model.info().chatTemplate().isEmpty();
        if (template != null) {
            try {
                model.applyChatTemplate(List.of(ChatMessage.user("hi")), true, template); // fail at start, not per request
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("unknown chat template '" + template + "' (a name llama.cpp knows, e.g. chatml, "
                        + "or a template text): " + e.getMessage(), e);
            }
        }
    }

    /** "plain", "custom" or "model": how prompts are made, for logs and /v1/models. */
    String kind() { return plain ? "plain" : template != null ? "custom" : "model"; }

    String render(List<ChatMessage> messages) {
        if (plain) {
            StringBuilder sb = new StringBuilder();
            for (ChatMessage m : messages) {
                if (m.content().isEmpty()) continue;
                if (sb.length() > 0) sb.append('\n');
                sb.append(m.content());
            }
            return sb.toString();
        }
        return model.applyChatTemplate(messages, true, template);
    }
}

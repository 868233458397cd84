package io.tokenflow.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import java.util.ArrayList;
import java.util.List;

/**
 * LangChain4j messages as tokenflow chat turns (system, user, assistant), the input of the model's chat template.
 * Only text is carried: tokenflow runs text models and has no tool calling, so tool calls, tool results and
 * non-text content are refused rather than silently dropped (the answer would ignore part of the conversation).
 */
final class Messages {
    private Messages() {}

    static List<io.tokenflow.ChatMessage> toTurns(List<ChatMessage> messages) {
        if (messages == null || messages.isEmpty()) {
            throw new IllegalArgumentException("a chat request needs at least one message");
        }
        List<io.tokenflow.ChatMessage> turns = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) turns.add(toTurn(m));
        return turns;
    }

    private static io.tokenflow.ChatMessage toTurn(ChatMessage m) {
        if (m == null) throw new IllegalArgumentException("a chat message is null");
        if (m instanceof SystemMessage s) return io.tokenflow.ChatMessage.system(s.text());
        if (m instanceof UserMessage u) return io.tokenflow.ChatMessage.user(text(u));
        if (m instanceof AiMessage a) {
            if (a.hasToolExecutionRequests()) {
                throw new UnsupportedFeatureException("tokenflow chat models do not support tools: the conversation holds "
                        + "an AI message with tool execution requests");
            }
            return io.tokenflow.ChatMessage.assistant(a.text() == null ? "" : a.text());
        }
        if (m instanceof ToolExecutionResultMessage) {
            throw new UnsupportedFeatureException("tokenflow chat models do not support tools: the conversation holds a "
                    + "tool execution result message");
        }
        throw new UnsupportedFeatureException("tokenflow chat models take system, user and AI messages; got a "
                + m.type() + " message (" + m.getClass().getSimpleName() + ")");
    }

    /** The user's text; several text parts are joined by newlines. */
    private static String text(UserMessage u) {
        StringBuilder sb = new StringBuilder();
        for (Content c : u.contents()) {
            if (!(c instanceof TextContent t)) {
                throw new UnsupportedFeatureException("tokenflow chat models read text only; the user message holds "
                        + c.type() + " content");
            }
            if (sb.length() > 0) sb.append('\n');
            sb.append(t.text());
        }
        return sb.toString();
    }
}

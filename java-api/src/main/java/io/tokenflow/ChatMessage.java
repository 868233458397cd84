package io.tokenflow;

import java.util.Objects;

/** One chat turn; role is usually "system", "user" or "assistant". */
public record ChatMessage(String role, String content) {
    public ChatMessage {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(content, "content");
        if (role.indexOf('\0') >= 0 || content.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("chat messages may not contain NUL characters");
        }
    }

    public static ChatMessage system(String content) { return new ChatMessage("system", content); }

    public static ChatMessage user(String content) { return new ChatMessage("user", content); }

    public static ChatMessage assistant(String content) { return new ChatMessage("assistant", content); }
}

package io.tokenflow.langchain4j;

import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import io.tokenflow.GenerationStats;
import io.tokenflow.StopReason;
import java.util.Objects;

/**
 * LangChain4j's response metadata (model name, token usage, finish reason) plus what tokenflow measured: why the
 * generation stopped in tokenflow's own terms and its {@link GenerationStats} (prompt tokens reused from the
 * session's cache, time to first token, tokens per second, speculation and KV-cache figures). Immutable.
 */
public final class TokenflowChatResponseMetadata extends ChatResponseMetadata {
    private final StopReason stopReason;
    private final GenerationStats stats;

    private TokenflowChatResponseMetadata(Builder builder) {
        super(builder);
        this.stopReason = builder.stopReason;
        this.stats = builder.stats;
    }

    /** tokenflow's reason ({@code finishReason()} is LangChain4j's coarser view of it). */
    public StopReason stopReason() { return stopReason; }

    public GenerationStats stats() { return stats; }

    /** A builder holding every field, tokenflow's too. */
    @Override
    public Builder toBuilder() {
        return ((Builder) toBuilder(builder())).stopReason(stopReason).stats(stats);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (o == null || getClass() != o.getClass() || !super.equals(o)) return false;
        TokenflowChatResponseMetadata that = (TokenflowChatResponseMetadata) o;
        return stopReason == that.stopReason && Objects.equals(stats, that.stats);
    }

    @Override
    public int hashCode() { return Objects.hash(super.hashCode(), stopReason, stats); }

    @Override
    public String toString() {
        return "TokenflowChatResponseMetadata{modelName=" + modelName() + ", tokenUsage=" + tokenUsage() + ", finishReason="
                + finishReason() + ", stopReason=" + stopReason + ", stats=" + stats + "}";
    }

    public static Builder builder() { return new Builder(); }

    public static final class Builder extends ChatResponseMetadata.Builder<Builder> {
        private StopReason stopReason;
        private GenerationStats stats;

        public Builder() {}

        public Builder stopReason(StopReason stopReason) { this.stopReason = stopReason; return this; }

        public Builder stats(GenerationStats stats) { this.stats = stats; return this; }

        @Override
        public TokenflowChatResponseMetadata build() { return new TokenflowChatResponseMetadata(this); }
    }
}

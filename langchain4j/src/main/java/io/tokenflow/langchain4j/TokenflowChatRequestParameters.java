package io.tokenflow.langchain4j;

import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import io.tokenflow.speculative.Speculation;
import java.util.Objects;

/**
 * LangChain4j's common request parameters plus the tokenflow sampling settings that have no common name:
 * {@code seed}, {@code minP}, {@code repeatPenalty} and lossless speculative decoding. Use it as a chat model's
 * {@code defaultRequestParameters} or as one request's {@code parameters}; a field left null keeps the value of
 * the parameters it overrides. Immutable.
 */
public final class TokenflowChatRequestParameters extends DefaultChatRequestParameters {

    public static final TokenflowChatRequestParameters EMPTY = builder().build();

    private final Long seed;
    private final Double minP;
    private final Double repeatPenalty;
    private final Speculation speculation;

    private TokenflowChatRequestParameters(Builder builder) {
        super(builder);
        this.seed = builder.seed;
        this.minP = builder.minP;
        this.repeatPenalty = builder.repeatPenalty;
        this.speculation = builder.speculation;
    }

    /** Random seed of sampling (0 .. 2^32-2); null: a fresh seed per request. Greedy decoding ignores it. */
    public Long seed() { return seed; }

    /** Drops tokens less likely than {@code minP} times the most likely one (0 = off). */
    public Double minP() { return minP; }

    /** Divides the logits of recently seen tokens by this (1 = off). */
    public Double repeatPenalty() { return repeatPenalty; }

    /** Lossless speculative decoding policy ({@link Speculation#NONE}: plain decoding). */
    public Speculation speculation() { return speculation; }

    /** Keeps the tokenflow fields: LangChain4j merges a model's defaults with each request's parameters this way. */
    @Override
    public TokenflowChatRequestParameters overrideWith(ChatRequestParameters that) {
        return builder().overrideWith(this).overrideWith(that).build();
    }

    /** These values, with those of {@code that} where these are unset. */
    @Override
    public TokenflowChatRequestParameters defaultedBy(ChatRequestParameters that) {
        return builder().overrideWith(that).overrideWith(this).build();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (o == null || getClass() != o.getClass() || !super.equals(o)) return false;
        TokenflowChatRequestParameters that = (TokenflowChatRequestParameters) o;
        return Objects.equals(seed, that.seed) && Objects.equals(minP, that.minP)
                && Objects.equals(repeatPenalty, that.repeatPenalty) && speculation == that.speculation;
    }

    @Override
    public int hashCode() {
        return Objects.hash(super.hashCode(), seed, minP, repeatPenalty, speculation);
    }

    @Override
    public String toString() {
        return "TokenflowChatRequestParameters{modelName=" + modelName() + ", temperature=" + temperature()
                + ", topP=" + topP() + ", topK=" + topK() + ", minP=" + minP + ", repeatPenalty=" + repeatPenalty
                + ", maxOutputTokens=" + maxOutputTokens() + ", stopSequences=" + stopSequences() + ", seed=" + seed
                + ", speculation=" + speculation + ", frequencyPenalty=" + frequencyPenalty() + ", presencePenalty="
                + presencePenalty() + ", toolSpecifications=" + toolSpecifications() + ", toolChoice=" + toolChoice()
                + ", responseFormat=" + responseFormat() + "}";
    }

    public static Builder builder() { return new Builder(); }

    public static final class Builder extends DefaultChatRequestParameters.Builder<Builder> {
        private Long seed;
        private Double minP;
        private Double repeatPenalty;
        private Speculation speculation;

        public Builder() {}

        /** Takes every non-null value of {@code parameters}, the tokenflow ones too when it carries them. */
        @Override
        public Builder overrideWith(ChatRequestParameters parameters) {
            super.overrideWith(parameters);
            if (parameters instanceof TokenflowChatRequestParameters t) {
                if (t.seed() != null) seed = t.seed();
                if (t.minP() != null) minP = t.minP();
                if (t.repeatPenalty() != null) repeatPenalty = t.repeatPenalty();
                if (t.speculation() != null) speculation = t.speculation();
            }
            return this;
        }

        public Builder seed(Long seed) { this.seed = seed; return this; }

        public Builder minP(Double minP) { this.minP = minP; return this; }

        public Builder repeatPenalty(Double repeatPenalty) { this.repeatPenalty = repeatPenalty; return this; }

        public Builder speculation(Speculation speculation) { this.speculation = speculation; return this; }

        @Override
        public TokenflowChatRequestParameters build() { return new TokenflowChatRequestParameters(this); }
    }
}

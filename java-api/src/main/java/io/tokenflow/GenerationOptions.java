package io.tokenflow;

import io.tokenflow.speculative.Speculation;
import java.util.List;

/**
 * How to generate. Immutable; build with {@link #builder()}. Temperature 0 (the default) is greedy decoding.
 * Sampling stages run as llama.cpp's chain: repetition penalty, top-k, top-p, min-p, temperature, draw.
 *
 * @param maxTokens tokens to generate at most (> 0)
 * @param stopStrings generation stops before the first occurrence of any of these (not included in the text)
 * @param temperature 0 = greedy; otherwise the softmax temperature
 * @param topK keep the k most likely tokens (0 = off)
 * @param topP keep the smallest set with cumulative probability >= p (1 = off)
 * @param minP drop tokens with probability < minP x the top probability (0 = off)
 * @param repeatPenalty divide logits of recently seen tokens by this (1 = off)
 * @param repeatLastN how many recent tokens the penalty looks at (-1 = the whole context)
 * @param seed random seed; {@link #RANDOM_SEED} draws a fresh one
 * @param addSpecial add BOS as the model asks when tokenizing the prompt text
 * @param parseSpecial parse special-token text in the prompt (as llama.cpp's tools do)
 * @param ignoreEos keep generating past end-of-generation tokens
 * @param speculation lossless speculative decoding policy (greedy output is unchanged — exactly so
 *     with an F32 KV cache and flash attention off, since llama.cpp's CPU flash attention computes batches of
 *     several tokens in lower precision than single tokens, which can flip near-ties; with temperature > 0 every
 *     token is distributed exactly as plain sampling draws it, though the draws themselves differ)
 * @param draftBudget drafted nodes per step: {@link #AUTO_BUDGET} sizes trees from this machine's measured decode
 *     cost and the drafter's acceptance; 0 turns drafting off; otherwise a fixed budget (at most 255)
 */
public record GenerationOptions(int maxTokens, List<String> stopStrings, float temperature, int topK, float topP,
        float minP, float repeatPenalty, int repeatLastN, long seed, boolean addSpecial, boolean parseSpecial,
        boolean ignoreEos, Speculation speculation, int draftBudget) {

    public static final int AUTO_BUDGET = -1;

    public static final long RANDOM_SEED = 0xFFFFFFFFL;

    public GenerationOptions {
        if (maxTokens <= 0) throw new IllegalArgumentException("maxTokens must be positive, got " + maxTokens);
        if (stopStrings == null) throw new IllegalArgumentException("stop strings are null (use an empty list)");
        for (String s : stopStrings) {
            if (s == null) throw new IllegalArgumentException("a stop string is null");
            if (s.isEmpty()) throw new IllegalArgumentException("stop strings may not be empty");
        }
        stopStrings = List.copyOf(stopStrings);
        if (!(temperature >= 0) || Float.isInfinite(temperature)) throw new IllegalArgumentException("temperature must be finite and >= 0, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("topK must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        if (!(minP >= 0 && minP <= 1)) throw new IllegalArgumentException("minP must be in [0, 1], got " + minP);
        if (!(repeatPenalty > 0) || Float.isInfinite(repeatPenalty)) throw new IllegalArgumentException("repeatPenalty must be finite and > 0, got " + repeatPenalty);
        if (repeatLastN < -1) throw new IllegalArgumentException("repeatLastN must be >= -1, got " + repeatLastN);
        if (seed < 0 || seed > 0xFFFFFFFFL) throw new IllegalArgumentException("seed must be in [0, 2^32-1], got " + seed);
        if (speculation == null) throw new IllegalArgumentException("speculation is null (use Speculation.NONE)");
        if (draftBudget < AUTO_BUDGET || draftBudget > 255) {
            throw new IllegalArgumentException("draftBudget must be -1 (auto), 0 (off) or 1..255, got " + draftBudget);
        }
    }

    public boolean greedy() { return temperature == 0f; }

    public static GenerationOptions defaults() { return builder().build(); }

    public static GenerationOptions greedy(int maxTokens) { return builder().maxTokens(maxTokens).build(); }

    public static Builder builder() { return new Builder(); }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxTokens = maxTokens; b.stopStrings = stopStrings; b.temperature = temperature; b.topK = topK; b.topP = topP;
        b.minP = minP; b.repeatPenalty = repeatPenalty; b.repeatLastN = repeatLastN; b.seed = seed;
        b.addSpecial = addSpecial; b.parseSpecial = parseSpecial; b.ignoreEos = ignoreEos;
        b.speculation = speculation; b.draftBudget = draftBudget;
        return b;
    }

    public static final class Builder {
        private int maxTokens = 128;
        private List<String> stopStrings = List.of();
        private float temperature = 0f;
        private int topK = 40;
        private float topP = 0.95f;
        private float minP = 0.05f;
        private float repeatPenalty = 1f;
        private int repeatLastN = 64;
        private long seed = RANDOM_SEED;
        private boolean addSpecial = true;
        private boolean parseSpecial = true;
        private boolean ignoreEos = false;
        private Speculation speculation = Speculation.NONE;
        private int draftBudget = AUTO_BUDGET;

        public Builder maxTokens(int n) { maxTokens = n; return this; }
        /** Checked by {@link #build()} (null lists and null strings are refused there). */
        public Builder stopStrings(List<String> s) { stopStrings = s == null ? null : new java.util.ArrayList<>(s); return this; }
        public Builder stop(String... s) { stopStrings = s == null ? null : java.util.Arrays.asList(s.clone()); return this; }
        public Builder temperature(float t) { temperature = t; return this; }
        public Builder topK(int k) { topK = k; return this; }
        public Builder topP(float p) { topP = p; return this; }
        public Builder minP(float p) { minP = p; return this; }
        public Builder repeatPenalty(float p) { repeatPenalty = p; return this; }
        public Builder repeatLastN(int n) { repeatLastN = n; return this; }
        public Builder seed(long s) { seed = s; return this; }
        public Builder addSpecial(boolean b) { addSpecial = b; return this; }
        public Builder parseSpecial(boolean b) { parseSpecial = b; return this; }
        public Builder ignoreEos(boolean b) { ignoreEos = b; return this; }
        public Builder speculation(Speculation s) { speculation = s; return this; }
        public Builder draftBudget(int n) { draftBudget = n; return this; }
        public GenerationOptions build() {
            return new GenerationOptions(maxTokens, stopStrings, temperature, topK, topP, minP, repeatPenalty, repeatLastN,
                    seed, addSpecial, parseSpecial, ignoreEos, speculation, draftBudget);
        }
    }
}

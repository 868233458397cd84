package io.tokenflow.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * Everything that determines a tiny-model training run: shape, tokenizer size, initialisation, schedule, corpus
 * mix and curriculum, evaluation cadence, seed. With the same recipe (and one thread) a run is reproducible.
 *
 * @param layers       transformer blocks
 * @param width        {@code n_embd}
 * @param heads        attention heads (= KV heads)
 * @param ffn          feed-forward width
 * @param vocabSize    BPE vocabulary size, control tokens included (digits are never merged, see
 *                     {@link TinyModelTrainer})
 * @param context      the model's context: every training sequence (and document) fits in it
 * @param batchTokens  tokens per optimizer step: {@code batchTokens / context} sequences of {@code context}
 *                     tokens (a multiple of context and of 256). They are NOT independent: llama.cpp runs the
 *                     step as one window of batchTokens tokens (continuous positions, one KV cache), so a later
 *                     sequence attends to the earlier ones' keys and values (without gradient through them).
 *                     Trial t4 vs t5 in docs/MODELS.md: batchTokens = context (one sequence per step) trains far
 *                     better and faster; keep it so unless llama.cpp's trainer learns to clear the cache per
 *                     sequence.
 * @param initStd      std of the attention / FFN input matrices and the output matrix; residual projections
 *                     get {@code initStd / sqrt(2 * layers)}
 * @param embeddingStd std of the token embedding's initialisation (trained since llama.cpp patch 0002; before
 *                     it, llama.cpp kept it fixed)
 * @param schedule     learning rate schedule; its total is {@code steps}
 * @param steps        optimizer steps (one window of {@code context} tokens each)
 * @param mix          task family -> weight ("story", "copy", "passkey", "kv-recall", "multi-needle")
 * @param stages       curriculum: document lengths (tokens) by step; the last stage lasts to the end
 * @param evalEvery    steps between held-out evaluations (and checkpoints)
 * @param evalWindows  held-out windows per evaluation
 * @param retrievalSamples held-out pass key / kv-recall samples per length at each evaluation
 */
public record TrainRecipe(String name, int layers, int width, int heads, int ffn, int vocabSize, int context,
                          int batchTokens, double initStd, double embeddingStd, LrSchedule schedule, long steps, long seed,
                          Map<String, Double> mix, List<Stage> stages, int evalEvery, int evalWindows,
                          int retrievalSamples) {

    /** Documents of length uniform in [minTokens, maxTokens] until step {@code untilStep} (exclusive). */
    public record Stage(long untilStep, int minTokens, int maxTokens) {
        public Stage {
            if (minTokens < 1 || maxTokens < minTokens) throw new IllegalArgumentException("need 1 <= minTokens <= maxTokens");
        }
    }

    public TrainRecipe {
        if (layers < 1 || layers > 64) throw new IllegalArgumentException("layers must be in [1, 64]");
        if (width < 8 || heads < 1 || width % heads != 0 || (width / heads) % 2 != 0) {
            throw new IllegalArgumentException("width must be a multiple of heads with an even head size");
        }
        if (ffn < 1) throw new IllegalArgumentException("ffn must be >= 1");
        if (vocabSize < BpeTrainer.MIN_VOCAB) throw new IllegalArgumentException("vocabSize must be >= " + BpeTrainer.MIN_VOCAB);
        if (context < 16) throw new IllegalArgumentException("context must be >= 16");
        if (batchTokens < 256 || batchTokens % 256 != 0 || batchTokens % context != 0) {
            throw new IllegalArgumentException("batchTokens must be a multiple of 256 and of context");
        }
        if (!(initStd > 0) || !(embeddingStd > 0)) throw new IllegalArgumentException("init std must be > 0");
        if (steps < 1) throw new IllegalArgumentException("steps must be >= 1");
        if (schedule == null) throw new IllegalArgumentException("schedule is null");
        schedule = schedule.withTotalSteps(steps);
        if (mix == null || mix.isEmpty()) throw new IllegalArgumentException("empty mix");
        // sorted: Map.of iterates in a per-JVM random order, and the family draw depends on the order
        mix = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(mix));
        if (stages == null || stages.isEmpty()) throw new IllegalArgumentException("no stages");
        stages = List.copyOf(stages);
        if (evalEvery < 1 || evalWindows < 1 || retrievalSamples < 0) throw new IllegalArgumentException("bad eval settings");
    }

    /** The curriculum stage of {@code step}. */
    public Stage stageAt(long step) {
        for (Stage s : stages) if (step < s.untilStep()) return s;
        return stages.get(stages.size() - 1);
    }

    public long residualDivisor() { return 2L * layers; }

    public double residualStd() { return initStd / Math.sqrt(2.0 * layers); }

    /**
     * The current default (trial t6 in docs/MODELS.md; it does NOT meet the quality bars yet: no pass key answered):
     * 2 layers, width 128, 4 heads, context 256, one 256-token sequence per optimizer step (see {@code batchTokens}),
     * warm-up 300 then cosine 5e-4 -> 5e-5 over 13,000 steps (3.3M tokens, ~12 min on one thread), AdamW betas
     * 0.9 / 0.99, mix copy 4, pass key 4, kv-recall 2, story 1, documents of 30-250 tokens from the start.
     */
    public static TrainRecipe tiny() {
        return new TrainRecipe("tokenflow-tiny", 2, 128, 4, 384, 512, 256, 256, 0.02, 1.0,
                new LrSchedule(LrSchedule.Kind.COSINE, 5e-4, 5e-5, 300, 13000, 0.9, 0.99, 0.0), 13000, 1,
                Map.of("copy", 4.0, "passkey", 4.0, "kv-recall", 2.0, "story", 1.0),
                List.of(new Stage(Long.MAX_VALUE, 30, 250)), 2000, 8, 20);
    }

    /**
     * The packaged default model's recipe: a story writer (docs/MODELS.md, trials s1-s5). 4 layers, width 128, 4
     * heads, ffn 384, 768-token vocabulary (about all the story grammar's words are whole tokens), context 256, one
     * 256-token window per step, warm-up 500 then cosine 1.2e-4 -> 1.2e-5 over 24,000 steps (6.1M tokens, ~30 min on
     * one thread), stories only; the token embedding (init std 1.0) is trained too (llama.cpp patch 0002). Retrieval
     * is the constructed {@link InductionModel}'s job (the trials of {@link #tiny()} never produced it).
     */
    public static TrainRecipe stories() {
        return new TrainRecipe("tokenflow-stories", 4, 128, 4, 384, 768, 256, 256, 0.02, 1.0,
                new LrSchedule(LrSchedule.Kind.COSINE, 1.2e-4, 1.2e-5, 500, 24000, 0.9, 0.99, 0.0), 24000, 1,
                Map.of("story", 1.0), List.of(new Stage(Long.MAX_VALUE, 30, 250)), 2000, 8, 0);
    }

    /** Seconds-scale smoke run for tests: 1 layer, width 32. */
    public static TrainRecipe smoke() {
        return new TrainRecipe("tokenflow-smoke", 1, 32, 2, 64, 300, 256, 256, 0.02, 1.0,
                LrSchedule.cosine(3e-3, 1e-3, 5, 40), 40, 7,
                Map.of("story", 1.0, "passkey", 1.0), List.of(new Stage(Long.MAX_VALUE, 30, 120)), 40, 2, 0);
    }

    public TrainRecipe withSteps(long n) {
        return new TrainRecipe(name, layers, width, heads, ffn, vocabSize, context, batchTokens, initStd, embeddingStd, schedule, n,
                seed, mix, stages, evalEvery, evalWindows, retrievalSamples);
    }

    public TrainRecipe withSeed(long s) {
        return new TrainRecipe(name, layers, width, heads, ffn, vocabSize, context, batchTokens, initStd, embeddingStd, schedule,
                steps, s, mix, stages, evalEvery, evalWindows, retrievalSamples);
    }

    /** As key=value lines (written next to the model, compared on resume). */
    public Properties toProperties() {
        Properties p = new Properties();
        p.setProperty("name", name);
        p.setProperty("layers", "" + layers);
        p.setProperty("width", "" + width);
        p.setProperty("heads", "" + heads);
        p.setProperty("ffn", "" + ffn);
        p.setProperty("vocab", "" + vocabSize);
        p.setProperty("context", "" + context);
        p.setProperty("batch.tokens", "" + batchTokens);
        p.setProperty("init.std", "" + initStd);
        p.setProperty("init.embedding.std", "" + embeddingStd);
        p.setProperty("lr", schedule.kind() + " max=" + schedule.lrMax() + " min=" + schedule.lrMin() + " warmup="
                + schedule.warmupSteps() + " beta1=" + schedule.beta1() + " beta2=" + schedule.beta2() + " wd="
                + schedule.weightDecay());
        p.setProperty("steps", "" + steps);
        p.setProperty("seed", "" + seed);
        p.setProperty("mix", mix.toString());
        p.setProperty("stages", stages.toString());
        p.setProperty("eval", "every=" + evalEvery + " windows=" + evalWindows + " retrieval=" + retrievalSamples);
        return p;
    }
}

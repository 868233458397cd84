package io.tokenflow.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import io.tokenflow.StopReason;
import io.tokenflow.TokenListener;
import io.tokenflow.gguf.SyntheticLlama;
import io.tokenflow.speculative.Speculation;
import io.tokenflow.speculative.SpeculationStats;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lossless speculative decoding: for every policy and fixed tree budgets, greedy output is token-identical to
 * plain greedy output with the default session options (F16 KV cache, flash attention auto), on stories260K and on a synthetic random-weight model, including the
 * edges: the token limit or a stop string inside an accepted path, a nearly full context, cancellation.
 */
class SpeculativeGreedyTest {
    static final Speculation[] POLICIES = {Speculation.NGRAM, Speculation.LOOKAHEAD, Speculation.RECYCLING, Speculation.AUTO};
    static Model stories;

    @BeforeAll
    static void load() {
        stories = Model.load(ItEnv.stories());
    }

    @AfterAll
    static void close() {
        if (stories != null) stories.close();
    }

    /**
     * The options users run: F16 KV cache, flash attention auto, every core. Batch-invariant decoding steps (the
     * default) make a tree's rows equal one-token decodes bit for bit, so the outputs must be identical, not close.
     */
    static SessionOptions defaults(int ctx) {
        return SessionOptions.builder().contextSize(ctx).build();
    }

    /** 52 prompts: story openings, repetitive lists and copies (where drafts hit), long and one-word ones. */
    static List<String> prompts() {
        List<String> p = new ArrayList<>();
        String[] names = {"Lily", "Tom", "Sue", "Max", "Ben", "Amy", "Tim", "Zoe"};
        String[] things = {"ball", "dog", "cake", "tree", "car", "bird"};
        for (int i = 0; i < 16; i++) {
            p.add("Once upon a time, " + names[i % names.length] + " found a " + things[i % things.length] + ".");
        }
        for (int i = 0; i < 12; i++) {
            String s = names[i % names.length] + " likes the " + things[i % things.length] + ". ";
            p.add(s.repeat(2 + i % 3) + names[i % names.length] + " likes");
        }
        for (int i = 0; i < 10; i++) {
            p.add("1, 2, 3, 4, 5, 6, 7, 8, ".repeat(1 + i % 2) + (i + 1) + ",");
        }
        p.add("Once");
        p.add("The");
        p.add("a");
        p.add("She");
        String story = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. ";
        for (int i = 0; i < 10; i++) p.add(story.repeat(1 + i % 4) + "One day,");
        return p;
    }

    @Test
    void everyPolicyMatchesPlainGreedyOnStories() {
        List<String> prompts = prompts();
        assertThat(prompts).hasSizeGreaterThanOrEqualTo(50);
        try (Session plain = stories.newSession(defaults(1024))) {
            List<int[]> expected = new ArrayList<>();
            for (String p : prompts) expected.add(plain.generate(p, GenerationOptions.greedy(40)).tokens());
            for (Speculation policy : POLICIES) {
                for (int budget : new int[] {4, 24}) {
                    try (Session s = stories.newSession(defaults(1024))) {
                        double accepted = 0;
                        for (int i = 0; i < prompts.size(); i++) {
                            GenerationResult r = s.generate(prompts.get(i), GenerationOptions.builder().maxTokens(40)
                                    .speculation(policy).draftBudget(budget).build());
                            assertThat(r.tokens()).as("%s budget %d prompt %d: %s", policy, budget, i, prompts.get(i))
                                    .containsExactly(expected.get(i));
                            accepted += r.stats().speculation().orElseThrow().acceptedTokens();
                        }
                        // Repetitive prompts must let every drafter hit sometimes (a drafter that never proposes
                        // anything would pass the identity check trivially).
                        assertThat(accepted).as("%s budget %d accepted tokens", policy, budget).isPositive();
                    }
                }
            }
        }
    }

    /**
     * Hardware-sized trees (auto budget: sizes follow this machine's measured costs, so they differ from run to run)
     * over a context past 512 cells, where one-token decoding takes flash attention's split-KV path and trees take
     * the tiled one without batch invariance: three repeated runs per prompt, each identical to plain greedy.
     */
    @Test
    void repeatedAutoSizedRunsOverLongContextsMatchPlainGreedy() {
        String story = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. ";
        List<String> prompts = List.of(story.repeat(14) + "One day,", "Tom likes the dog. ".repeat(60) + "Tom",
                "1, 2, 3, 4, 5, 6, 7, 8, ".repeat(40) + "9,");
        try (Session plain = stories.newSession(defaults(1024)); Session s = stories.newSession(defaults(1024))) {
            for (String p : prompts) {
                int[] want = plain.generate(p, GenerationOptions.builder().maxTokens(96).ignoreEos(true).build()).tokens();
                assertThat(plain.cachedTokens()).as("the context passes 512 cells").isGreaterThan(512);
                for (int run = 0; run < 3; run++) {
                    GenerationResult r = s.generate(p, GenerationOptions.builder().maxTokens(96).ignoreEos(true)
                            .speculation(Speculation.AUTO).build());
                    assertThat(r.tokens()).as("run %d of %s...", run, p.substring(0, 20)).containsExactly(want);
                    SpeculationStats st = r.stats().speculation().orElseThrow();
                    assertThat(st.batchInvariant()).as("stats say the run was batch-invariant").isTrue();
                }
            }
        }
    }

    /**
     * The first hardware-sized generation for a model measures its decode-cost curve. That measurement once ran in
     * the caller's cache after the prompt and overwrote the prompt's logits ("no logits" on a fresh machine; every
     * later run read the curve from disk). A copy of the model at a new path has no cached curve.
     */
    @Test
    void firstAutoSizedGenerationOfAModelMatchesPlain(@TempDir Path dir) throws Exception {
        Path copy = dir.resolve("fresh-curve.gguf");
        java.nio.file.Files.copy(ItEnv.stories(), copy);
        try (Model m = Model.load(copy); Session plain = m.newSession(defaults(512)); Session spec = m.newSession(defaults(512))) {
            String p = "Once upon a time, Lily found a ball.";
            int[] want = plain.generate(p, GenerationOptions.builder().maxTokens(40).ignoreEos(true).build()).tokens();
            GenerationResult r = spec.generate(p, GenerationOptions.builder().maxTokens(40).ignoreEos(true)
                    .speculation(Speculation.AUTO).build());
            assertThat(r.tokens()).containsExactly(want);
            assertThat(spec.cachedTokens()).as("the probe left nothing in the caller's cache").isEqualTo(plain.cachedTokens());
        }
    }

    /**
     * A session given a batch-cost curve sizes trees for it, not for this machine: on a flat curve (a batch of 32
     * costs what one token costs) a repetitive prompt gets trees; on a steep one (n tokens cost n^2) none can pay and
     * every step is plain. Output is plain greedy's either way, and the stats price the run on the curve.
     */
    @Test
    void givenBatchCostCurveDecidesTheTreeSizes() {
        double[] flat = new double[32];
        double[] steep = new double[32];
        for (int n = 1; n <= 32; n++) {
            flat[n - 1] = 1e-3;
            steep[n - 1] = 1e-3 * n * n;
        }
        String p = "Tom likes the dog. Tom likes the dog. Tom likes the dog. Tom likes";
        GenerationOptions o = GenerationOptions.builder().maxTokens(40).ignoreEos(true).speculation(Speculation.NGRAM).build();
        try (Session plain = stories.newSession(defaults(512));
             Session cheap = stories.newSession(defaults(512).toBuilder().batchCostSeconds(flat).build());
             Session dear = stories.newSession(defaults(512).toBuilder().batchCostSeconds(steep).build())) {
            int[] want = plain.generate(p, GenerationOptions.builder().maxTokens(40).ignoreEos(true).build()).tokens();
            GenerationResult a = cheap.generate(p, o);
            GenerationResult b = dear.generate(p, o);
            assertThat(a.tokens()).containsExactly(want);
            assertThat(b.tokens()).containsExactly(want);
            SpeculationStats sa = a.stats().speculation().orElseThrow();
            SpeculationStats sb = b.stats().speculation().orElseThrow();
            assertThat(sa.draftedNodes()).as("flat curve: trees").isPositive();
            assertThat(sa.acceptedTokens()).isPositive();
            assertThat(sb.draftedNodes()).as("steep curve: no tree pays").isZero();
            assertThat(sa.batchSeconds(flat)).isCloseTo(sa.steps() * 1e-3, org.assertj.core.api.Assertions.within(1e-9));
        }
    }

    @Test
    void matchesPlainGreedyOnASyntheticModel(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("synthetic.gguf");
        SyntheticLlama.builder().layers(2).width(64).heads(4).kvHeads(2).ffn(128).vocabSize(300).contextLength(512)
                .seed(11).byteLevelTokenizer().build().write(file);
        try (Model m = Model.load(file); Session plain = m.newSession(defaults(512)); Session spec = m.newSession(defaults(512))) {
            for (String p : List.of("abc abc abc abc", "hello world", "x", "the cat sat on the mat. the cat sat on")) {
                int[] want = plain.generate(p, GenerationOptions.builder().maxTokens(48).ignoreEos(true).build()).tokens();
                for (Speculation policy : POLICIES) {
                    GenerationResult r = spec.generate(p, GenerationOptions.builder().maxTokens(48).ignoreEos(true)
                            .speculation(policy).draftBudget(16).build());
                    assertThat(r.tokens()).as("%s on %s", policy, p).containsExactly(want);
                }
            }
        }
    }

    @Test
    void tokenLimitAndStopStringInsideAnAcceptedPath() {
        String p = "1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3,";
        try (Session plain = stories.newSession(defaults(512)); Session s = stories.newSession(defaults(512))) {
            for (int max = 1; max <= 9; max++) {
                GenerationResult want = plain.generate(p, GenerationOptions.greedy(max));
                GenerationResult got = s.generate(p, GenerationOptions.builder().maxTokens(max)
                        .speculation(Speculation.NGRAM).draftBudget(16).build());
                assertThat(got.tokens()).as("max %d", max).containsExactly(want.tokens());
                assertThat(got.stopReason()).isEqualTo(StopReason.MAX_TOKENS);
                // No tree drafts past the limit (a step emits at most depth + 1 tokens; the chain's nodes are its depth).
                assertThat(got.stats().speculation().orElseThrow().stepsByDraftedNodes().length - 1).as("longest chain, max %d", max)
                        .isLessThanOrEqualTo(max - 1);
                // The cache holds exactly what plain decoding would hold: a continuation reuses it correctly.
                GenerationResult next = s.generate(p + got.text(), GenerationOptions.greedy(8));
                GenerationResult fresh = plain.generate(p + got.text(), GenerationOptions.greedy(8));
                assertThat(next.tokens()).containsExactly(fresh.tokens());
            }
            // A stop string taken from the middle of the plain continuation, so it falls inside some accepted path.
            String full = plain.generate(p, GenerationOptions.greedy(40)).text();
            String stop = full.substring(full.length() / 2, full.length() / 2 + 3);
            GenerationResult want = plain.generate(p, GenerationOptions.builder().maxTokens(40).stop(stop).build());
            List<String> pieces = new ArrayList<>();
            GenerationResult got = s.generate(p, GenerationOptions.builder().maxTokens(40).stop(stop)
                    .speculation(Speculation.NGRAM).draftBudget(16).build(), (t, text) -> pieces.add(text));
            assertThat(want.stopReason()).isEqualTo(StopReason.STOP_STRING);
            assertThat(got.stopReason()).isEqualTo(StopReason.STOP_STRING);
            assertThat(got.text()).isEqualTo(want.text()).doesNotContain(stop);
            assertThat(got.tokens()).containsExactly(want.tokens());
            assertThat(String.join("", pieces)).isEqualTo(got.text());
        }
    }

    @Test
    void nearlyFullContextEndsLikePlainDecoding() {
        String p = "Once upon a time, there was a little girl named Lily.";
        int promptTokens = stories.tokenizer().encode(p).length;
        int ctx = promptTokens + 12;
        try (Session plain = stories.newSession(defaults(ctx)); Session s = stories.newSession(defaults(ctx))) {
            // llama.cpp rounds the context up (to 256 here): run until it is full.
            GenerationOptions.Builder b = GenerationOptions.builder().maxTokens(4 * plain.contextSize()).ignoreEos(true);
            GenerationResult want = plain.generate(p, b.build());
            GenerationResult got = s.generate(p, b.speculation(Speculation.AUTO).draftBudget(32).build());
            assertThat(want.stopReason()).isEqualTo(StopReason.CONTEXT_FULL);
            assertThat(got.stopReason()).isEqualTo(StopReason.CONTEXT_FULL);
            assertThat(got.tokens()).containsExactly(want.tokens());
        }
    }

    @Test
    void cancellationStopsWithinAStep() throws Exception {
        String p = "1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8,";
        try (Session s = stories.newSession(defaults(2048))) {
            AtomicInteger seen = new AtomicInteger();
            AtomicInteger atCancel = new AtomicInteger(-1);
            TokenListener l = (t, text) -> {
                if (seen.incrementAndGet() == 30) {
                    s.cancel();
                    atCancel.set(seen.get());
                }
            };
            GenerationResult r = s.generate(p, GenerationOptions.builder().maxTokens(1500).ignoreEos(true)
                    .speculation(Speculation.NGRAM).draftBudget(16).build(), l);
            assertThat(r.stopReason()).isEqualTo(StopReason.CANCELLED);
            // The step in flight may still emit its accepted path (at most budget + 1 tokens).
            assertThat(r.tokens().length - atCancel.get()).isLessThanOrEqualTo(17);
        }
    }

    @Test
    void recyclingLearnsAcrossGenerationsOfASession() {
        String p = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.";
        try (Session s = stories.newSession(defaults(1024))) {
            GenerationOptions o = GenerationOptions.builder().maxTokens(60).speculation(Speculation.RECYCLING).draftBudget(80).build();
            double first = s.generate(p, o).stats().speculation().orElseThrow().meanAcceptedPerStep();
            s.reset();
            double second = s.generate(p, o).stats().speculation().orElseThrow().meanAcceptedPerStep();
            assertThat(second).as("accepted per step, second run vs first (%s)", first).isGreaterThan(first);
        }
    }

    @Test
    void recyclingMatrixSavedFromOneSessionWarmsAnother(@TempDir Path dir) throws Exception {
        String p = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park.";
        GenerationOptions o = GenerationOptions.builder().maxTokens(60).speculation(Speculation.RECYCLING).draftBudget(80).build();
        Path matrix = dir.resolve("recycling.bin");
        double cold;
        try (Session s = stories.newSession(defaults(1024))) {
            cold = s.generate(p, o).stats().speculation().orElseThrow().meanAcceptedPerStep();
            s.saveRecyclingMatrix(matrix);
        }
        try (Session s = stories.newSession(defaults(1024))) {
            s.loadRecyclingMatrix(matrix);
            GenerationResult warm = s.generate(p, o);
            assertThat(warm.stats().speculation().orElseThrow().meanAcceptedPerStep()).isGreaterThan(cold);
        }
    }
}

package io.tokenflow.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokenflow.ContextOverflowException;
import io.tokenflow.FlashAttention;
import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.KvCacheType;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import io.tokenflow.StopReason;
import io.tokenflow.kv.KvCompression;
import io.tokenflow.kv.KvStats;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * KV-cache compression end to end on stories260K: a budget that holds the whole prompt changes nothing; real
 * budgets evict exactly what the stats say (checked against llama.cpp's own cell count), never reuse an evicted
 * position, and decoding goes on for 500 tokens; prompts longer than the context run in chunks; bad budgets are
 * refused before any work.
 */
class KvCompressionTest {
    static final String[] POLICIES = {"streaming", "snapkv", "windowkv"};
    static Model stories;

    @BeforeAll
    static void load() {
        stories = Model.load(ItEnv.stories());
    }

    @AfterAll
    static void close() {
        if (stories != null) stories.close();
    }

    static SessionOptions options(int ctx, String kv) {
        return SessionOptions.builder().contextSize(ctx).threads(ItEnv.THREADS).kvCacheType(KvCacheType.F32)
                .flashAttention(FlashAttention.OFF).kvCompression(kv == null ? KvCompression.none() : KvCompression.parse(kv)).build();
    }

    /** A story of about n tokens (stories260K's vocabulary: simple words). */
    static int[] story(int n) {
        String[] parts = {"Once upon a time, there was a little girl named Lily.", "She loved to play outside in the park.",
            "One day, she saw a big, red ball under a tree.", "Her friend Tom came and said, \"Can I play too?\"",
            "They played all day and were very happy.", "Then it started to rain, so they ran home.",
            "Mom gave them warm milk and a cookie.", "The pass word is blue fish."};
        StringBuilder b = new StringBuilder();
        int i = 0;
        while (stories.tokenizer().encode(b.toString()).length < n) b.append(parts[i++ % parts.length]).append(' ');
        int[] t = stories.tokenizer().encode(b.toString());
        return Arrays.copyOf(t, n);
    }

    @ParameterizedTest
    @ValueSource(strings = {"streaming", "snapkv", "windowkv"})
    void budgetHoldingThePromptChangesNoLogit(String policy) {
        int[] prompt = story(150);
        try (Session full = stories.newSession(options(512, null));
             Session same = stories.newSession(options(512, policy + ":150"));
             Session whole = stories.newSession(options(512, policy + ":1.0"))) {
            float[] want = full.scoring().prefill(prompt);
            assertThat(same.scoring().prefill(prompt)).containsExactly(want);
            assertThat(whole.scoring().prefill(prompt)).containsExactly(want);
            int[] next = {prompt[3], prompt[4], prompt[5]};
            float[] wantNext = full.scoring().evaluate(next);
            float[] gotNext = same.scoring().evaluate(next);
            for (int i = 0; i < wantNext.length; i++) {
                assertThat((double) gotNext[i]).isCloseTo(wantNext[i], org.assertj.core.data.Offset.offset(1e-5 * Math.max(1, Math.abs(wantNext[i]))));
            }
            assertThat(same.kvStats().orElseThrow().evictedTokens()).isZero();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"streaming", "snapkv", "windowkv"})
    void evictsToTheBudgetAndGenerates500TokensAfter(String policy) {
        int[] prompt = story(300);
        try (Session s = stories.newSession(options(1024, policy + ":0.25"))) {
            GenerationResult r = s.generate(prompt, GenerationOptions.builder().maxTokens(500).temperature(0).ignoreEos(true).build(),
                    io.tokenflow.TokenListener.NONE);
            assertThat(r.stopReason()).isEqualTo(StopReason.MAX_TOKENS);
            assertThat(r.tokens()).hasSize(500);
            KvStats kv = r.stats().kv().orElseThrow();
            int[] pos = s.scoring().cachedPositions();
            // llama.cpp's own count agrees with the stats; the prompt kept at most its budget (75 cells).
            assertThat(kv.cellsUsed()).isEqualTo(pos.length);
            assertThat(kv.cellsFull()).isEqualTo(799);  // the last sampled token is not decoded
            assertThat(kv.evictedTokens()).isEqualTo(799 - pos.length);
            long promptKept = Arrays.stream(pos).filter(p -> p < 300).count();
            assertThat(promptKept).isEqualTo(300 - kv.evictedTokens()).isLessThanOrEqualTo(75).isGreaterThan(60);
            // No position twice, none beyond the last generated one, every generated token at its own new position.
            assertThat(pos).isSorted().doesNotHaveDuplicates();
            assertThat(pos[pos.length - 1]).isEqualTo(798);
            assertThat(Arrays.stream(pos).filter(p -> p >= 300).count()).isEqualTo(499);
            assertThat(kv.bytesUsed()).isLessThan(kv.bytesFull());
            assertThat(r.text()).isNotBlank();
        }
    }

    @Test
    void policiesKeepWhatTheyPromise() {
        int[] prompt = story(200);
        try (Session s = stories.newSession(options(512, "streaming:40,sinks=4"))) {
            s.scoring().prefill(prompt);
            int[] pos = s.scoring().cachedPositions();
            assertThat(pos).hasSize(40);
            assertThat(Arrays.copyOf(pos, 4)).containsExactly(0, 1, 2, 3);
            assertThat(pos[4]).isEqualTo(200 - 36);
        }
        try (Session s = stories.newSession(options(512, "windowkv:64,task=other"))) {
            s.scoring().prefill(prompt);
            int[] pos = s.scoring().cachedPositions();
            // The observation window (16 tokens for task=other) stays; the review part is whole windows of 8.
            for (int p = 184; p < 200; p++) assertThat(pos).contains(p);
            assertThat(pos.length).isBetween(64 - 7, 64);
            for (int p : pos) {
                if (p >= 184) continue;
                int w0 = p / 8 * 8;
                for (int q = w0; q < Math.min(w0 + 8, 184); q++) assertThat(pos).contains(q);
            }
        }
        try (Session s = stories.newSession(options(512, "snapkv:64"))) {
            s.scoring().prefill(prompt);
            int[] pos = s.scoring().cachedPositions();
            assertThat(pos).hasSize(64);
            for (int p = 168; p < 200; p++) assertThat(pos).contains(p);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"streaming:64", "snapkv:96", "windowkv:96"})
    void promptLongerThanTheContextRunsInChunks(String kv) {
        int[] prompt = story(1000);
        try (Session s = stories.newSession(options(256, kv))) {
            GenerationResult r = s.generate(prompt, GenerationOptions.builder().maxTokens(40).temperature(0).ignoreEos(true).build(),
                    io.tokenflow.TokenListener.NONE);
            assertThat(r.tokens()).hasSize(40);
            int[] pos = s.scoring().cachedPositions();
            assertThat(pos.length).isLessThanOrEqualTo(256);
            assertThat(pos).isSorted().doesNotHaveDuplicates();
            assertThat(pos[pos.length - 1]).isEqualTo(1038);
            KvStats st = r.stats().kv().orElseThrow();
            assertThat(st.cellsUsed()).isEqualTo(pos.length);
            assertThat(st.evictedTokens()).isEqualTo(1039 - pos.length);
        }
    }

    @Test
    void speculationOverACompressedCacheStaysLossless() {
        int[] prompt = story(300);
        GenerationOptions plain = GenerationOptions.builder().maxTokens(120).temperature(0).ignoreEos(true).build();
        try (Session a = stories.newSession(options(1024, "snapkv:0.3"));
             Session b = stories.newSession(options(1024, "snapkv:0.3"))) {
            GenerationResult want = a.generate(prompt, plain, io.tokenflow.TokenListener.NONE);
            GenerationResult got = b.generate(prompt, plain.toBuilder().speculation(io.tokenflow.speculative.Speculation.LOOKAHEAD)
                    .draftBudget(4).build(), io.tokenflow.TokenListener.NONE);
            assertThat(got.tokens()).containsExactly(want.tokens());
            assertThat(got.stats().speculation().orElseThrow().steps()).isLessThan(120);
            assertThat(b.scoring().cachedPositions()).isEqualTo(a.scoring().cachedPositions());
        }
    }

    @Test
    void badBudgetsAreRefused() {
        for (String bad : new String[] {"windowkv:0", "snapkv:-3", "streaming:1.5", "windowkv:0%", "snapkv:abc", "lru:0.5"}) {
            assertThatThrownBy(() -> KvCompression.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        int[] prompt = story(200);
        try (Session s = stories.newSession(options(512, "snapkv:10"))) {
            assertThatThrownBy(() -> s.scoring().prefill(prompt)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("10");
            // Nothing was lost: the session still works.
            assertThat(s.isClosed()).isFalse();
        }
        try (Session s = stories.newSession(options(256, "windowkv:240"))) {
            assertThatThrownBy(() -> s.scoring().prefill(story(400))).isInstanceOf(ContextOverflowException.class).hasMessageContaining("budget");
        }
        assertThatThrownBy(() -> SessionOptions.builder().kvCacheType(KvCacheType.Q8_0).kvCompression(KvCompression.parse("snapkv:0.5")).build())
                .isInstanceOf(IllegalArgumentException.class);
    }
}

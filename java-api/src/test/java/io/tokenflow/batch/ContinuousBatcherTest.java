package io.tokenflow.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tokenflow.ContextOverflowException;
import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.Model;
import io.tokenflow.StopReason;
import io.tokenflow.TokenListener;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ContinuousBatcherTest {
    private static final String[] PROMPTS = {
        "Once upon a time", "The little dog", "Lily and Ben went to the park", "One day, a girl named Sue",
        "The sun was hot and", "Tom had a red ball. He", "There was a big tree", "Mom said"};
    private static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(Path.of(System.getProperty("tokenflow.models.dir", "../tests/models")).resolve("stories260K.gguf"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static int[] tokens(String s) { return model.tokenizer().encode(s); }

    private static GenerationResult get(BatchRequest r) throws Exception {
        return r.result().get(60, TimeUnit.SECONDS);
    }

    @Test
    void concurrentGreedyStreamsEqualTheSameRequestsAlone() throws Exception {
        GenerationOptions g = GenerationOptions.builder().maxTokens(40).temperature(0).build();
        BatcherOptions o = BatcherOptions.builder().slots(4).contextSize(1024).threads(2).prefillChunk(5).build();
        List<GenerationResult> alone = new ArrayList<>();
        try (ContinuousBatcher b = ContinuousBatcher.start(model, o)) {
            for (String p : PROMPTS) alone.add(get(b.submit(tokens(p), g, TokenListener.NONE)));
        }
        try (ContinuousBatcher b = ContinuousBatcher.start(model, o)) {
            List<BatchRequest> rs = new ArrayList<>();
            List<StringBuilder> streamed = new ArrayList<>();
            for (String p : PROMPTS) {
                StringBuilder sb = new StringBuilder();
                streamed.add(sb);
                rs.add(b.submit(tokens(p), g, (t, text) -> sb.append(text)));
            }
            for (int i = 0; i < PROMPTS.length; i++) {
                GenerationResult r = get(rs.get(i));
                assertEquals(alone.get(i).text(), r.text(), "prompt " + i + " differs when batched");
                assertArrayEquals(alone.get(i).tokens(), r.tokens());
                assertEquals(r.text(), streamed.get(i).toString(), "streamed text of prompt " + i);
                assertTrue(r.tokens().length > 0);
            }
            BatcherStats st = b.stats();
            assertEquals(PROMPTS.length, st.requestsTotal());
            assertTrue(st.decodeRowsTotal() > st.decodeCalls(), "steps decoded several slots at once: " + st);
            assertEquals(0, st.activeSlots());
        }
    }

    @Test
    void aCachedPrefixIsReusedInWholeChunksAndGivesTheSameAnswer() throws Exception {
        GenerationOptions g = GenerationOptions.builder().maxTokens(20).temperature(0).build();
        int[] first = tokens("Once upon a time, there was a little girl named Lily. She");
        int[] second = tokens("Once upon a time, there was a little girl named Lily. She liked to play outside with her friends");
        for (boolean invariantPrompts : new boolean[] {false, true}) {
            BatcherOptions o = BatcherOptions.builder().slots(2).contextSize(512).threads(2).prefillChunk(8)
                    .invariantPrompts(invariantPrompts).build();
            GenerationResult fresh;
            try (ContinuousBatcher b = ContinuousBatcher.start(model, o)) {
                fresh = get(b.submit(second, g, TokenListener.NONE));
                assertEquals(0, fresh.stats().cachedPromptTokens());
            }
            try (ContinuousBatcher b = ContinuousBatcher.start(model, o)) {
                get(b.submit(first, g, TokenListener.NONE));
                GenerationResult r = get(b.submit(second, g, TokenListener.NONE));
                int common = 0;
                while (common < first.length && first[common] == second[common]) common++;
                int reused = r.stats().cachedPromptTokens();
                if (invariantPrompts) {
                    assertTrue(reused >= common, "any cached cell is reusable: " + reused + " of " + common);
                } else {
                    // only whole chunks of 8 that a fresh prefill computes alike (the first prompt's partial last
                    // chunk is not reused)
                    assertEquals(common - common % 8, Math.min(reused, common - common % 8));
                    assertEquals(0, reused % 8, "reused " + reused);
                    assertTrue(reused > 0 && reused <= first.length - first.length % 8, "reused " + reused);
                }
                assertEquals(fresh.text(), r.text(), "invariantPrompts=" + invariantPrompts);
                assertArrayEquals(fresh.tokens(), r.tokens());
            }
        }
    }

    @Test
    void aSlotHandedOverIsRestoredFromThePromptCacheAndGivesTheSameAnswer() throws Exception {
        GenerationOptions g = GenerationOptions.builder().maxTokens(12).temperature(0).build();
        int[] a = tokens("Once upon a time, there was a little girl named Lily. She loved to play in the park with her dog");
        int[] aNext = tokens("Once upon a time, there was a little girl named Lily. She loved to play in the park with her dog. One day");
        int[] b = tokens("The sun was hot and the sky was blue.");
        int[] c = tokens("Tom had a big red ball and a small boat.");
        for (boolean invariantPrompts : new boolean[] {true, false}) {
            for (long cacheBytes : new long[] {64L << 20, 0}) {
                BatcherOptions o = BatcherOptions.builder().slots(2).contextSize(512).threads(2).prefillChunk(8)
                        .invariantPrompts(invariantPrompts).promptCacheBytes(cacheBytes).build();
                GenerationResult fresh;
                try (ContinuousBatcher bt = ContinuousBatcher.start(model, o)) {
                    fresh = get(bt.submit(aNext, g, TokenListener.NONE));
                }
                try (ContinuousBatcher bt = ContinuousBatcher.start(model, o)) {
                    get(bt.submit(a, g, TokenListener.NONE));  // slot 0
                    get(bt.submit(b, g, TokenListener.NONE));  // slot 1 (the free one)
                    get(bt.submit(c, g, TokenListener.NONE));  // takes slot 0 (least recently used): a's state saved
                    GenerationResult r = get(bt.submit(aNext, g, TokenListener.NONE));
                    BatcherStats st = bt.stats();
                    String what = "invariantPrompts=" + invariantPrompts + " cache=" + cacheBytes;
                    assertEquals(fresh.text(), r.text(), what);
                    assertArrayEquals(fresh.tokens(), r.tokens(), what);
                    if (cacheBytes > 0) {
                        assertEquals(1, st.promptCacheRestores(), what);
                        assertTrue(st.promptCacheBytes() > 0 && st.promptCacheBytes() <= cacheBytes, what + ": " + st);
                        int min = invariantPrompts ? a.length : a.length - a.length % 8 - 8;
                        assertTrue(r.stats().cachedPromptTokens() >= min, what + ": reused " + r.stats().cachedPromptTokens());
                    } else {
                        assertEquals(0, st.promptCacheRestores(), what);
                        assertEquals(0, st.promptCacheBytes(), what);
                        assertTrue(r.stats().cachedPromptTokens() <= 1, what + ": only the BOS token is shared with a slot");
                    }
                }
            }
        }
        assertThrows(IllegalArgumentException.class, () -> BatcherOptions.builder().promptCacheBytes(-1).build());
    }

    @Test
    void cancelFreesTheSlotWithinAStep() throws Exception {
        GenerationOptions longRun = GenerationOptions.builder().maxTokens(500).ignoreEos(true).temperature(0).build();
        try (ContinuousBatcher b = ContinuousBatcher.start(model, BatcherOptions.builder().slots(1).contextSize(1024).threads(2).build())) {
            CountDownLatch started = new CountDownLatch(3);
            BatchRequest r = b.submit(tokens("Once upon a time"), longRun, (t, text) -> started.countDown());
            assertTrue(started.await(30, TimeUnit.SECONDS));
            r.cancel();
            GenerationResult res = get(r);
            assertEquals(StopReason.CANCELLED, res.stopReason());
            assertTrue(res.tokens().length < 500);
            GenerationResult next = get(b.submit(tokens("The dog"), GenerationOptions.greedy(5), TokenListener.NONE));
            assertEquals(5, next.tokens().length);
            assertEquals(1, b.stats().requestsCancelled());
        }
    }

    @Test
    void aFullQueueIsRefusedAndBadInputIsTyped() throws Exception {
        GenerationOptions longRun = GenerationOptions.builder().maxTokens(300).ignoreEos(true).build();
        try (ContinuousBatcher b = ContinuousBatcher.start(model,
                BatcherOptions.builder().slots(1).queueCapacity(1).contextSize(1024).threads(2).build())) {
            BatchRequest a = b.submit(tokens("A"), longRun, TokenListener.NONE);
            BatchRequest c = b.submit(tokens("B"), longRun, TokenListener.NONE);
            // one running (or about to be) and one queued: a third has no room
            assertThrows(QueueFullException.class, () -> {
                b.submit(tokens("C"), longRun, TokenListener.NONE);
                b.submit(tokens("D"), longRun, TokenListener.NONE);
            });
            a.cancel();
            c.cancel();
            assertEquals(StopReason.CANCELLED, get(a).stopReason());
            assertEquals(StopReason.CANCELLED, get(c).stopReason());

            GenerationOptions g = GenerationOptions.greedy(4);
            assertThrows(IllegalArgumentException.class, () -> b.submit(new int[0], g, TokenListener.NONE));
            assertThrows(IllegalArgumentException.class, () -> b.submit(new int[] {1, 1 << 20}, g, TokenListener.NONE));
            assertThrows(IllegalArgumentException.class, () -> b.submit(new int[] {-1}, g, TokenListener.NONE));
            assertThrows(IllegalArgumentException.class, () -> b.submit(tokens("A"), g, 21, (t, x, l) -> { }));
            assertThrows(IllegalArgumentException.class, () -> b.submit(tokens("A"), null, TokenListener.NONE));
            assertThrows(ContextOverflowException.class, () -> b.submit(new int[1024], g, TokenListener.NONE));
        }
        assertThrows(IllegalArgumentException.class, () -> BatcherOptions.builder().slots(0).build());
        assertThrows(IllegalArgumentException.class, () -> BatcherOptions.builder().slots(8).contextSize(4).build());
        assertThrows(IllegalArgumentException.class, () -> BatcherOptions.builder().prefillChunk(0).build());
    }

    @Test
    void logprobsDescribeTheGreedyChoice() throws Exception {
        try (ContinuousBatcher b = ContinuousBatcher.start(model, BatcherOptions.builder().slots(2).contextSize(512).threads(2).build())) {
            List<TokenLogprobs> seen = new ArrayList<>();
            GenerationResult r = get(b.submit(tokens("Once upon a time"), GenerationOptions.greedy(12), 3, (t, text, lp) -> {
                if (t >= 0) seen.add(lp);
                else assertNull(lp);
            }));
            assertEquals(r.tokens().length, seen.size());
            for (int i = 0; i < seen.size(); i++) {
                TokenLogprobs lp = seen.get(i);
                assertEquals(r.tokens()[i], lp.token());
                assertEquals(3, lp.topTokens().length);
                assertEquals(lp.token(), lp.topTokens()[0], "greedy takes the most likely token");
                assertEquals(lp.logprob(), lp.topLogprobs()[0], 0f);
                assertTrue(lp.topLogprobs()[0] >= lp.topLogprobs()[1] && lp.topLogprobs()[1] >= lp.topLogprobs()[2]);
                double mass = 0;
                for (float x : lp.topLogprobs()) {
                    assertTrue(x <= 0f);
                    mass += Math.exp(x);
                }
                assertTrue(mass <= 1.0 + 1e-5, "probabilities sum to at most 1: " + mass);
            }
        }
    }

    @Test
    void aFullContextEndsTheRequestNotTheBatcher() throws Exception {
        GenerationOptions longRun = GenerationOptions.builder().maxTokens(1000).ignoreEos(true).temperature(0).build();
        try (ContinuousBatcher b = ContinuousBatcher.start(model, BatcherOptions.builder().slots(2).contextSize(128).threads(2).build())) {
            BatchRequest r1 = b.submit(tokens("Once upon a time"), longRun, TokenListener.NONE);
            BatchRequest r2 = b.submit(tokens("The little dog"), longRun, TokenListener.NONE);
            GenerationResult a = get(r1), c = get(r2);
            assertEquals(StopReason.CONTEXT_FULL, a.stopReason());
            assertEquals(StopReason.CONTEXT_FULL, c.stopReason());
            // each slot has 128 / 2 cells: prompt + generated tokens (the last one never enters the cache)
            assertEquals(64 + 1, a.tokens().length + tokens("Once upon a time").length);
            assertEquals(64 + 1, c.tokens().length + tokens("The little dog").length);
            GenerationResult next = get(b.submit(tokens("Mom"), GenerationOptions.greedy(3), TokenListener.NONE));
            assertEquals(3, next.tokens().length, "the batcher still serves after a full context");
        }
    }

    @Test
    void aThrowingListenerFailsOnlyItsRequest() throws Exception {
        try (ContinuousBatcher b = ContinuousBatcher.start(model, BatcherOptions.builder().slots(2).contextSize(512).threads(2).build())) {
            BatchRequest bad = b.submit(tokens("Once"), GenerationOptions.greedy(10), (t, text) -> {
                throw new IllegalStateException("listener failed");
            });
            ExecutionException e = assertThrows(ExecutionException.class, () -> bad.result().get(30, TimeUnit.SECONDS));
            assertEquals("listener failed", e.getCause().getMessage());
            assertEquals(4, get(b.submit(tokens("The dog"), GenerationOptions.greedy(4), TokenListener.NONE)).tokens().length);
        }
    }

    @Test
    void shutdownEndsRunningAndQueuedRequestsAndRefusesNewOnes() throws Exception {
        GenerationOptions longRun = GenerationOptions.builder().maxTokens(100000).ignoreEos(true).build();
        ContinuousBatcher b = ContinuousBatcher.start(model, BatcherOptions.builder().slots(1).contextSize(4096).threads(2).build());
        CountDownLatch started = new CountDownLatch(1);
        BatchRequest running = b.submit(tokens("Once"), longRun, (t, text) -> started.countDown());
        BatchRequest queued = b.submit(tokens("Twice"), longRun, TokenListener.NONE);
        assertTrue(started.await(30, TimeUnit.SECONDS));
        assertFalse(b.shutdown(Duration.ofMillis(100)), "the running request could not finish in 100 ms");
        assertEquals(StopReason.CANCELLED, get(running).stopReason());
        assertEquals(StopReason.CANCELLED, get(queued).stopReason());
        assertThrows(IllegalStateException.class, () -> b.submit(tokens("A"), GenerationOptions.greedy(2), TokenListener.NONE));
        b.close();
        b.close();
        assertTrue(b.isClosed());
    }

    @Test
    void closingTheModelClosesItsBatcher() throws Exception {
        Model m = Model.load(Path.of(System.getProperty("tokenflow.models.dir", "../tests/models")).resolve("stories260K.gguf"));
        ContinuousBatcher b = ContinuousBatcher.start(m, BatcherOptions.builder().slots(1).contextSize(256).threads(1).build());
        AtomicReference<CompletableFuture<GenerationResult>> f = new AtomicReference<>(
                b.submit(m.tokenizer().encode("Once"), GenerationOptions.greedy(3), TokenListener.NONE).result());
        assertEquals(3, f.get().get(30, TimeUnit.SECONDS).tokens().length);
        m.close();
        assertTrue(b.isClosed());
        assertThrows(IllegalStateException.class, () -> b.submit(new int[] {1}, GenerationOptions.greedy(2), TokenListener.NONE));
    }
}

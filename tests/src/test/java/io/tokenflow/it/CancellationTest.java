package io.tokenflow.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import io.tokenflow.StopReason;
import io.tokenflow.TokenListener;
import io.tokenflow.gguf.GgmlType;
import io.tokenflow.gguf.SyntheticLlama;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Session#cancel()} from another thread stops token generation and prompt prefill promptly. */
class CancellationTest {
    static ExecutorService pool;

    @BeforeAll
    static void start() {
        pool = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cancellation-test-generator");
            t.setDaemon(true);
            return t;
        });
    }

    @AfterAll
    static void stop() {
        pool.shutdownNow();
    }

    @Test
    void cancelDuringGenerationStopsWithinOneToken() throws Exception {
        try (Model model = Model.load(ItEnv.stories());
             Session s = model.newSession(ItEnv.sessionOptions(2048).build())) {
            AtomicInteger seen = new AtomicInteger();
            CountDownLatch twenty = new CountDownLatch(1);
            TokenListener listener = (token, text) -> {
                int n = seen.incrementAndGet();
                if (n == 20) twenty.countDown();
                if (n >= 20) {
                    // ~1 ms per token from here: the 2028 tokens left before the context is full then take > 2 s,
                    // so a test thread that wakes up late on a busy machine still cancels a running generation
                    LockSupport.parkNanos(1_000_000);
                }
            };
            GenerationOptions o = GenerationOptions.builder().maxTokens(100_000).ignoreEos(true).build();
            Future<GenerationResult> f = pool.submit(() -> s.generate("Once upon a time", o, listener));
            assertThat(twenty.await(60, TimeUnit.SECONDS)).as("the listener saw 20 tokens").isTrue();
            long t0 = System.nanoTime();
            s.cancel();
            int atCancel = seen.get();
            GenerationResult r = f.get(30, TimeUnit.SECONDS);
            double latencyMs = (System.nanoTime() - t0) / 1e6;
            System.out.printf("[CancellationTest] generation: %d tokens seen when cancel() returned, %d in the result, "
                    + "returned %.2f ms after cancel()%n", atCancel, r.tokens().length, latencyMs);
            assertThat(r.stopReason()).isEqualTo(StopReason.CANCELLED);
            assertThat(r.tokens().length - atCancel).as("tokens generated after cancel() returned").isBetween(0, 1);
            assertThat(r.tokens().length).isEqualTo(seen.get());
            // the session works afterwards and continues where the cache is consistent
            GenerationResult again = s.generate("Once upon a time", GenerationOptions.greedy(8));
            assertThat(again.stopReason()).isEqualTo(StopReason.MAX_TOKENS);
            assertThat(again.tokens()).containsExactly(Arrays.copyOf(r.tokens(), 8));
        }
    }

    @Test
    void cancelWithoutARunningGenerationIsHarmless() {
        try (Model model = Model.load(ItEnv.stories());
             Session s = model.newSession(ItEnv.sessionOptions(256).build())) {
            s.cancel();
            GenerationResult r = s.generate("Once upon a time", GenerationOptions.greedy(4));
            assertThat(r.stopReason()).isEqualTo(StopReason.MAX_TOKENS);
            assertThat(r.tokens()).hasSize(4);
        }
    }

    @Test
    void cancelDuringPrefillReturnsQuicklyAndLeavesTheSessionUsable(@TempDir Path tmp) throws Exception {
        // about 10M parameters: a 1500-token prefill takes a few hundred ms on 2 cores
        SyntheticLlama spec = SyntheticLlama.builder().name("prefill").layers(6).width(384).heads(6).kvHeads(2).ffn(1024)
                .vocabSize(1024).contextLength(2048).tensorType(GgmlType.F16).seed(3).build();
        Path file = tmp.resolve("prefill.gguf");
        spec.write(file);
        int[] prompt = new SplittableRandom(11).ints(1500, 0, spec.vocabSize() - 2).toArray();
        SessionOptions so = ItEnv.sessionOptions(2048).build();
        GenerationOptions o = GenerationOptions.builder().maxTokens(8).ignoreEos(true).build();
        try (Model model = Model.load(file)) {
            GenerationResult reference;
            try (Session fresh = model.newSession(so)) {
                reference = fresh.generate(prompt, o, TokenListener.NONE);
            }
            double prefillMs = reference.stats().ttftMillis();
            System.out.printf("[CancellationTest] uncancelled prefill of %d tokens: %.0f ms%n", prompt.length, prefillMs);
            assumeTrue(prefillMs > 200, "prefill took only " + prefillMs + " ms here: too fast to cancel in the middle");

            try (Session s = model.newSession(so)) {
                AtomicReference<Thread> worker = new AtomicReference<>();
                Future<GenerationResult> f = pool.submit(() -> {
                    worker.set(Thread.currentThread());
                    return s.generate(prompt, o, TokenListener.NONE);
                });
                // wait until the generating thread is inside the native prompt decode
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (!inNativeDecode(worker.get())) {
                    assertThat(System.nanoTime()).as("generator reached the native prompt decode").isLessThan(deadline);
                    assertThat(f.isDone()).as("generation finished before it could be cancelled").isFalse();
                    Thread.sleep(1);
                }
                Thread.sleep(20);
                long t0 = System.nanoTime();
                s.cancel();
                GenerationResult r = f.get(30, TimeUnit.SECONDS);
                double latencyMs = (System.nanoTime() - t0) / 1e6;
                System.out.printf("[CancellationTest] prefill cancelled; returned %.1f ms after cancel()%n", latencyMs);
                assertThat(r.stopReason()).isEqualTo(StopReason.CANCELLED);
                assertThat(r.tokens()).isEmpty();
                assertThat(latencyMs).as("ms from cancel() to generate() returning").isLessThan(1000);

                // usable afterwards, and the aborted prefill left nothing behind in the cache
                GenerationResult after = s.generate(prompt, o, TokenListener.NONE);
                assertThat(after.stopReason()).isEqualTo(StopReason.MAX_TOKENS);
                assertThat(after.tokens()).containsExactly(reference.tokens());
            }
        }
    }

    static boolean inNativeDecode(Thread t) {
        if (t == null) return false;
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getMethodName().equals("tf_session_decode")) return true;
        }
        return false;
    }
}

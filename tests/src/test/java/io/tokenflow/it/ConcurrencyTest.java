package io.tokenflow.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Sessions of one model generating on four threads at once give exactly the sequential results. */
class ConcurrencyTest {
    static Model model;
    static final SessionOptions OPTIONS = SessionOptions.builder().contextSize(256).threads(1).build();
    static final GenerationOptions GREEDY = GenerationOptions.builder().maxTokens(40).ignoreEos(true).build();

    @BeforeAll
    static void load() {
        model = Model.load(ItEnv.stories());
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    static int[] sequential(String prompt) {
        try (Session s = model.newSession(OPTIONS)) {
            return s.generate(prompt, GREEDY).tokens();
        }
    }

    static List<int[]> concurrently(List<String> prompts, int rounds) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(prompts.size());
        try {
            CyclicBarrier start = new CyclicBarrier(prompts.size());
            List<Future<int[]>> futures = new ArrayList<>();
            for (String p : prompts) {
                futures.add(pool.submit(() -> {
                    try (Session s = model.newSession(OPTIONS)) {
                        start.await(30, TimeUnit.SECONDS);
                        int[] first = null;
                        for (int r = 0; r < rounds; r++) {
                            s.reset();
                            int[] t = s.generate(p, GREEDY).tokens();
                            if (first == null) first = t;
                            else assertThat(t).as("round %d of \"%s\"", r, p).containsExactly(first);
                        }
                        return first;
                    }
                }));
            }
            List<int[]> out = new ArrayList<>();
            for (Future<int[]> f : futures) out.add(f.get(120, TimeUnit.SECONDS));
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void fourThreadsWithDifferentPromptsMatchSequentialRuns() throws Exception {
        List<String> prompts = List.of("Once upon a time", "The little dog", "Lily and Ben went to the park", "Once upon a time");
        List<int[]> expected = prompts.stream().map(ConcurrencyTest::sequential).toList();
        List<int[]> got = concurrently(prompts, 3);
        for (int i = 0; i < prompts.size(); i++) {
            assertThat(got.get(i)).as("thread %d: \"%s\"", i, prompts.get(i)).containsExactly(expected.get(i));
        }
        assertThat(got.get(3)).containsExactly(got.get(0));
    }

    @Test
    void fourThreadsWithTheSamePromptAgree() throws Exception {
        String prompt = "Tom had a big red ball. He";
        int[] expected = sequential(prompt);
        for (int[] t : concurrently(List.of(prompt, prompt, prompt, prompt), 3)) {
            assertThat(t).containsExactly(expected);
        }
    }

    @Test
    void oneSessionSharedByThreadsSerialisesCalls() throws Exception {
        String prompt = "One day, a cat";
        int[] expected = sequential(prompt);
        try (Session shared = model.newSession(OPTIONS)) {
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                List<Future<GenerationResult>> fs = new ArrayList<>();
                for (int i = 0; i < 3; i++) fs.add(pool.submit(() -> shared.generate(prompt, GREEDY)));
                for (Future<GenerationResult> f : fs) {
                    assertThat(f.get(120, TimeUnit.SECONDS).tokens()).containsExactly(expected);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }
}

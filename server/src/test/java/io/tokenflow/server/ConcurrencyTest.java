package io.tokenflow.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Batching must not change a greedy answer, and streams must never mix. */
class ConcurrencyTest {
    private static final String[] PROMPTS = {
        "Once upon a time, there was a little girl named Lily",
        "One day, a boy named Tom went to the park",
        "The sun was shining and the birds were singing",
        "Sam had a big red ball",
        "There was a cat who liked to sleep",
        "Mom said, \"Let's bake a cake!\"",
        "The little bird could not fly",
        "In the forest lived a kind old bear",
    };

    @Test
    void eightConcurrentGreedyStreamsOnFourSlotsEqualTheirSoloRuns() throws Exception {
        try (TokenflowServer server = TestServers.start(b -> b.parallel(4).contextSize(2048))) {
            List<String> alone = new ArrayList<>();
            for (String p : PROMPTS) {
                TestServers.SseResult r = TestServers.stream(server, "/v1/chat/completions", TestServers.chatBody(p, 48, true, null));
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.done()).isTrue();
                alone.add(r.text());
            }
            assertThat(new HashSet<>(alone)).as("different prompts give different texts").hasSizeGreaterThan(4);

            ExecutorService pool = Executors.newFixedThreadPool(PROMPTS.length);
            try {
                List<Future<TestServers.SseResult>> futures = new ArrayList<>();
                for (String p : PROMPTS) {
                    futures.add(pool.submit(() -> TestServers.stream(server, "/v1/chat/completions", TestServers.chatBody(p, 48, true, null))));
                }
                for (int i = 0; i < PROMPTS.length; i++) {
                    TestServers.SseResult r = futures.get(i).get(120, TimeUnit.SECONDS);
                    assertThat(r.status()).isEqualTo(200);
                    assertThat(r.done()).as("stream %d ended with [DONE]", i).isTrue();
                    Set<String> ids = new HashSet<>();
                    r.events().forEach(e -> ids.add(e.path("id").asText()));
                    assertThat(ids).as("one id per stream").hasSize(1);
                    assertThat(r.events()).noneMatch(e -> e.has("error"));
                    assertThat(r.text()).as("stream %d (%s)", i, PROMPTS[i]).isEqualTo(alone.get(i));
                }
            } finally {
                pool.shutdownNow();
            }
            String metrics = TestServers.get(server, "/metrics").body();
            assertThat(TestServers.metric(metrics, "llamacpp:requests_processing")).isZero();
            assertThat(TestServers.metric(metrics, "tokenflow:requests_failed_total")).isZero();
        }
    }
}

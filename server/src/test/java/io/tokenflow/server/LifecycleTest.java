package io.tokenflow.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Loading, queueing, disconnects, timeouts and shutdown: every request ends and every slot comes back. */
class LifecycleTest {
    /** A request that keeps its slot busy for a while: the story model must not stop at its end-of-text token. */
    private static String longChat(boolean stream) {
        return TestServers.chatBody("Once upon a time", 3900, stream, "\"ignore_eos\": true");
    }

    /** A raw HTTP/1.1 streaming request on a socket of our own, so the test decides exactly when the client vanishes. */
    private static Socket openStream(TokenflowServer s, String body) throws IOException {
        Socket socket = new Socket("127.0.0.1", s.port());
        socket.setSoTimeout(60_000);
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(b);
        out.flush();
        return socket;
    }

    /** Reads lines until {@code n} data events arrived; returns the reader for more. */
    private static BufferedReader readEvents(Socket socket, int n) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        String status = in.readLine();
        assertThat(status).contains("200");
        int seen = 0;
        for (String line; seen < n && (line = in.readLine()) != null; ) {
            if (line.startsWith("data: ")) seen++;
        }
        assertThat(seen).isEqualTo(n);
        return in;
    }

    private static double metric(TokenflowServer s, String name) {
        return TestServers.metric(TestServers.get(s, "/metrics").body(), name);
    }

    private static void awaitMetric(TokenflowServer s, String name, double value, Duration max) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (metric(s, name) != value) {
            assertThat(System.nanoTime()).as("%s did not reach %s within %s", name, value, max).isLessThan(end);
            Thread.sleep(20);
        }
    }

    @Test
    void healthIs503UntilTheModelIsReady() {
        TestServers.model(); // loaded before: the test is about the server's state, not load time
        try (TokenflowServer s = TokenflowServer.start(TestServers.options(b -> b))) {
            TestServers.Response h = TestServers.get(s, "/health");
            assertThat(h.status()).isEqualTo(503);
            assertThat(h.json().path("status").asText()).isEqualTo("loading");
            assertThat(TestServers.get(s, "/v1/health").status()).isEqualTo(503);
            TestServers.Response c = TestServers.post(s, "/v1/chat/completions", TestServers.chatBody("hi", 2, false, null));
            assertThat(c.status()).isEqualTo(503);
            assertThat(c.json().path("error").path("code").asText()).isEqualTo("loading");
            assertThat(s.state()).isEqualTo(ServerState.LOADING);
            s.ready(TestServers.model());
            h = TestServers.get(s, "/health");
            assertThat(h.status()).isEqualTo(200);
            assertThat(h.json().path("status").asText()).isEqualTo("ok");
            assertThat(TestServers.post(s, "/v1/chat/completions", TestServers.chatBody("hi", 2, false, null)).status()).isEqualTo(200);
        }
    }

    @Test
    void fullQueueIs429WithRetryAfter() throws Exception {
        try (TokenflowServer s = TestServers.start(b -> b.parallel(1).queue(1).contextSize(4096));
             Socket running = openStream(s, longChat(true))) {
            readEvents(running, 2); // the slot is busy
            CompletableFuture<TestServers.Response> queued = CompletableFuture.supplyAsync(
                    () -> TestServers.post(s, "/v1/chat/completions", TestServers.chatBody("Once upon a time", 4, false, null)));
            awaitMetric(s, "llamacpp:requests_deferred", 1, Duration.ofSeconds(20));
            TestServers.Response r = TestServers.post(s, "/v1/chat/completions", TestServers.chatBody("hi", 4, false, null));
            assertThat(r.status()).as(r.body()).isEqualTo(429);
            assertThat(r.headers().firstValue("Retry-After")).isPresent();
            assertThat(r.json().path("error").path("code").asText()).isEqualTo("queue_full");
            running.close(); // frees the slot; the queued request then runs
            TestServers.Response q = queued.get(60, TimeUnit.SECONDS);
            assertThat(q.status()).as(q.body()).isEqualTo(200);
            assertThat(TestServers.metric(TestServers.get(s, "/metrics").body(), "tokenflow:requests_rejected_total{reason=\"queue_full\"}"))
                    .isEqualTo(1);
        }
    }

    @Test
    void clientDisconnectMidStreamFreesTheSlot() throws Exception {
        try (TokenflowServer s = TestServers.start(b -> b.parallel(1).contextSize(4096))) {
            Socket socket = openStream(s, longChat(true));
            readEvents(socket, 3);
            assertThat(metric(s, "llamacpp:requests_processing")).isEqualTo(1);
            socket.close();
            awaitMetric(s, "llamacpp:requests_processing", 0, Duration.ofSeconds(10));
            double predicted = metric(s, "llamacpp:tokens_predicted_total");
            assertThat(predicted).as("cancelled well before its 3900 tokens").isLessThan(3900);
            // the HTTP thread counts the cancel when it sees the result (a poll later than the slot's release)
            awaitMetric(s, "tokenflow:requests_cancelled_total{cause=\"client_gone\"}", 1, Duration.ofSeconds(10));
            TestServers.Response next = TestServers.post(s, "/v1/chat/completions", TestServers.chatBody("Once upon a time", 8, false, null));
            assertThat(next.status()).as(next.body()).isEqualTo(200);
        }
    }

    @Test
    void timeoutEndsTheRequestWithAClearError() throws Exception {
        try (TokenflowServer s = TestServers.start(b -> b.parallel(1).contextSize(4096).timeout(Duration.ofMillis(300)))) {
            TestServers.Response r = TestServers.post(s, "/v1/chat/completions", longChat(false));
            assertThat(r.status()).as(r.body()).isEqualTo(504);
            assertThat(r.json().path("error").path("code").asText()).isEqualTo("timeout");
            TestServers.SseResult st = TestServers.stream(s, "/v1/chat/completions", longChat(true));
            assertThat(st.status()).isEqualTo(200);
            assertThat(st.done()).isTrue();
            JsonNode last = st.events().get(st.events().size() - 1);
            assertThat(last.path("error").path("code").asText()).isEqualTo("timeout");
            awaitMetric(s, "llamacpp:requests_processing", 0, Duration.ofSeconds(10));
            awaitMetric(s, "tokenflow:requests_cancelled_total{cause=\"timeout\"}", 2, Duration.ofSeconds(10));
        }
    }

    @Test
    void shutdownWithAStreamInFlightEndsItCleanly() throws Exception {
        TokenflowServer s = TestServers.start(b -> b.parallel(2).contextSize(4096).shutdownGrace(Duration.ofMillis(300)));
        int port = s.port();
        try (Socket socket = openStream(s, longChat(true))) {
            BufferedReader in = readEvents(socket, 2);
            long t0 = System.nanoTime();
            CompletableFuture<Boolean> closed = CompletableFuture.supplyAsync(s::shutdown);
            // the stream ends: an error event (grace ran out) then [DONE], or its normal end
            String lastData = null;
            boolean done = false;
            for (String line; (line = in.readLine()) != null; ) {
                if (line.startsWith("data: ")) {
                    if (line.equals("data: [DONE]")) {
                        done = true;
                        break;
                    }
                    lastData = line.substring(6);
                }
            }
            assertThat(done).isTrue();
            assertThat(lastData).contains("shutting_down");
            assertThat(closed.get(30, TimeUnit.SECONDS)).isFalse(); // one request had to be cut short
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(15));
        }
        assertThat(s.state()).isEqualTo(ServerState.STOPPED);
        // the port is released
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).timeout(Duration.ofSeconds(5)).build();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TestServers.HTTP.send(r, HttpResponse.BodyHandlers.ofString()))
                .isInstanceOf(ConnectException.class);
    }

    @Test
    void metricsCarryTheLlamaCppAndTokenflowNames() {
        try (TokenflowServer s = TestServers.start(b -> b)) {
            assertThat(TestServers.post(s, "/v1/completions", "{\"prompt\":\"Once upon a time\",\"max_tokens\":4}").status()).isEqualTo(200);
            TestServers.Response m = TestServers.get(s, "/metrics");
            assertThat(m.status()).isEqualTo(200);
            assertThat(m.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
            for (String name : new String[] {"llamacpp:prompt_tokens_total", "llamacpp:tokens_predicted_total",
                    "llamacpp:prompt_tokens_seconds", "llamacpp:predicted_tokens_seconds", "llamacpp:kv_cache_usage_ratio",
                    "llamacpp:kv_cache_tokens", "llamacpp:requests_processing", "llamacpp:requests_deferred",
                    "llamacpp:n_decode_total", "llamacpp:n_busy_slots_per_decode", "tokenflow:spec_drafted_tokens_total",
                    "tokenflow:spec_accepted_tokens_total", "tokenflow:kv_evicted_cells_total", "tokenflow:sparse_rows_read_total"}) {
                assertThat(m.body()).contains("# TYPE " + name + " ");
            }
            assertThat(TestServers.metric(m.body(), "llamacpp:tokens_predicted_total")).isGreaterThanOrEqualTo(1);
            assertThat(TestServers.metric(m.body(), "llamacpp:prompt_tokens_total")).isGreaterThanOrEqualTo(2);
            assertThat(m.body()).contains("tokenflow:requests_total{lane=\"batch\"} 1");
        }
    }

    @Test
    void soloLaneRunsSpeculationAndReportsIt() {
        try (TokenflowServer s = TestServers.start(b -> b)) {
            String plain = TestServers.post(s, "/v1/completions",
                    "{\"prompt\":\"Once upon a time\",\"max_tokens\":48,\"temperature\":0}").json().path("choices").get(0).path("text").asText();
            TestServers.Response spec = TestServers.post(s, "/v1/completions",
                    "{\"prompt\":\"Once upon a time\",\"max_tokens\":48,\"temperature\":0,\"speculation\":\"ngram\"}");
            assertThat(spec.status()).as(spec.body()).isEqualTo(200);
            JsonNode tf = spec.json().path("tokenflow");
            assertThat(tf.path("lane").asText()).isEqualTo("solo");
            assertThat(tf.path("speculation").path("policy").asText()).isEqualTo("ngram");
            assertThat(tf.path("kv_compression").isNull()).isTrue();
            // lossless: greedy speculation gives the plain greedy text
            assertThat(spec.json().path("choices").get(0).path("text").asText()).isEqualTo(plain);
            TestServers.Response batch = TestServers.post(s, "/v1/completions", "{\"prompt\":\"Once upon a time\",\"max_tokens\":4}");
            assertThat(batch.json().path("tokenflow").path("lane").asText()).isEqualTo("batch");
            assertThat(batch.json().path("tokenflow").path("speculation").isNull()).isTrue();
        }
    }
}

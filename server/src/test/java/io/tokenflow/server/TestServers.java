package io.tokenflow.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokenflow.Model;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/** Test helpers: the default model (loaded once per JVM), servers on free ports, a plain HTTP client and SSE reading. */
final class TestServers {
    static final ObjectMapper JSON = new ObjectMapper();
    private static Model model;

    private TestServers() {}

    static synchronized Model model() {
        if (model == null) {
            model = Model.loadDefault();
            Runtime.getRuntime().addShutdownHook(new Thread(model::close));
        }
        return model;
    }

    /** Small, fast settings for this 2-core machine; {@code tweak} adjusts them. */
    static ServerOptions options(UnaryOperator<ServerOptions.Builder> tweak) {
        return tweak.apply(ServerOptions.builder().host("127.0.0.1").port(0).parallel(4).contextSize(2048).threads(2).queue(16)
                .timeout(Duration.ofSeconds(120)).shutdownGrace(Duration.ofSeconds(5))).build();
    }

    static TokenflowServer start(UnaryOperator<ServerOptions.Builder> tweak) {
        return TokenflowServer.start(model(), options(tweak));
    }

    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    record Response(int status, String body, java.net.http.HttpHeaders headers) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (status " + status + "): " + body, e);
            }
        }
    }

    static Response post(TokenflowServer s, String path, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url() + path)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) b.headers(headers);
        return send(b.build());
    }

    static Response get(TokenflowServer s, String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(s.url() + path)).timeout(Duration.ofSeconds(60)).GET();
        if (headers.length > 0) b.headers(headers);
        return send(b.build());
    }

    private static Response send(HttpRequest r) {
        try {
            HttpResponse<String> res = HTTP.send(r, HttpResponse.BodyHandlers.ofString());
            return new Response(res.statusCode(), res.body(), res.headers());
        } catch (IOException e) {
            throw new AssertionError("request failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** A whole SSE stream: its status and the JSON of every {@code data:} event up to {@code [DONE]} (done = seen). */
    record SseResult(int status, List<JsonNode> events, boolean done, List<String> rawLines) {
        /** Concatenated chat deltas (or text completion texts). */
        String text() {
            StringBuilder sb = new StringBuilder();
            for (JsonNode e : events) {
                JsonNode ch = e.path("choices");
                if (!ch.isArray() || ch.isEmpty()) continue;
                JsonNode c = ch.get(0);
                if (c.has("delta")) sb.append(c.path("delta").path("content").asText(""));
                else sb.append(c.path("text").asText(""));
            }
            return sb.toString();
        }
    }

    static SseResult stream(TokenflowServer s, String path, String body) {
        HttpRequest r = HttpRequest.newBuilder(URI.create(s.url() + path)).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        try {
            HttpResponse<java.util.stream.Stream<String>> res = HTTP.send(r, HttpResponse.BodyHandlers.ofLines());
            List<JsonNode> events = new ArrayList<>();
            List<String> raw = new ArrayList<>();
            boolean done = false;
            try (java.util.stream.Stream<String> lines = res.body()) {
                for (String line : (Iterable<String>) lines::iterator) {
                    raw.add(line);
                    if (!line.startsWith("data: ")) continue;
                    String data = line.substring(6);
                    if (data.equals("[DONE]")) {
                        done = true;
                        continue;
                    }
                    events.add(JSON.readTree(data));
                }
            }
            return new SseResult(res.statusCode(), events, done, raw);
        } catch (IOException e) {
            throw new AssertionError("stream failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The value of an unlabelled sample in /metrics text. */
    static double metric(String text, String name) {
        return java.util.stream.Stream.of(text.split("\n")).filter(l -> l.startsWith(name + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(name.length() + 1).trim()))
                .orElseThrow(() -> new AssertionError("no sample " + name + " in\n" + text));
    }

    static String chatBody(String prompt, int maxTokens, boolean stream, String extra) {
        ObjectMapper m = JSON;
        String p;
        try {
            p = m.writeValueAsString(prompt);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return "{\"model\":\"any\",\"messages\":[{\"role\":\"user\",\"content\":" + p + "}],\"max_tokens\":" + maxTokens
                + ",\"temperature\":0,\"stream\":" + stream + (extra == null || extra.isEmpty() ? "" : "," + extra) + "}";
    }
}

package io.tokenflow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokenflow.DefaultModel;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The fault run of issue 14 against {@code tokenflow serve} on loopback: clients that disconnect mid-stream, a full
 * queue, malformed bodies, and the server stopped mid-load. For each it counts what was lost (a request that got
 * neither its whole answer nor a clear error), whether every slot came back ({@code llamacpp:requests_processing}
 * back to 0, then a greedy request answers exactly as before the faults), and how the faults were answered.
 */
@Command(name = "ServerFaultBench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Faults against tokenflow serve: disconnects, a full queue, malformed bodies, a stop mid-load; writes OUT.json.")
public final class ServerFaultBench extends BenchCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "OUT.json", defaultValue = "bench/results/server-faults.json",
            description = "Output (default: ${DEFAULT-VALUE}).")
    Path out;
    @Option(names = "--model", paramLabel = "GGUF", description = "Model (default: the embedded default model).")
    Path model;
    @Option(names = "--cli-jar", defaultValue = "examples/target/tokenflow-cli.jar", description = "tokenflow CLI jar (default: ${DEFAULT-VALUE}).")
    Path cliJar;
    @Option(names = "--slots", defaultValue = "4", description = "Server slots (default: ${DEFAULT-VALUE}).")
    int slots;
    @Option(names = "--queue", defaultValue = "4", description = "Server queue per lane (default: ${DEFAULT-VALUE}).")
    int queue;
    @Option(names = "-t", defaultValue = "2", description = "Threads (default: ${DEFAULT-VALUE}).")
    int threads;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROMPT = "Once upon a time, there was a little girl named Lily.";
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public static void main(String[] args) {
        System.exit(execute(new ServerFaultBench(), args));
    }

    /** How one request ended. */
    enum End { COMPLETE, CLEAR_ERROR, REFUSED_429, REFUSED_503, BAD_REQUEST_400, DISCONNECTED_BY_CLIENT, LOST }

    record Outcome(End end, String text, String detail) {}

    @Override
    void run() throws IOException {
        Path file = model != null ? model : DefaultModel.path();
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("model", file.getFileName().toString());
        report.put("slots", slots);
        report.put("queue", queue);
        report.put("threads", threads);
        int port = LoopbackServer.freePort();
        Process p = start(file, port);
        try {
            LoopbackServer.waitHealthy(http, port, p);
            String reference = complete(port, PROMPT, 48, false).text();
            report.put("disconnects", disconnects(port, reference));
            report.put("full_queue", fullQueue(port, reference));
            report.put("malformed", malformed(port, reference));
            report.put("stop_mid_load", stopMidLoad(port, p));
        } finally {
            p.destroyForcibly();
        }
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report) + "\n");
        System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report));
        System.err.println("wrote " + out);
    }

    /** 16 streaming clients that read a few events and hang up; then: are the slots back, is the answer the same? */
    private Map<String, Object> disconnects(int port, String reference) throws IOException {
        System.err.println("fault 1: 16 streaming clients disconnect mid-stream");
        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<CompletableFuture<Integer>> fs = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            int keep = 2 + i % 5;  // events read before hanging up
            fs.add(CompletableFuture.supplyAsync(() -> readThenHangUp(port, keep), pool));
        }
        int hungUp = 0, refused = 0, failed = 0;
        for (CompletableFuture<Integer> f : fs) {
            int k = f.join();
            if (k >= 0) hungUp++;
            else if (k == -2) refused++;
            else failed++;
        }
        pool.shutdownNow();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("clients", 16);
        m.put("hung_up_mid_stream", hungUp);
        m.put("refused_429_queue_full", refused);
        m.put("failed_otherwise", failed);
        m.putAll(slotsBack(port, reference));
        return m;
    }

    /**
     * Opens a stream, reads {@code keep} data lines, closes the connection; returns the lines read (-2: refused with a
     * 429 because slots and queue are full, -1: another failure).
     */
    private int readThenHangUp(int port, int keep) {
        try {
            HttpResponse<InputStream> r = http.send(post(port, "/v1/completions", body(PROMPT, 4000, true)),
                    HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() == 429) {
                r.body().close();
                return -2;
            }
            int read = 0;
            try (InputStream in = r.body(); BufferedReader b = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; read < keep && (line = b.readLine()) != null; ) if (line.startsWith("data:")) read++;
            }  // closing the body before the end closes the connection
            return r.statusCode() == 200 ? read : -1;
        } catch (Exception e) {
            return -1;
        }
    }

    /** slots + queue + 8 requests at once: the extra ones must be a 429 with Retry-After, the others complete and right. */
    private Map<String, Object> fullQueue(int port, String reference) throws IOException {
        System.err.println("fault 2: a full queue");
        int n = slots + queue + 8;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        List<CompletableFuture<Outcome>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean streamed = i % 2 == 0;
            fs.add(CompletableFuture.supplyAsync(() -> completeQuietly(port, PROMPT, 48, streamed), pool));
        }
        Map<End, Integer> ends = new LinkedHashMap<>();
        int wrong = 0;
        for (CompletableFuture<Outcome> f : fs) {
            Outcome o = f.join();
            ends.merge(o.end(), 1, Integer::sum);
            if (o.end() == End.COMPLETE && !o.text().equals(reference)) wrong++;
        }
        pool.shutdownNow();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("requests", n);
        m.put("outcomes", ends);
        m.put("completed_but_different_from_alone", wrong);
        m.put("lost", ends.getOrDefault(End.LOST, 0));
        m.putAll(slotsBack(port, reference));
        return m;
    }

    /** Bodies that must be a 400 with OpenAI's error body, then the same checks. */
    private Map<String, Object> malformed(int port, String reference) throws IOException {
        System.err.println("fault 3: malformed bodies");
        String[] bodies = {
            "{", "[]", "null", "{\"prompt\": 5}", "{\"prompt\": \"x\", \"max_tokens\": -1}",
            "{\"prompt\": \"x\", \"max_tokens\": \"ten\"}", "{\"prompt\": \"x\", \"temperature\": 9}",
            "{\"prompt\": \"x\", \"top_p\": 2}", "{\"prompt\": \"x\", \"n\": 3}", "{\"prompt\": [99999999]}",
            "{\"prompt\": \"x\", \"stream\": \"yes\"}", "{\"prompt\": \"x\", \"stop\": {\"a\": 1}}",
            "{\"prompt\": \"x\", \"logprobs\": 99}", "{\"prompt\": \"x\", \"speculation\": \"warp\"}",
            "{\"prompt\": \"x\", \"kv_compression\": \"windowkv:abc\"}", "{\"prompt\": {\"a\": 1}}",
            "{\"prompt\": \"x\", \"seed\": 1.5}", "{\"prompt\": \"x\", \"max_tokens\": 1e30}",
        };
        int answered400 = 0, withErrorBody = 0, other = 0;
        List<String> unexpected = new ArrayList<>();
        for (String b : bodies) {
            try {
                HttpResponse<String> r = http.send(post(port, "/v1/completions", b), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 400) answered400++;
                else {
                    other++;
                    unexpected.add(r.statusCode() + " for " + b);
                }
                JsonNode e = JSON.readTree(r.body()).path("error");
                if (e.path("message").isTextual() && e.path("type").isTextual()) withErrorBody++;
            } catch (Exception e) {
                other++;
                unexpected.add(e + " for " + b);
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("bodies", bodies.length);
        m.put("answered_400", answered400);
        m.put("with_openai_error_body", withErrorBody);
        m.put("other", other);
        m.put("unexpected", unexpected);
        m.putAll(slotsBack(port, reference));
        return m;
    }

    /** 8 streams in flight, then SIGTERM: every stream ends complete or with a clear error; nothing hangs. */
    private Map<String, Object> stopMidLoad(int port, Process server) {
        System.err.println("fault 4: the server stopped mid-load");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<CompletableFuture<Outcome>> fs = new ArrayList<>();
        for (int i = 0; i < 8; i++) fs.add(CompletableFuture.supplyAsync(() -> completeQuietly(port, PROMPT, 4000, true), pool));
        pause(1500);
        long t0 = System.nanoTime();
        server.destroy();  // SIGTERM: graceful shutdown (in-flight streams get the grace period, then an error event)
        Map<End, Integer> ends = new LinkedHashMap<>();
        for (CompletableFuture<Outcome> f : fs) {
            Outcome o;
            try {
                o = f.get(120, TimeUnit.SECONDS);
            } catch (Exception e) {
                o = new Outcome(End.LOST, "", "no end within 120 s");
            }
            ends.merge(o.end(), 1, Integer::sum);
        }
        boolean exited;
        try {
            exited = server.waitFor(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            exited = false;
        }
        pool.shutdownNow();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("streams", 8);
        m.put("outcomes", ends);
        m.put("lost", ends.getOrDefault(End.LOST, 0));
        m.put("server_exited", exited);
        m.put("exit_code", exited ? server.exitValue() : null);
        m.put("seconds_to_exit", exited ? Math.round((System.nanoTime() - t0) / 1e7) / 100.0 : null);
        return m;
    }

    /** Waits until no request is processing, then checks a greedy request gives the reference answer. */
    private Map<String, Object> slotsBack(int port, String reference) throws IOException {
        long t0 = System.nanoTime();
        double processing = Double.NaN;
        while (System.nanoTime() - t0 < 30_000_000_000L) {
            processing = metric(port, "llamacpp:requests_processing");
            if (processing == 0) break;
            pause(50);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("slots_free_after_ms", processing == 0 ? Math.round((System.nanoTime() - t0) / 1e6) : null);
        m.put("requests_processing_after", processing);
        Outcome after = completeQuietly(port, PROMPT, 48, false);
        m.put("answer_after_same_as_before", after.end() == End.COMPLETE && after.text().equals(reference));
        return m;
    }

    private double metric(int port, String name) throws IOException {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            for (String line : r.body().split("\n")) {
                if (line.startsWith(name + " ")) return Double.parseDouble(line.substring(name.length() + 1).strip());
            }
            return Double.NaN;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private Outcome completeQuietly(int port, String prompt, int maxTokens, boolean stream) {
        try {
            return complete(port, prompt, maxTokens, stream);
        } catch (Exception e) {
            // a connection the server closed without an answer: nothing told the client what happened
            return new Outcome(End.LOST, "", e.toString());
        }
    }

    /** One greedy completion, streamed or not; how it ended. */
    private Outcome complete(int port, String prompt, int maxTokens, boolean stream) throws IOException {
        try {
            HttpRequest req = post(port, "/v1/completions", body(prompt, maxTokens, stream));
            if (!stream) {
                HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                return ofStatus(r.statusCode(), r.headers().firstValue("Retry-After").isPresent(), r.body(), () -> {
                    JsonNode n = JSON.readTree(r.body());
                    return new Outcome(End.COMPLETE, n.path("choices").path(0).path("text").asText(), "");
                });
            }
            HttpResponse<InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() != 200) {
                String b = new String(r.body().readAllBytes(), StandardCharsets.UTF_8);
                return ofStatus(r.statusCode(), r.headers().firstValue("Retry-After").isPresent(), b, null);
            }
            StringBuilder text = new StringBuilder();
            boolean finished = false;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (!line.startsWith("data:")) continue;
                    String data = line.substring(5).strip();
                    if (data.equals("[DONE]")) return new Outcome(finished ? End.COMPLETE : End.LOST, text.toString(), "");
                    JsonNode n = JSON.readTree(data);
                    if (n.has("error")) return new Outcome(End.CLEAR_ERROR, text.toString(), n.path("error").path("message").asText());
                    JsonNode c = n.path("choices").path(0);
                    text.append(c.path("text").asText(""));
                    if (c.path("finish_reason").isTextual()) finished = true;
                }
            }
            return new Outcome(End.LOST, text.toString(), "stream ended without [DONE] or an error event");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    private interface Parse { Outcome get() throws IOException; }

    private static Outcome ofStatus(int status, boolean retryAfter, String body, Parse ok) throws IOException {
        if (status == 200 && ok != null) return ok.get();
        if (status == 429) return new Outcome(retryAfter ? End.REFUSED_429 : End.LOST, "", "429 without Retry-After");
        if (status == 503) return new Outcome(End.REFUSED_503, "", body);
        if (status == 400) return new Outcome(End.BAD_REQUEST_400, "", body);
        return new Outcome(status >= 500 && body.contains("\"error\"") ? End.CLEAR_ERROR : End.LOST, "", status + " " + body);
    }

    private static String body(String prompt, int maxTokens, boolean stream) throws IOException {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("prompt", prompt);
        b.put("max_tokens", maxTokens);
        b.put("temperature", 0);
        b.put("stream", stream);
        b.put("ignore_eos", true);
        return JSON.writeValueAsString(b);
    }

    private static HttpRequest post(int port, String path, String body) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).header("Content-Type", "application/json")
                .timeout(Duration.ofMinutes(5)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private Process start(Path file, int port) throws IOException {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", cliJar.toString(),
                "serve", "-m", file.toString(), "--host", "127.0.0.1", "--port", String.valueOf(port), "--parallel",
                String.valueOf(slots), "--queue", String.valueOf(queue), "--threads", String.valueOf(threads),
                "--shutdown-grace", "2");
        Path log = Files.createTempFile("serverfaults", ".log");
        System.err.println("server log: " + log);
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }


}

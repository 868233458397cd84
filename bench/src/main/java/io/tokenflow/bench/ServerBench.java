package io.tokenflow.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tokenflow.DefaultModel;
import io.tokenflow.eval.PromptSets;
import java.io.BufferedReader;
import java.io.IOException;
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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Serving load on loopback: {@code tokenflow serve} against llama.cpp's {@code llama-server} of the pinned tag, the
 * same model file, slots and threads, one server running at a time (2-core machines), alternating rounds. Each round
 * starts the server, sends 1, 4 and 16 concurrent streaming clients (each sends its share of the prompts one after
 * another to {@code /v1/completions}, greedy, a fixed number of tokens), stops it. Reports aggregate tokens/s, time to
 * first token and inter-token latency percentiles, failed requests, and streams whose text differs from the same
 * prompt sent alone to the same server (batching must not change a greedy answer).
 */
@Command(name = "ServerBench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "tokenflow serve vs llama-server under 1/4/16 streaming clients; writes OUT.json.")
public final class ServerBench extends BenchCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "OUT.json", defaultValue = "bench/results/server.json",
            description = "Output (default: ${DEFAULT-VALUE}).")
    Path out;
    @Option(names = "--model", paramLabel = "GGUF", description = "Model (default: the embedded default model).")
    Path model;
    @Option(names = "--llama-server", required = true, paramLabel = "EXE", description = "llama-server binary (scripts/build-llama.sh --server).")
    Path llamaServer;
    @Option(names = "--cli-jar", defaultValue = "examples/target/tokenflow-cli.jar", description = "tokenflow CLI jar (default: ${DEFAULT-VALUE}).")
    Path cliJar;
    @Option(names = "--clients", split = ",", defaultValue = "1,4,16", description = "Concurrent clients (default: ${DEFAULT-VALUE}).")
    int[] clients;
    @Option(names = "--slots", defaultValue = "4", description = "Server slots (default: ${DEFAULT-VALUE}).")
    int slots;
    @Option(names = "--ctx", defaultValue = "4096", description = "Context cells of the server, split among its slots (default: ${DEFAULT-VALUE}).")
    int ctx;
    @Option(names = "-t", defaultValue = "2", description = "Threads (default: ${DEFAULT-VALUE}).")
    int threads;
    @Option(names = "-n", defaultValue = "64", description = "Tokens per request (default: ${DEFAULT-VALUE}).")
    int gen;
    @Option(names = "--requests", defaultValue = "32", description = "Requests per load level (default: ${DEFAULT-VALUE}).")
    int requests;
    @Option(names = "-r", defaultValue = "3", description = "Alternating rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    public static void main(String[] args) {
        System.exit(execute(new ServerBench(), args));
    }

    /** One streamed request: text, per-token arrival times, or a failure. */
    record Stream(String prompt, String text, long start, List<Long> arrivals, String error) {}

    /** Everything measured for one (server, clients) pair, over rounds. */
    static final class Level {
        final List<Double> aggregate = new ArrayList<>();
        final List<Double> ttft = new ArrayList<>(), itl = new ArrayList<>();
        int failed, mismatched, total;
        String firstError;
    }

    @Override
    void run() throws IOException {
        Path file = model != null ? model : DefaultModel.path();
        List<String> prompts = new ArrayList<>();
        for (List<String> set : PromptSets.all().values()) prompts.addAll(set);
        prompts = prompts.subList(0, Math.min(requests, prompts.size()));
        String[] servers = {"llama-server", "tokenflow"};
        Map<String, Map<Integer, Level>> results = new LinkedHashMap<>();
        for (String s : servers) {
            Map<Integer, Level> m = new LinkedHashMap<>();
            for (int c : clients) m.put(c, new Level());
            results.put(s, m);
        }
        for (int r = 0; r < rounds; r++) {
            for (String s : servers) {
                int port = LoopbackServer.freePort();
                Process p = start(s, file, port);
                try {
                    LoopbackServer.waitHealthy(http, port, p);
                    // the reference: every prompt alone, one after another
                    Map<String, String> alone = new LinkedHashMap<>();
                    for (String prompt : prompts) alone.put(prompt, stream(port, prompt).text());
                    for (int c : clients) {
                        List<Stream> got = load(port, prompts, c);
                        long first = Long.MAX_VALUE, last = 0;
                        int tokens = 0;
                        Level lv = results.get(s).get(c);
                        for (Stream st : got) {
                            lv.total++;
                            if (st.error() != null) {
                                lv.failed++;
                                if (lv.firstError == null) lv.firstError = st.error();
                                continue;
                            }
                            if (!st.text().equals(alone.get(st.prompt()))) lv.mismatched++;
                            first = Math.min(first, st.start());
                            if (!st.arrivals().isEmpty()) {
                                last = Math.max(last, st.arrivals().get(st.arrivals().size() - 1));
                                lv.ttft.add((st.arrivals().get(0) - st.start()) / 1e6);
                                for (int i = 1; i < st.arrivals().size(); i++) {
                                    lv.itl.add((st.arrivals().get(i) - st.arrivals().get(i - 1)) / 1e6);
                                }
                            }
                            tokens += st.arrivals().size();
                        }
                        lv.aggregate.add(tokens / Math.max(1e-9, (last - first) / 1e9));
                        System.err.printf(Locale.ROOT, "\rround %d/%d %s %d clients: %.1f t/s          ", r + 1, rounds, s, c,
                                lv.aggregate.get(lv.aggregate.size() - 1));
                    }
                } finally {
                    p.destroy();
                    try {
                        if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        }
        System.err.println();
        report(file, results);
    }

    private Process start(String server, Path file, int port) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (server.equals("llama-server")) {
            cmd.addAll(List.of(llamaServer.toString(), "-m", file.toString(), "--host", "127.0.0.1", "--port", String.valueOf(port),
                    "-np", String.valueOf(slots), "-c", String.valueOf(ctx), "-t", String.valueOf(threads), "-tb",
                    String.valueOf(threads), "--no-webui"));
        } else {
            cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", cliJar.toString(),
                    "serve", "-m", file.toString(), "--host", "127.0.0.1", "--port", String.valueOf(port), "--parallel",
                    String.valueOf(slots), "--ctx-size", String.valueOf(ctx), "--threads", String.valueOf(threads)));
        }
        Path log = Files.createTempFile("serverbench-" + server, ".log");
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }


    /** {@code prompts} sent by {@code c} clients, each taking the next prompt when its previous one finished. */
    private List<Stream> load(int port, List<String> prompts, int c) {
        ExecutorService pool = Executors.newFixedThreadPool(c);
        try {
            java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
            List<Future<List<Stream>>> fs = new ArrayList<>();
            for (int i = 0; i < c; i++) {
                fs.add(pool.submit(() -> {
                    List<Stream> mine = new ArrayList<>();
                    for (int k = next.getAndIncrement(); k < prompts.size(); k = next.getAndIncrement()) {
                        mine.add(stream(port, prompts.get(k)));
                    }
                    return mine;
                }));
            }
            List<Stream> all = new ArrayList<>();
            for (Future<List<Stream>> f : fs) all.addAll(f.get());
            return all;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            pool.shutdownNow();
        }
    }

    /** One streaming completion: greedy, {@code gen} tokens, text accumulated from the SSE chunks. */
    private Stream stream(int port, String prompt) {
        long start = System.nanoTime();
        List<Long> arrivals = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        try {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("model", "m");
            body.put("prompt", prompt);
            body.put("max_tokens", gen);
            body.put("temperature", 0);
            body.put("stream", true);
            body.put("ignore_eos", true);
            HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                    .header("Content-Type", "application/json").timeout(Duration.ofMinutes(10))
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build();
            HttpResponse<java.io.InputStream> r = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() != 200) {
                return new Stream(prompt, "", start, arrivals, "HTTP " + r.statusCode() + ": " + new String(r.body().readAllBytes(), StandardCharsets.UTF_8));
            }
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    if (!line.startsWith("data:")) continue;
                    String data = line.substring(5).strip();
                    if (data.equals("[DONE]")) break;
                    JsonNode n = JSON.readTree(data);
                    if (n.has("error")) return new Stream(prompt, text.toString(), start, arrivals, n.get("error").toString());
                    JsonNode ch = n.path("choices");
                    if (ch.isArray() && ch.size() > 0) {
                        String piece = ch.get(0).path("text").asText("");
                        if (!piece.isEmpty()) {
                            arrivals.add(System.nanoTime());
                            text.append(piece);
                        }
                    }
                }
            }
            return new Stream(prompt, text.toString(), start, arrivals, null);
        } catch (Exception e) {
            return new Stream(prompt, text.toString(), start, arrivals, e.toString());
        }
    }


    private static double pct(List<Double> x, double q) {
        if (x.isEmpty()) return Double.NaN;
        double[] a = x.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a[Math.min(a.length - 1, (int) Math.ceil(q * a.length) - 1)];
    }

    private void report(Path file, Map<String, Map<Integer, Level>> results) throws IOException {
        StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
                "{\"model\": \"%s\", \"slots\": %d, \"ctx\": %d, \"threads\": %d, \"tokens_per_request\": %d, \"requests\": %d, "
                        + "\"rounds\": %d, \"levels\": [", file.getFileName(), slots, ctx, threads, gen, requests, rounds));
        System.out.printf(Locale.ROOT, "%s, %d slots, ctx %d, %d threads, %d tokens/request, %d requests/level, %d alternating rounds%n",
                file.getFileName(), slots, ctx, threads, gen, requests, rounds);
        System.out.println("| server | clients | aggregate t/s (median) | TTFT p50/p95/p99 ms | ITL p50/p95/p99 ms | failed | differ from alone |");
        System.out.println("|---|---|---|---|---|---|---|");
        boolean firstRow = true;
        for (int c : clients) {
            for (var e : results.entrySet()) {
                Level lv = e.getValue().get(c);
                double agg = median(lv.aggregate.stream().mapToDouble(Double::doubleValue).toArray());
                System.out.printf(Locale.ROOT, "| %s | %d | %.1f | %.1f / %.1f / %.1f | %.2f / %.2f / %.2f | %d/%d | %d |%n", e.getKey(), c,
                        agg, pct(lv.ttft, .5), pct(lv.ttft, .95), pct(lv.ttft, .99), pct(lv.itl, .5), pct(lv.itl, .95),
                        pct(lv.itl, .99), lv.failed, lv.total, lv.mismatched);
                json.append(firstRow ? "" : ", ").append(String.format(Locale.ROOT,
                        "{\"server\": \"%s\", \"clients\": %d, \"aggregate_tokens_per_s\": %.3f, \"aggregate_per_round\": %s, "
                                + "\"ttft_ms\": [%.3f, %.3f, %.3f], \"itl_ms\": [%.4f, %.4f, %.4f], \"failed\": %d, \"requests\": %d, "
                                + "\"differ_from_alone\": %d, \"first_error\": %s}", e.getKey(), c, agg, Arrays.toString(lv.aggregate.stream()
                                .mapToDouble(d -> Math.round(d * 100) / 100.0).toArray()), pct(lv.ttft, .5), pct(lv.ttft, .95),
                        pct(lv.ttft, .99), pct(lv.itl, .5), pct(lv.itl, .95), pct(lv.itl, .99), lv.failed, lv.total, lv.mismatched,
                        lv.firstError == null ? "null" : JSON.writeValueAsString(lv.firstError)));
                if (lv.firstError != null) System.out.println("  first failure (" + e.getKey() + ", " + c + " clients): " + lv.firstError);
                firstRow = false;
            }
        }
        json.append("]}\n");
        writeAtomically(out, json);
        System.out.println("wrote " + out);
    }
}

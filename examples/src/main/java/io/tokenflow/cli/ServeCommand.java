package io.tokenflow.cli;

import io.tokenflow.Model;
import io.tokenflow.kv.KvCompression;
import io.tokenflow.server.ServerOptions;
import io.tokenflow.server.TokenflowServer;
import io.tokenflow.sparse.SparseAttention;
import io.tokenflow.speculative.Speculation;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tokenflow serve}: the OpenAI-compatible server (module tokenflow-server). Listens first, so /health answers
 * 503 while the model loads, then serves until Ctrl-C / SIGTERM, which shuts down gracefully.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve the model over HTTP: OpenAI-compatible /v1/chat/completions, /v1/completions, /v1/embeddings, "
                + "/v1/models, plus /health, /metrics (Prometheus), /tokenize, /detokenize and a web chat page at /.",
                "Plain requests share one context (continuous batching over --parallel slots); requests asking for "
                + "speculation, KV compression or sparse attention run one at a time in a context of their own."})
final class ServeCommand implements Callable<Integer> {
    /** Environment variable read when --api-key is not given (keeps the key out of the process list). */
    static final String API_KEY_ENV = "TOKENFLOW_API_KEY";

    @Spec CommandSpec spec;

    @Mixin CommonOptions common;

    @Option(names = "--host", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "Address to listen on (default: ${DEFAULT-VALUE}, this machine only; 0.0.0.0 exposes the server: set an API key).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "8080", description = "TCP port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--api-key", paramLabel = "KEY",
            description = "Require 'Authorization: Bearer KEY' on the API routes (/health and the page stay open); default: $"
                    + API_KEY_ENV + ", else none.")
    String apiKey;

    @Option(names = {"-np", "--parallel"}, paramLabel = "N", defaultValue = "4",
            description = "Slots: requests decoded together in one batch (default: ${DEFAULT-VALUE}).")
    int parallel;

    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", defaultValue = "4096",
            description = "KV cells, split evenly among the slots (ctx-size / parallel each, as llama-server); also the solo lane's context (default: ${DEFAULT-VALUE}).")
    int contextSize;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "CPU threads (default: all available processors).")
    Integer threads;

    @Option(names = {"-cram", "--cache-ram"}, paramLabel = "MiB", defaultValue = "512",
            description = "Host memory for the prompt states of slots handed to other requests, restored when a later request "
                    + "shares their prefix (as llama-server's --cache-ram; 0: none; default: ${DEFAULT-VALUE}).")
    long cacheRamMiB;

    @Option(names = "--queue", paramLabel = "N", defaultValue = "64",
            description = "Requests that may wait per lane; beyond that the answer is 429 with Retry-After (default: ${DEFAULT-VALUE}).")
    int queue;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "600",
            description = "Cancel a request that runs longer (queueing included); 0 = never (default: ${DEFAULT-VALUE}).")
    long timeoutSeconds;

    @Option(names = "--shutdown-grace", paramLabel = "SECONDS", defaultValue = "10",
            description = "On shutdown, how long requests in flight may finish before they end with an error (default: ${DEFAULT-VALUE}).")
    long graceSeconds;

    @Option(names = {"--speculation", "--spec"}, paramLabel = "POLICY", defaultValue = "none",
            description = "Default speculative decoding for requests that name none: " + Speculation.CHOICES + " (default: ${DEFAULT-VALUE}).")
    String speculation;

    @Option(names = {"--kv-compression", "--kv"}, paramLabel = "POLICY[:BUDGET][,KEY=VALUE...]", defaultValue = "none",
            description = "Default KV-cache compression, e.g. windowkv:0.12 (default: ${DEFAULT-VALUE}).")
    String kvCompression;

    @Option(names = "--sparse", paramLabel = "POLICY", defaultValue = "none",
            description = "Default query-aware sparse attention, e.g. quest:256 (default: ${DEFAULT-VALUE}).")
    String sparse;

    @Option(names = "--alias", paramLabel = "NAME", description = "Model id in /v1/models and responses (default: the model's name).")
    String alias;

    @Option(names = "--chat-template", paramLabel = "NAME",
            description = "Chat template for /v1/chat/completions instead of the model's (a name llama.cpp knows, e.g. chatml); "
                    + "models without one get the messages as plain text.")
    String chatTemplate;

    private static final Map<String, String> NAMES = Map.ofEntries(Map.entry("port", "--port"), Map.entry("parallel", "--parallel"),
            Map.entry("promptCacheBytes", "--cache-ram"),
            Map.entry("contextSize", "--ctx-size"), Map.entry("threads", "--threads"), Map.entry("queue", "--queue"),
            Map.entry("timeout", "--timeout"), Map.entry("shutdownGrace", "--shutdown-grace"), Map.entry("host", "--host"),
            Map.entry("the API key", "--api-key"));

    @Override
    public Integer call() throws InterruptedException {
        CliIo io = Main.io(spec);
        PrintWriter err = io.err();
        ServerOptions options = options();
        NativeLogging.configure(common.verbose, err);
        TokenflowServer server;
        try {
            server = TokenflowServer.start(options);
        } catch (RuntimeException e) {
            throw new CliException("could not listen on " + options.host() + ":" + options.port() + ": " + rootMessage(e), ExitCodes.RUNTIME, e);
        }
        server.installShutdownHook();
        try {
            err.println("tokenflow: listening on " + server.url() + " (loading the model; /health answers 503 until it is ready)");
            err.flush();
            Model model = ModelLoading.load(common, io);
            try {
                server.ready(model);
                err.println("tokenflow: serving " + model.info().name() + " on " + server.url() + "  (web page: " + server.url()
                        + "/, API: " + server.url() + "/v1" + (options.apiKey() != null ? ", API key required" : "") + ")");
                err.flush();
                server.awaitStop();
            } finally {
                server.close();
                model.close();
            }
        } finally {
            server.close();
        }
        return ExitCodes.OK;
    }

    ServerOptions options() {
        Speculation spec = parse(() -> Speculation.parse(speculation), "--speculation");
        KvCompression kv = parse(() -> KvCompression.parse(kvCompression), "--kv-compression");
        SparseAttention sp = parse(() -> SparseAttention.parse(sparse), "--sparse");
        String key = apiKey != null ? apiKey : System.getenv(API_KEY_ENV);
        if (key != null && key.isBlank()) key = null;
        String k = key;
        return OptionValues.build(() -> {
            if (timeoutSeconds < 0) throw new IllegalArgumentException("timeout must be >= 0 seconds (0 = none), got " + timeoutSeconds);
            if (graceSeconds < 0) throw new IllegalArgumentException("shutdownGrace must be >= 0 seconds, got " + graceSeconds);
            if (cacheRamMiB < 0 || cacheRamMiB > (1L << 30)) {
                throw new IllegalArgumentException("cache-ram must be in [0, 2^30] MiB, got " + cacheRamMiB);
            }
            ServerOptions.Builder b = ServerOptions.builder().host(host).port(port).apiKey(k).parallel(parallel).contextSize(contextSize)
                    .queue(queue).timeout(Duration.ofSeconds(timeoutSeconds)).shutdownGrace(Duration.ofSeconds(graceSeconds))
                    .speculation(spec).kvCompression(kv).sparseAttention(sp).modelId(alias).chatTemplate(chatTemplate)
                    .promptCacheBytes(cacheRamMiB << 20);
            if (threads != null) b.threads(threads);
            return b.build();
        }, NAMES);
    }

    private static <T> T parse(java.util.function.Supplier<T> p, String option) {
        try {
            return p.get();
        } catch (IllegalArgumentException e) {
            throw CliException.usage("invalid " + option + ": " + e.getMessage());
        }
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}

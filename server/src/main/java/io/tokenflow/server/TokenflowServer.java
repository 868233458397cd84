package io.tokenflow.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.staticfiles.Location;
import io.tokenflow.Model;
import io.tokenflow.batch.BatcherStats;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.ServerConnector;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An OpenAI-compatible HTTP server over one {@link Model} (Javalin on Jetty). Start it with {@link #start(ServerOptions)}
 * (it listens at once and answers 503 while loading), then hand it the model with {@link #ready(Model)}; or do both
 * with {@link #start(Model, ServerOptions)}. {@link #close()} shuts down gracefully: new requests get 503, requests in
 * flight may finish within {@link ServerOptions#shutdownGrace()}, then they end with an error event and the port is
 * released. The caller owns the model and closes it after the server.
 *
 * <p>Routes: {@code POST /v1/chat/completions}, {@code POST /v1/completions}, {@code POST /v1/embeddings},
 * {@code GET /v1/models}, {@code GET /health} ({@code /v1/health}), {@code GET /metrics}, {@code POST /tokenize},
 * {@code POST /detokenize}, and the web page under {@code /}. With an API key every route but {@code /health} and the
 * page needs {@code Authorization: Bearer KEY}.
 */
public final class TokenflowServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(TokenflowServer.class.getName());
    private static final String WEB = "/io/tokenflow/server/web";

    private final ServerOptions options;
    private final Metrics metrics = new Metrics();
    private final AtomicReference<ServerState> state = new AtomicReference<>(ServerState.LOADING);
    private final ScheduledExecutorService timer;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Object exchanges = new Object();
    private int activeExchanges; // guarded by exchanges
    private final byte[] apiKey;
    private volatile ServedModel served;
    private final Javalin app;
    private Thread shutdownHook;

    private TokenflowServer(ServerOptions options) {
        this.options = Objects.requireNonNull(options, "options");
        this.apiKey = options.apiKey() == null ? null : options.apiKey().getBytes(StandardCharsets.UTF_8);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tokenflow-server-timeouts");
            t.setDaemon(true);
            return t;
        });
        CompletionEndpoint completions = new CompletionEndpoint(this);
        EmbeddingsEndpoint embeddings = new EmbeddingsEndpoint(this);
        TokenizeEndpoint tokenize = new TokenizeEndpoint(this);
        this.app = Javalin.create(cfg -> {
            cfg.startup.showJavalinBanner = false;
            cfg.jetty.addConnector((server, http) -> {
                ServerConnector c = new ServerConnector(server, new HttpConnectionFactory(http));
                c.setHost(options.host());
                c.setPort(options.port());
                // a non-stream generation writes nothing until it ends: the connection must outlive the request timeout
                c.setIdleTimeout(options.hasTimeout() ? options.timeout().toMillis() + 60_000 : Duration.ofHours(1).toMillis());
                return c;
            });
            cfg.http.maxRequestSize = options.maxRequestBytes();
            cfg.staticFiles.add(sf -> {
                sf.hostedPath = "/";
                sf.directory = WEB;
                sf.location = Location.CLASSPATH;
            });
            cfg.requestLogger.http((ctx, ms) -> LOG.log(System.Logger.Level.DEBUG,
                    () -> ctx.method() + " " + ctx.path() + " " + ctx.status().getCode() + " " + Math.round(ms) + " ms"));
            cfg.routes.before(this::admit);
            cfg.routes.get("/", ctx -> ctx.contentType("text/html; charset=utf-8").result(index()));
            cfg.routes.get("/health", this::health);
            cfg.routes.get("/v1/health", this::health);
            cfg.routes.get("/v1/models", this::models);
            cfg.routes.get("/v1/models/{id}", this::model);
            cfg.routes.get("/metrics", this::metricsText);
            cfg.routes.post("/v1/chat/completions", ctx -> completions.handle(ctx, true));
            cfg.routes.post("/v1/completions", ctx -> completions.handle(ctx, false));
            cfg.routes.post("/v1/embeddings", embeddings::handle);
            cfg.routes.post("/tokenize", tokenize::tokenize);
            cfg.routes.post("/detokenize", tokenize::detokenize);
            // unknown API routes answer in OpenAI's shape too (registered last: the routes above match first)
            cfg.routes.get("/v1/*", this::unknownRoute);
            cfg.routes.post("/v1/*", this::unknownRoute);
            cfg.routes.exception(ApiException.class, (e, ctx) -> error(ctx, e));
            cfg.routes.exception(Exception.class, this::unexpected);
        });
        try {
            app.start();
        } catch (RuntimeException e) {
            timer.shutdownNow();
            throw e;
        }
    }

    /** Listens now; API routes answer 503 until {@link #ready(Model)}. */
    public static TokenflowServer start(ServerOptions options) {
        return new TokenflowServer(options);
    }

    /** Listens and serves {@code model} at once. */
    public static TokenflowServer start(Model model, ServerOptions options) {
        TokenflowServer s = new TokenflowServer(options);
        try {
            s.ready(model);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    /**
     * Serves {@code model}: opens the batch lane's context and the solo lane's worker, then /health turns 200.
     *
     * @throws IllegalStateException when already serving or shut down
     * @throws IllegalArgumentException when the options do not fit the model (unknown chat template, context size)
     */
    public synchronized void ready(Model model) {
        Objects.requireNonNull(model, "model");
        if (state.get() != ServerState.LOADING) throw new IllegalStateException("server is " + state.get() + ", not loading");
        ServedModel s = new ServedModel(model, options);
        served = s;
        if (!state.compareAndSet(ServerState.LOADING, ServerState.READY)) {
            s.close(); // closed while we were opening the lanes
            served = null;
            throw new IllegalStateException("server was closed while the model was being readied");
        }
        LOG.log(System.Logger.Level.DEBUG, () -> "serving " + s.id + " (chat format: " + s.chatFormat.kind() + ") with " + options);
    }

    public ServerOptions options() { return options; }

    public ServerState state() { return state.get(); }

    /** The port listened on (the chosen one when the options said 0). */
    public int port() { return app.port(); }

    /** {@code http://host:port} (IPv6 hosts bracketed). */
    public String url() {
        String h = options.host().contains(":") ? "[" + options.host() + "]" : options.host();
        return "http://" + h + ":" + port();
    }

    /** Calls {@link #close()} when the JVM exits (Ctrl-C, SIGTERM). */
    public synchronized void installShutdownHook() {
        if (shutdownHook != null) return;
        shutdownHook = new Thread(this::close, "tokenflow-server-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Blocks until the server has stopped. */
    public void awaitStop() throws InterruptedException { stopped.await(); }

    /**
     * Graceful shutdown: stop admitting (503), let in-flight requests finish within the grace period, end the rest with
     * an error, release the port. Returns true when every in-flight request finished in time. Idempotent.
     */
    public boolean shutdown() {
        ServerState before = state.getAndUpdate(s -> s == ServerState.STOPPED ? s : ServerState.DRAINING);
        if (before == ServerState.STOPPED || before == ServerState.DRAINING) {
            try {
                stopped.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return true;
        }
        boolean clean = true;
        try {
            ServedModel s = served;
            if (s != null) clean = s.shutdown(options.shutdownGrace());
            awaitExchanges(Duration.ofSeconds(5)); // the handlers write their last events
            app.stop();
            if (s != null) s.close();
        } finally {
            timer.shutdownNow();
            state.set(ServerState.STOPPED);
            stopped.countDown();
            removeHook();
        }
        return clean;
    }

    @Override
    public void close() { shutdown(); }

    private void removeHook() {
        Thread h;
        synchronized (this) {
            h = shutdownHook;
            shutdownHook = null;
        }
        if (h != null && Thread.currentThread() != h) {
            try {
                Runtime.getRuntime().removeShutdownHook(h);
            } catch (IllegalStateException e) {
                // the JVM is already exiting
            }
        }
    }

    // ---------------------------------------------------------------- for the endpoints

    /** The served model, or 503 while loading / shutting down. */
    ServedModel served() {
        ServedModel s = served;
        ServerState st = state.get();
        if (st == ServerState.LOADING || s == null) throw ApiException.unavailable("the model is loading", "loading");
        if (st != ServerState.READY) throw ApiException.unavailable("the server is shutting down", "shutting_down");
        return s;
    }

    Metrics metrics() { return metrics; }

    ScheduledExecutorService timer() { return timer; }

    void exchangeStarted() {
        synchronized (exchanges) {
            activeExchanges++;
        }
    }

    void exchangeEnded() {
        synchronized (exchanges) {
            activeExchanges--;
            exchanges.notifyAll();
        }
    }

    private void awaitExchanges(Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        synchronized (exchanges) {
            while (activeExchanges > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return;
                try {
                    TimeUnit.NANOSECONDS.timedWait(exchanges, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    // ---------------------------------------------------------------- handlers

    /** Before every route: authentication, then admission while shutting down. */
    private void admit(Context ctx) {
        String path = ctx.path();
        if (!isApi(path)) return; // /health, the page and its files stay open
        if (apiKey != null && !authorized(ctx.header("Authorization"))) throw ApiException.unauthorized();
        ServerState st = state.get();
        if (st == ServerState.DRAINING || st == ServerState.STOPPED) {
            throw ApiException.unavailable("the server is shutting down", "shutting_down");
        }
    }

    static boolean isApi(String path) {
        if (path.equals("/health") || path.equals("/v1/health")) return false;
        return path.startsWith("/v1/") || path.equals("/v1") || path.equals("/tokenize") || path.equals("/detokenize")
                || path.equals("/metrics");
    }

    private boolean authorized(String header) {
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) return false;
        byte[] given = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(given, apiKey); // constant time
    }

    private void health(Context ctx) {
        ServerState st = state.get();
        String status = switch (st) {
            case LOADING -> "loading";
            case READY -> "ok";
            case DRAINING, STOPPED -> "stopping";
        };
        ObjectNode body = Json.object().put("status", status);
        ctx.status(st == ServerState.READY ? 200 : 503).contentType("application/json").result(Json.bytes(body));
    }

    private ObjectNode modelObject(ServedModel s) {
        ObjectNode m = Json.object();
        m.put("id", s.id);
        m.put("object", "model");
        m.put("created", s.created);
        m.put("owned_by", "tokenflow");
        ObjectNode meta = m.putObject("meta");
        var info = s.model.info();
        meta.put("architecture", info.architecture());
        meta.put("n_params", info.parameterCount());
        meta.put("size", info.sizeBytes());
        meta.put("n_vocab", info.vocabularySize());
        meta.put("n_ctx_train", info.contextLengthTrained());
        meta.put("n_embd", info.embeddingLength());
        meta.put("n_ctx", options.contextSize());
        meta.put("slots", options.parallel());
        meta.put("chat_format", s.chatFormat.kind());
        return m;
    }

    private void models(Context ctx) {
        ServedModel s = served();
        ObjectNode body = Json.object();
        body.put("object", "list");
        ArrayNode data = body.putArray("data");
        data.add(modelObject(s));
        ctx.status(200).contentType("application/json").result(Json.bytes(body));
    }

    private void model(Context ctx) {
        ServedModel s = served();
        if (!ctx.pathParam("id").equals(s.id)) {
            throw new ApiException(404, "invalid_request_error", "the model '" + ctx.pathParam("id") + "' does not exist; this server serves '"
                    + s.id + "'", "model", "model_not_found", null);
        }
        ctx.status(200).contentType("application/json").result(Json.bytes(modelObject(s)));
    }

    private void metricsText(Context ctx) {
        ServedModel s = served;
        BatcherStats b = s == null ? null : s.batch.stats();
        String text = metrics.render(b, s == null ? 0 : s.solo.queued(), s != null && s.solo.busy());
        ctx.status(200).contentType("text/plain; version=0.0.4; charset=utf-8").result(text);
    }

    private void unknownRoute(Context ctx) {
        throw new ApiException(404, "invalid_request_error", "unknown route " + ctx.method() + " " + ctx.path(), null, "unknown_url", null);
    }

    private void error(Context ctx, ApiException e) {
        if (!e.wasAdmitted()) metrics.rejected(e.status());
        if (e.retryAfterSeconds() != null) ctx.header("Retry-After", Integer.toString(e.retryAfterSeconds()));
        ctx.status(e.status()).contentType("application/json").result(Json.bytes(ErrorBody.of(e)));
    }

    private void unexpected(Exception e, Context ctx) {
        if (e instanceof HttpResponseException h) { // Javalin's own (413 body too large, ...)
            error(ctx, new ApiException(h.getStatus(), h.getStatus() >= 500 ? "server_error" : "invalid_request_error",
                    h.getMessage(), null, null, null));
            return;
        }
        LOG.log(System.Logger.Level.WARNING, "request " + ctx.method() + " " + ctx.path() + " failed", e);
        error(ctx, new ApiException(500, "server_error", "internal error: " + e, null, null, null));
    }

    /** The web page's index (the page itself is a static file; this keeps "/" working whatever the static config does). */
    static byte[] index() throws IOException {
        try (InputStream in = TokenflowServer.class.getResourceAsStream(WEB + "/index.html")) {
            if (in == null) throw new IOException("index.html missing from the jar");
            return in.readAllBytes();
        }
    }
}

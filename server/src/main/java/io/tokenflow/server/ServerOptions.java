package io.tokenflow.server;

import io.tokenflow.SessionOptions;
import io.tokenflow.kv.KvCompression;
import io.tokenflow.sparse.SparseAttention;
import io.tokenflow.speculative.Speculation;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of a {@link TokenflowServer}. Immutable; build with {@link #builder()}.
 *
 * @param host address to bind (default 127.0.0.1: only this machine; 0.0.0.0 exposes the server, then set an API key)
 * @param port TCP port (default 8080; 0 picks a free one, see {@link TokenflowServer#port()})
 * @param apiKey bearer token every API route requires, or null for none ({@code /health} and the web page stay open)
 * @param parallel slots of the batch lane: sequences decoded together in one llama.cpp context
 * @param contextSize KV cells of the batch lane's context, split evenly among its slots; also the solo lane's context
 * @param threads CPU threads of each lane's context
 * @param queue requests that may wait in each lane beyond the running ones; one more is answered 429
 * @param timeout longest a request may run (queueing included) before it is cancelled; {@link Duration#ZERO} = none
 * @param shutdownGrace how long in-flight requests may finish after shutdown begins; then they end with an error
 * @param speculation default speculation for requests that do not name one (not NONE sends them to the solo lane)
 * @param kvCompression default KV compression for requests that do not name one
 * @param sparseAttention default sparse attention for requests that do not name one
 * @param modelId the id {@code /v1/models} lists and responses echo, or null for the model's own name
 * @param chatTemplate chat template name or text for /v1/chat/completions, or null: the model's own, else plain text
 * @param maxRequestBytes largest request body accepted
 * @param promptCacheBytes host memory for prompt states of the batch lane's slots
 *     ({@link io.tokenflow.batch.BatcherOptions#promptCacheBytes()}; default 512 MiB, 0: none)
 */
public record ServerOptions(String host, int port, String apiKey, int parallel, int contextSize, int threads, int queue,
        Duration timeout, Duration shutdownGrace, Speculation speculation, KvCompression kvCompression,
        SparseAttention sparseAttention, String modelId, String chatTemplate, long maxRequestBytes,
        long promptCacheBytes) {

    public static final int DEFAULT_PORT = 8080;

    public ServerOptions {
        Objects.requireNonNull(host, "host");
        if (host.isBlank()) throw new IllegalArgumentException("host is blank");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
        if (apiKey != null && apiKey.isBlank()) throw new IllegalArgumentException("the API key is blank (omit it for none)");
        if (parallel < 1 || parallel > 256) throw new IllegalArgumentException("parallel (slots) must be in [1, 256], got " + parallel);
        if (contextSize < parallel) {
            throw new IllegalArgumentException("contextSize (" + contextSize + ") must be at least the number of slots (" + parallel + ")");
        }
        if (threads < 1 || threads > SessionOptions.maxThreads()) {
            throw new IllegalArgumentException("threads must be in [1, " + SessionOptions.maxThreads() + "], got " + threads);
        }
        if (queue < 0) throw new IllegalArgumentException("queue must be >= 0, got " + queue);
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) throw new IllegalArgumentException("timeout must be >= 0 (0 = none), got " + timeout);
        Objects.requireNonNull(shutdownGrace, "shutdownGrace");
        if (shutdownGrace.isNegative()) throw new IllegalArgumentException("shutdownGrace must be >= 0, got " + shutdownGrace);
        Objects.requireNonNull(speculation, "speculation (use Speculation.NONE)");
        Objects.requireNonNull(kvCompression, "kvCompression (use KvCompression.none())");
        Objects.requireNonNull(sparseAttention, "sparseAttention (use SparseAttention.none())");
        if (modelId != null && modelId.isBlank()) throw new IllegalArgumentException("modelId is blank (omit it for the model's name)");
        if (maxRequestBytes < 1024) throw new IllegalArgumentException("maxRequestBytes must be >= 1024, got " + maxRequestBytes);
        if (promptCacheBytes < 0) throw new IllegalArgumentException("promptCacheBytes must be >= 0, got " + promptCacheBytes);
    }

    public boolean hasTimeout() { return !timeout.isZero(); }

    public static ServerOptions defaults() { return builder().build(); }

    public static Builder builder() { return new Builder(); }

    public Builder toBuilder() {
        return new Builder().host(host).port(port).apiKey(apiKey).parallel(parallel).contextSize(contextSize).threads(threads)
                .queue(queue).timeout(timeout).shutdownGrace(shutdownGrace).speculation(speculation).kvCompression(kvCompression)
                .sparseAttention(sparseAttention).modelId(modelId).chatTemplate(chatTemplate).maxRequestBytes(maxRequestBytes)
                .promptCacheBytes(promptCacheBytes);
    }

    @Override
    public String toString() { // never print the key
        return "ServerOptions[host=" + host + ", port=" + port + ", apiKey=" + (apiKey == null ? "none" : "set") + ", parallel="
                + parallel + ", contextSize=" + contextSize + ", threads=" + threads + ", queue=" + queue + ", timeout=" + timeout
                + ", shutdownGrace=" + shutdownGrace + ", speculation=" + speculation + ", kvCompression=" + kvCompression
                + ", sparseAttention=" + sparseAttention + ", modelId=" + modelId + ", chatTemplate=" + (chatTemplate == null ? "model's" : "set")
                + ", maxRequestBytes=" + maxRequestBytes + ", promptCacheBytes=" + promptCacheBytes + "]";
    }

    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = DEFAULT_PORT;
        private String apiKey;
        private int parallel = 4;
        private int contextSize = 4096;
        private int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
        private int queue = 64;
        private Duration timeout = Duration.ofMinutes(10);
        private Duration shutdownGrace = Duration.ofSeconds(10);
        private Speculation speculation = Speculation.NONE;
        private KvCompression kvCompression = KvCompression.none();
        private SparseAttention sparseAttention = SparseAttention.none();
        private String modelId;
        private String chatTemplate;
        private long maxRequestBytes = 8L << 20;
        private long promptCacheBytes = 512L << 20;

        public Builder host(String h) { host = h; return this; }
        public Builder port(int p) { port = p; return this; }
        public Builder apiKey(String k) { apiKey = k; return this; }
        public Builder parallel(int n) { parallel = n; return this; }
        public Builder contextSize(int n) { contextSize = n; return this; }
        public Builder threads(int n) { threads = n; return this; }
        public Builder queue(int n) { queue = n; return this; }
        public Builder timeout(Duration d) { timeout = d; return this; }
        public Builder shutdownGrace(Duration d) { shutdownGrace = d; return this; }
        public Builder speculation(Speculation s) { speculation = s; return this; }
        public Builder kvCompression(KvCompression k) { kvCompression = k; return this; }
        public Builder sparseAttention(SparseAttention s) { sparseAttention = s; return this; }
        public Builder modelId(String id) { modelId = id; return this; }
        public Builder chatTemplate(String t) { chatTemplate = t; return this; }
        public Builder maxRequestBytes(long n) { maxRequestBytes = n; return this; }
        public Builder promptCacheBytes(long n) { promptCacheBytes = n; return this; }
        public ServerOptions build() {
            return new ServerOptions(host, port, apiKey, parallel, contextSize, threads, queue, timeout, shutdownGrace, speculation,
                    kvCompression, sparseAttention, modelId, chatTemplate, maxRequestBytes,
                    promptCacheBytes);
        }
    }
}

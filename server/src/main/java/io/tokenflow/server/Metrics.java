package io.tokenflow.server;

import io.tokenflow.GenerationResult;
import io.tokenflow.GenerationStats;
import io.tokenflow.batch.BatcherStats;
import java.util.Locale;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters for {@code /metrics}, rendered in Prometheus' text format. Names follow llama-server's ({@code llamacpp:})
 * where they mean the same, so its dashboards work; tokenflow's own figures use {@code tokenflow:}. Batch-lane
 * figures come from the batcher's own counters; the solo lane's are added here as its requests finish.
 */
final class Metrics {
    private final LongAdder soloPromptTokens = new LongAdder();
    private final LongAdder soloPredictedTokens = new LongAdder();
    private final DoubleAdder soloPromptSeconds = new DoubleAdder();
    private final DoubleAdder soloPredictedSeconds = new DoubleAdder();
    private final LongAdder soloRequests = new LongAdder();
    private final LongAdder batchRequests = new LongAdder();
    private final LongAdder specDrafted = new LongAdder();
    private final LongAdder specAccepted = new LongAdder();
    private final LongAdder kvEvicted = new LongAdder();
    private final LongAdder sparseRowsRead = new LongAdder();
    private final LongAdder sparseRowsDense = new LongAdder();
    private final LongAdder rejectedQueueFull = new LongAdder();
    private final LongAdder rejectedInvalid = new LongAdder();
    private final LongAdder rejectedUnauthorized = new LongAdder();
    private final LongAdder rejectedUnavailable = new LongAdder();
    private final LongAdder cancelledClientGone = new LongAdder();
    private final LongAdder cancelledTimeout = new LongAdder();
    private final LongAdder cancelledShutdown = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder embeddings = new LongAdder();

    void admitted(Lane lane) {
        (lane == Lane.BATCH ? batchRequests : soloRequests).increment();
    }

    /** A finished generation's figures (both lanes: the policy counters; the solo lane: its token counts too). */
    void finished(Lane lane, GenerationResult r) {
        GenerationStats s = r.stats();
        if (lane == Lane.SOLO) {
            int decoded = Math.max(0, s.promptTokens() - s.cachedPromptTokens());
            soloPromptTokens.add(decoded);
            soloPredictedTokens.add(s.generatedTokens());
            if (s.promptTokensPerSecond() > 0) soloPromptSeconds.add(decoded / s.promptTokensPerSecond());
            if (s.generationTokensPerSecond() > 0) soloPredictedSeconds.add(Math.max(0, s.generatedTokens() - 1) / s.generationTokensPerSecond());
        }
        s.speculation().ifPresent(x -> {
            specDrafted.add(x.draftedNodes());
            specAccepted.add(x.acceptedTokens());
        });
        s.kv().ifPresent(x -> kvEvicted.add(x.evictedTokens()));
        s.sparse().ifPresent(x -> {
            sparseRowsRead.add(x.rowsRead());
            sparseRowsDense.add(x.rowsDense());
        });
    }

    void rejected(int status) {
        switch (status) {
            case 429 -> rejectedQueueFull.increment();
            case 401 -> rejectedUnauthorized.increment();
            case 503 -> rejectedUnavailable.increment();
            default -> {
                if (status >= 500) failed.increment();
                else rejectedInvalid.increment();
            }
        }
    }

    void cancelled(CancelCause cause) {
        switch (cause) {
            case CLIENT_GONE -> cancelledClientGone.increment();
            case TIMEOUT -> cancelledTimeout.increment();
            case SHUTDOWN -> cancelledShutdown.increment();
            case NONE -> { }
        }
    }

    void failed() { failed.increment(); }

    void embedded() { embeddings.increment(); }

    /** The exposition text; {@code batch} null while the model loads. */
    String render(BatcherStats batch, int soloQueued, boolean soloBusy) {
        StringBuilder sb = new StringBuilder(4096);
        long bPrompt = batch == null ? 0 : batch.promptTokensTotal();
        long bPredicted = batch == null ? 0 : batch.generatedTokensTotal();
        double bPromptS = batch == null ? 0 : batch.promptSeconds();
        double bPredS = batch == null ? 0 : batch.generationSeconds();
        long promptTotal = bPrompt + soloPromptTokens.sum();
        long predictedTotal = bPredicted + soloPredictedTokens.sum();
        double promptS = bPromptS + soloPromptSeconds.sum();
        double predS = bPredS + soloPredictedSeconds.sum();
        metric(sb, "llamacpp:prompt_tokens_total", "counter", "Number of prompt tokens processed (both lanes).", promptTotal);
        metric(sb, "llamacpp:prompt_seconds_total", "counter", "Prompt processing time (both lanes).", promptS);
        metric(sb, "llamacpp:tokens_predicted_total", "counter", "Number of generation tokens processed (both lanes).", predictedTotal);
        metric(sb, "llamacpp:tokens_predicted_seconds_total", "counter", "Predict process time (both lanes).", predS);
        metric(sb, "llamacpp:prompt_tokens_seconds", "gauge", "Average prompt throughput in tokens/s.",
                promptS > 0 ? promptTotal / promptS : 0);
        metric(sb, "llamacpp:predicted_tokens_seconds", "gauge", "Average generation throughput in tokens/s.",
                predS > 0 ? predictedTotal / predS : 0);
        int cellsUsed = batch == null ? 0 : batch.kvCellsUsed();
        int cellsTotal = batch == null ? 0 : batch.kvCellsTotal();
        metric(sb, "llamacpp:kv_cache_usage_ratio", "gauge", "KV-cache usage of the batch lane (1 = full).",
                cellsTotal > 0 ? (double) cellsUsed / cellsTotal : 0);
        metric(sb, "llamacpp:kv_cache_tokens", "gauge", "KV-cache cells in use in the batch lane.", cellsUsed);
        int active = batch == null ? 0 : batch.activeSlots();
        int queued = batch == null ? 0 : batch.queued();
        metric(sb, "llamacpp:requests_processing", "gauge", "Requests generating now (batch slots in use + the solo lane's).",
                active + (soloBusy ? 1 : 0));
        metric(sb, "llamacpp:requests_deferred", "gauge", "Requests waiting in the lanes' queues.", queued + soloQueued);
        long decodes = batch == null ? 0 : batch.decodeCalls();
        metric(sb, "llamacpp:n_decode_total", "counter", "llama_decode calls of the batch lane.", decodes);
        metric(sb, "llamacpp:n_busy_slots_per_decode", "gauge", "Average batch rows (tokens of all slots) per llama_decode call.",
                decodes > 0 ? (double) batch.decodeRowsTotal() / decodes : 0);

        metric(sb, "tokenflow:slots", "gauge", "Slots of the batch lane (--parallel).", batch == null ? 0 : batch.slots());
        metric(sb, "tokenflow:slots_busy", "gauge", "Slots of the batch lane running a request.", active);
        metric(sb, "tokenflow:kv_cache_cells", "gauge", "KV-cache cells of the batch lane's context.", cellsTotal);
        metric(sb, "tokenflow:prompt_tokens_reused_total", "counter", "Prompt tokens the batch lane's slots reused from their cache.",
                batch == null ? 0 : batch.promptTokensReused());
        header(sb, "tokenflow:requests_total", "counter", "Requests admitted, by lane.");
        sample(sb, "tokenflow:requests_total{lane=\"batch\"}", batchRequests.sum());
        sample(sb, "tokenflow:requests_total{lane=\"solo\"}", soloRequests.sum());
        header(sb, "tokenflow:requests_rejected_total", "counter", "Requests refused before running, by reason.");
        sample(sb, "tokenflow:requests_rejected_total{reason=\"queue_full\"}", rejectedQueueFull.sum());
        sample(sb, "tokenflow:requests_rejected_total{reason=\"invalid\"}", rejectedInvalid.sum());
        sample(sb, "tokenflow:requests_rejected_total{reason=\"unauthorized\"}", rejectedUnauthorized.sum());
        sample(sb, "tokenflow:requests_rejected_total{reason=\"unavailable\"}", rejectedUnavailable.sum());
        header(sb, "tokenflow:requests_cancelled_total", "counter", "Requests the server cancelled, by cause.");
        sample(sb, "tokenflow:requests_cancelled_total{cause=\"client_gone\"}", cancelledClientGone.sum());
        sample(sb, "tokenflow:requests_cancelled_total{cause=\"timeout\"}", cancelledTimeout.sum());
        sample(sb, "tokenflow:requests_cancelled_total{cause=\"shutdown\"}", cancelledShutdown.sum());
        metric(sb, "tokenflow:requests_failed_total", "counter", "Requests that failed inside the server (HTTP 500).", failed.sum());
        metric(sb, "tokenflow:embedding_requests_total", "counter", "Embedding requests served.", embeddings.sum());
        metric(sb, "tokenflow:spec_drafted_tokens_total", "counter", "Speculative decoding: drafted tokens (tree nodes).", specDrafted.sum());
        metric(sb, "tokenflow:spec_accepted_tokens_total", "counter", "Speculative decoding: accepted drafted tokens.", specAccepted.sum());
        metric(sb, "tokenflow:kv_evicted_cells_total", "counter", "KV compression: prompt cells evicted.", kvEvicted.sum());
        metric(sb, "tokenflow:sparse_rows_read_total", "counter", "Sparse attention: K/V rows read.", sparseRowsRead.sum());
        metric(sb, "tokenflow:sparse_rows_dense_total", "counter", "Sparse attention: K/V rows dense attention would have read.",
                sparseRowsDense.sum());
        return sb.toString();
    }

    private static void metric(StringBuilder sb, String name, String type, String help, double value) {
        header(sb, name, type, help);
        sample(sb, name, value);
    }

    private static void header(StringBuilder sb, String name, String type, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static void sample(StringBuilder sb, String name, double value) {
        sb.append(name).append(' ');
        if (value == Math.rint(value) && Math.abs(value) < 1e15) sb.append((long) value);
        else sb.append(String.format(Locale.ROOT, "%.6g", value));
        sb.append('\n');
    }
}

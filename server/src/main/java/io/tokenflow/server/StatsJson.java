package io.tokenflow.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokenflow.GenerationResult;
import io.tokenflow.GenerationStats;
import io.tokenflow.kv.KvStats;
import io.tokenflow.sparse.SparseStats;
import io.tokenflow.speculative.SpeculationStats;

/**
 * The {@code "tokenflow"} object every completion carries (the web page reads these names: keep them stable):
 * speeds, time to first token, reused prompt tokens, the lane, and the speculation / KV compression / sparse attention
 * figures of the request (null when that policy did not run), plus {@code usage}.
 */
final class StatsJson {
    private StatsJson() {}

    static ObjectNode tokenflow(GenerationResult r, Lane lane, Boolean jsonValid) {
        GenerationStats s = r.stats();
        ObjectNode o = Json.object();
        putNumber(o, "prompt_tokens_per_second", s.promptTokensPerSecond());
        putNumber(o, "generation_tokens_per_second", s.generationTokensPerSecond());
        putNumber(o, "ttft_ms", s.ttftMillis());
        o.put("cached_prompt_tokens", s.cachedPromptTokens());
        o.put("lane", lane.id());
        if (s.speculation().isPresent()) o.set("speculation", speculation(s.speculation().get()));
        else o.putNull("speculation");
        if (s.kv().isPresent()) o.set("kv_compression", kv(s.kv().get()));
        else o.putNull("kv_compression");
        if (s.sparse().isPresent()) o.set("sparse_attention", sparse(s.sparse().get()));
        else o.putNull("sparse_attention");
        if (jsonValid != null) o.put("json_valid", jsonValid);
        return o;
    }

    static ObjectNode usage(GenerationResult r) {
        GenerationStats s = r.stats();
        ObjectNode u = Json.object();
        u.put("prompt_tokens", s.promptTokens());
        u.put("completion_tokens", s.generatedTokens());
        u.put("total_tokens", s.promptTokens() + s.generatedTokens());
        u.putObject("prompt_tokens_details").put("cached_tokens", s.cachedPromptTokens());
        return u;
    }

    private static ObjectNode speculation(SpeculationStats s) {
        ObjectNode o = Json.object();
        o.put("policy", s.policy());
        o.put("steps", s.steps());
        o.put("drafted_tokens", s.draftedNodes());
        o.put("accepted_tokens", s.acceptedTokens());
        putNumber(o, "acceptance_rate", s.acceptanceRate());
        putNumber(o, "mean_accepted_per_step", s.meanAcceptedPerStep());
        putNumber(o, "draft_ms", s.draftMillis());
        putNumber(o, "verify_ms", s.verifyMillis());
        o.put("batch_invariant", s.batchInvariant());
        return o;
    }

    private static ObjectNode kv(KvStats k) {
        ObjectNode o = Json.object();
        o.put("policy", k.policy());
        o.put("cells_used", k.cellsUsed());
        o.put("cells_full", k.cellsFull());
        o.put("bytes_used", k.bytesUsed());
        o.put("bytes_full", k.bytesFull());
        o.put("evicted_tokens", k.evictedTokens());
        putNumber(o, "kept_fraction", k.keptFraction());
        putNumber(o, "scoring_ms", k.scoringTimeMs());
        return o;
    }

    private static ObjectNode sparse(SparseStats s) {
        ObjectNode o = Json.object();
        o.put("policy", s.policy());
        o.put("rows_read", s.rowsRead());
        o.put("rows_dense", s.rowsDense());
        putNumber(o, "read_fraction", s.readFraction());
        putNumber(o, "selection_ms", s.selectionMillis());
        o.put("sparse_layers", s.sparseLayers());
        return o;
    }

    /** JSON has no NaN: unknown figures (no token generated yet) are null. */
    private static void putNumber(ObjectNode o, String name, double v) {
        if (Double.isFinite(v)) o.put(name, Math.round(v * 1000) / 1000.0);
        else o.putNull(name);
    }
}

package io.tokenflow.cli;

import io.tokenflow.FlashAttention;
import io.tokenflow.KvCacheType;
import io.tokenflow.SessionOptions;
import io.tokenflow.kv.KvCompression;
import io.tokenflow.sparse.SparseAttention;
import java.util.Map;
import picocli.CommandLine.Option;

/** Session (llama.cpp context) options shared by {@code generate} and {@code chat}. */
final class ContextOptions {
    @Option(names = {"-c", "--ctx-size"}, paramLabel = "N", defaultValue = "0",
            description = "Context size in tokens; 0 = the model's trained context, at most 4096 (default: ${DEFAULT-VALUE}).")
    int contextSize;

    @Option(names = {"-t", "--threads"}, paramLabel = "N",
            description = "CPU threads (default: all available processors).")
    Integer threads;

    @Option(names = {"-b", "--batch-size"}, paramLabel = "N", defaultValue = "2048",
            description = "Prompt tokens per decode call (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--kv-type", paramLabel = "TYPE", defaultValue = "f16",
            description = "KV cache type: f16, f32, bf16, q8_0, q4_0 (default: ${DEFAULT-VALUE}).")
    KvCacheType kvType;

    @Option(names = {"-fa", "--flash-attn"}, paramLabel = "MODE", defaultValue = "auto",
            description = "Flash attention: auto, on, off (default: ${DEFAULT-VALUE}).")
    FlashAttention flashAttention;

    @Option(names = "--kv", paramLabel = "POLICY[:BUDGET][,KEY=VALUE...]",
            description = "KV-cache compression of the prompt: none, streaming, snapkv, windowkv, with a budget in tokens "
                    + "(512) or as a fraction of the prompt (0.12 or 12%%), e.g. windowkv:0.12; options: sinks, obs, kernel, "
                    + "pool=avg|max, w, task=auto|qa|other, groups, beta (default: none).")
    String kv;

    @Option(names = "--sparse", paramLabel = "POLICY",
            description = "Query-aware sparse attention at decode time: none, quest:BUDGET[,page=16,dense=2], "
                    + "tidal:K[,dense=2,reselect=13], tokenselect:K[,init=128,local=512,theta=2,dense=0] (default: none).")
    String sparse;

    @Option(names = "--no-batch-invariant", negatable = false,
            description = "Let speculative tree batches use the fastest CPU kernels; greedy output may then differ from plain "
                    + "decoding at near-ties (default: batch-invariant decoding steps, exactly lossless speculation).")
    boolean noBatchInvariant;

    private static final Map<String, String> NAMES = Map.of("contextSize", "--ctx-size", "batchSize", "--batch-size", "threads", "--threads", "batchThreads", "--threads");

    SessionOptions toOptions() {
        return OptionValues.build(() -> {
            SessionOptions.Builder b = SessionOptions.builder().contextSize(contextSize).batchSize(batchSize)
                    .kvCacheType(kvType).flashAttention(flashAttention)
                    .batchInvariant(!noBatchInvariant);
            if (threads != null) b.threads(threads);
            if (kv != null) b.kvCompression(KvCompression.parse(kv));
            if (sparse != null) b.sparseAttention(SparseAttention.parse(sparse));
            return b.build();
        }, NAMES);
    }
}

package io.tokenflow.bench;

import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import io.tokenflow.gguf.GgmlType;
import io.tokenflow.gguf.SyntheticLlama;
import io.tokenflow.internal.AtomicFiles;
import io.tokenflow.sparse.SparseAttention;
import io.tokenflow.sparse.SparseStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Decode speed with query-aware sparse attention against dense attention at a given cache depth, side by side in
 * one run (alternating rounds, medians): for every depth a dense session and one session per policy hold the same
 * random prompt; each round every session generates N tokens (greedy, random-weight model: speed only, never quality).
 * Reports tokens/s, the K/V rows read per step relative to dense, and the selection time; and an estimate of attention
 * time per token: the step time minus that of a dense session at a shallow depth measured in the same rounds (the rest
 * of the step does not depend on depth). The model is a synthetic
 * llama whose step is dominated by attention at long contexts (wide KV, small FFN) unless another is given.
 */
@Command(name = "SparseDecodeBench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Sparse vs dense decode at depth, alternating rounds, medians; writes OUT.json.")
public final class SparseDecodeBench extends BenchCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "OUT.json", defaultValue = "bench/results/sparse-decode.json",
            description = "Output (default: ${DEFAULT-VALUE}).")
    Path out;
    @Option(names = "--model", paramLabel = "GGUF", description = "Model (default: a synthetic attention-dominated llama, written once).")
    Path model;
    @Option(names = "--depths", split = ",", defaultValue = "4096,16384", description = "Cache depths (default: ${DEFAULT-VALUE}).")
    int[] depths;
    @Option(names = "--policies", split = ";", defaultValue = "quest:2048,dense=0;tidal:2048,dense=0;tokenselect:2048",
            description = "Sparse policies, ';'-separated (default: ${DEFAULT-VALUE}).")
    String[] policies;
    @Option(names = "--base-depth", defaultValue = "64",
            description = "Depth of a dense session measured in the same rounds: its step time is the part of a step that "
                    + "is not attention, subtracted to estimate attention time per token (default: ${DEFAULT-VALUE}).")
    int baseDepth;
    @Option(names = "-n", defaultValue = "16", description = "Tokens per round (default: ${DEFAULT-VALUE}).")
    int nGen;
    @Option(names = "-r", defaultValue = "5", description = "Rounds (default: ${DEFAULT-VALUE}).")
    int rounds;
    @Option(names = "-t", defaultValue = "2", description = "Threads (default: ${DEFAULT-VALUE}).")
    int threads;

    public static void main(String[] args) {
        System.exit(execute(new SparseDecodeBench(), args));
    }

    /** 4 layers, width 1024, 16 heads of 64 with 16 KV heads, FFN 1024, vocabulary 512: attention dominates past ~4k. */
    static Path attentionDominatedModel() throws IOException {
        Path dir = Path.of(System.getProperty("user.home"), ".cache", "tokenflow", "models");
        Files.createDirectories(dir);
        Path f = dir.resolve("synthetic-attn-long.gguf");
        if (!Files.isRegularFile(f)) {
            SyntheticLlama.builder().name("synthetic-attn-long").layers(4).width(1024).heads(16).kvHeads(16).ffn(1024)
                    .vocabSize(512).contextLength(65536).tensorType(GgmlType.F16).seed(5).build().write(f);
        }
        return f;
    }

    int shallowDepth(int depth) {
        return Math.min(baseDepth, depth);
    }

    @Override
    void run() throws IOException {
        Path file = model != null ? model : attentionDominatedModel();
        List<String> names = new ArrayList<>(List.of("none"));
        names.addAll(Arrays.asList(policies));
        names.add("base");  // dense at --base-depth: the step without (most of) attention
        StringBuilder json = new StringBuilder(String.format(Locale.ROOT, "{\"model\": \"%s\", \"threads\": %d, \"cpu_variant\": \"%s\", "
                + "\"tokens_per_round\": %d, \"rounds\": %d, \"depths\": [", file.getFileName(), threads,
                io.tokenflow.Tokenflow.cpuVariant(), nGen, rounds));
        System.out.printf(Locale.ROOT, "%s, %d threads, CPU variant %s, %d tokens x %d alternating rounds, medians%n",
                file.getFileName(), threads, io.tokenflow.Tokenflow.cpuVariant(), nGen, rounds);
        System.out.println("| depth | attention | tokens/s | vs dense | K/V rows read | selection ms/token "
                + "| attention ms/token (est.) | attention vs dense |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        try (Model m = Model.load(file)) {
            for (int di = 0; di < depths.length; di++) {
                int depth = depths[di];
                int[] prompt = new int[depth];
                Random rnd = new Random(depth);
                for (int i = 0; i < depth; i++) prompt[i] = 1 + rnd.nextInt(m.info().vocabularySize() - 1);
                GenerationOptions g = GenerationOptions.builder().maxTokens(nGen).ignoreEos(true).build();
                List<Session> sessions = new ArrayList<>();
                double[][] tps = new double[names.size()][rounds];
                double[] read = new double[names.size()], selMs = new double[names.size()];
                try {
                    int[] shallow = Arrays.copyOf(prompt, Math.min(baseDepth, depth));
                    for (String p : names) {
                        boolean base = p.equals("base");
                        Session s = m.newSession(SessionOptions.builder().contextSize((base ? shallow.length : depth) + nGen + 8)
                                .threads(threads).sparseAttention(SparseAttention.parse(base ? "none" : p)).build());
                        sessions.add(s);
                        System.err.printf(Locale.ROOT, "\rdepth %d: prefilling for %s        ", depth, p);
                        s.generate(base ? shallow : prompt, GenerationOptions.builder().maxTokens(1).build(), io.tokenflow.TokenListener.NONE);
                    }
                    for (int r = 0; r < rounds; r++) {
                        for (int k = 0; k < names.size(); k++) {
                            // every session holds a polling ggml thread pool: let the last one's threads go idle first
                            // (without this pause the sessions' pollers competed for the 2 cores: dense measured 73-101
                            // t/s at 4k instead of the ~200 of a lone session and of llama-bench -d 4096)
                            pause(200);
                            int[] in = names.get(k).equals("base") ? shallow : prompt;
                            GenerationResult res = sessions.get(k).generate(in, g, io.tokenflow.TokenListener.NONE);
                            tps[k][r] = res.stats().generationTokensPerSecond();
                            SparseStats st = res.stats().sparse().orElse(null);
                            if (st != null && r == rounds - 1) {
                                read[k] = st.readFraction();
                                selMs[k] = st.selectionMillis() / Math.max(1, res.tokens().length);
                            }
                        }
                        System.err.printf(Locale.ROOT, "\rdepth %d: round %d/%d              ", depth, r + 1, rounds);
                    }
                    System.err.println();
                } finally {
                    for (Session s : sessions) s.close();
                }
                double dense = median(tps[0]);
                int b = names.size() - 1;
                double baseMs = 1000.0 / median(tps[b]);  // step time without attention over the depth
                double denseAttn = 1000.0 / dense - baseMs;
                json.append(di == 0 ? "" : ", ").append(String.format(Locale.ROOT,
                        "{\"depth\": %d, \"base_depth\": %d, \"base_tokens_per_s\": %.3f, \"runs\": [", depth, shallowDepth(depth), median(tps[b])));
                System.out.printf(Locale.ROOT, "| %d | (dense at depth %d) | %.2f | | | | | |%n", depth, shallowDepth(depth), median(tps[b]));
                for (int k = 0; k < b; k++) {
                    double t = median(tps[k]);
                    double fr = k == 0 ? 1.0 : read[k];
                    double attn = 1000.0 / t - baseMs;
                    System.out.printf(Locale.ROOT, "| %d | %s | %.2f | %.2fx | %.1f%% | %.3f | %.2f | %.2fx |%n", depth, names.get(k), t,
                            t / dense, 100 * fr, selMs[k], attn, denseAttn / attn);
                    json.append(k == 0 ? "" : ", ").append(String.format(Locale.ROOT,
                            "{\"attention\": \"%s\", \"tokens_per_s\": %.3f, \"vs_dense\": %.4f, \"rows_read_fraction\": %.5f, "
                                    + "\"selection_ms_per_token\": %.4f, \"attention_ms_per_token_est\": %.4f, "
                                    + "\"attention_time_vs_dense\": %.4f}", names.get(k), t, t / dense, fr, selMs[k], attn,
                            denseAttn / attn));
                }
                json.append("]}");
            }
        }
        json.append("]}\n");
        writeAtomically(out, json);
        System.out.println("wrote " + out);
    }

}

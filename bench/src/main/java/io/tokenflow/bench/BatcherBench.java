package io.tokenflow.bench;

import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.Model;
import io.tokenflow.TokenListener;
import io.tokenflow.batch.BatchRequest;
import io.tokenflow.batch.BatcherOptions;
import io.tokenflow.batch.ContinuousBatcher;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * What continuous batching's exactness costs ({@code BatcherOptions.batchInvariant} / {@code invariantPrompts}), side
 * by side in alternating rounds (medians), on one model:
 * <ul>
 *   <li>prompt speed: a random prompt decoded with the batch-invariant kernels and with the fastest ones;</li>
 *   <li>aggregate generation throughput of 1, 2 and 4 concurrent greedy requests in one batcher, with batch-invariant
 *       decode steps and with the fastest kernels (what a server's throughput depends on).</li>
 * </ul>
 * Random prompts on a random-weight model: speed only.
 */
@Command(name = "BatcherBench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Continuous batching: invariant vs fastest kernels, prompt speed and aggregate throughput; writes OUT.json.")
public final class BatcherBench extends BenchCommand {
    @Parameters(index = "0", paramLabel = "MODEL", description = "GGUF model.")
    Path model;
    @Parameters(index = "1", arity = "0..1", paramLabel = "OUT.json", defaultValue = "bench/results/batcher.json",
            description = "Output (default: ${DEFAULT-VALUE}).")
    Path out;
    @Option(names = "-r", defaultValue = "3", description = "Alternating rounds (default: ${DEFAULT-VALUE}).")
    int rounds;
    @Option(names = "-p", defaultValue = "256", description = "Prompt tokens of the prompt-speed part (default: ${DEFAULT-VALUE}).")
    int promptTokens;
    @Option(names = "-n", defaultValue = "32", description = "Tokens each request generates (default: ${DEFAULT-VALUE}).")
    int gen;
    @Option(names = "-t", defaultValue = "2", description = "Threads (default: ${DEFAULT-VALUE}).")
    int threads;

    static final int[] CONCURRENCY = {1, 2, 4};

    public static void main(String[] args) {
        System.exit(execute(new BatcherBench(), args));
    }

    private static int[] randomPrompt(Random rnd, int n, int vocab) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = 1 + rnd.nextInt(vocab - 1);
        return p;
    }

    @Override
    void run() throws IOException {
        double[][] pp = new double[2][rounds];
        double[][][] agg = new double[2][CONCURRENCY.length][rounds];
        try (Model m = Model.load(model)) {
            int vocab = m.info().vocabularySize();
            ContinuousBatcher[] b = new ContinuousBatcher[2];
            for (int k = 0; k < 2; k++) {
                boolean inv = k == 0;
                b[k] = ContinuousBatcher.start(m, BatcherOptions.builder().slots(4).contextSize(2048).threads(threads)
                        .prefillChunk(promptTokens).batchInvariant(inv).invariantPrompts(inv).build());
            }
            try {
                Random rnd = new Random(11);
                GenerationOptions one = GenerationOptions.builder().maxTokens(1).ignoreEos(true).build();
                GenerationOptions g = GenerationOptions.builder().maxTokens(gen).ignoreEos(true).temperature(0).build();
                for (int r = 0; r < rounds; r++) {
                    int[] prompt = randomPrompt(rnd, promptTokens, vocab);
                    for (int k = 0; k < 2; k++) {
                        pause(200);
                        pp[k][r] = join(b[k].submit(prompt, one, TokenListener.NONE)).stats().promptTokensPerSecond();
                    }
                    for (int c = 0; c < CONCURRENCY.length; c++) {
                        List<int[]> prompts = new ArrayList<>();
                        for (int i = 0; i < CONCURRENCY[c]; i++) prompts.add(randomPrompt(rnd, 16, vocab));
                        for (int k = 0; k < 2; k++) {
                            pause(200);
                            long t0 = System.nanoTime();
                            List<BatchRequest> rs = new ArrayList<>();
                            for (int[] p : prompts) rs.add(b[k].submit(p, g, TokenListener.NONE));
                            int tokens = 0;
                            for (BatchRequest q : rs) tokens += join(q).tokens().length;
                            agg[k][c][r] = tokens / ((System.nanoTime() - t0) / 1e9);
                        }
                    }
                    System.err.printf(Locale.ROOT, "\rround %d/%d", r + 1, rounds);
                }
                System.err.println();
            } finally {
                for (ContinuousBatcher x : b) x.close();
            }
        }
        String[] mode = {"batch-invariant", "fastest"};
        StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
                "{\"model\": \"%s\", \"threads\": %d, \"cpu_variant\": \"%s\", \"rounds\": %d, \"prompt_tokens\": %d, "
                        + "\"generated_per_request\": %d, \"prompt_tokens_per_s\": {", model.getFileName(), threads,
                io.tokenflow.Tokenflow.cpuVariant(), rounds, promptTokens, gen));
        System.out.printf(Locale.ROOT, "%s, %d threads, CPU variant %s, %d alternating rounds, medians%n", model.getFileName(),
                threads, io.tokenflow.Tokenflow.cpuVariant(), rounds);
        System.out.println("| kernels | prompt t/s | " + String.join(" | ", java.util.Arrays.stream(CONCURRENCY)
                .mapToObj(c -> c + " request" + (c > 1 ? "s" : "") + " t/s").toList()) + " |");
        System.out.println("|---|---|---|---|---|");
        for (int k = 0; k < 2; k++) {
            json.append(k == 0 ? "" : ", ").append(String.format(Locale.ROOT, "\"%s\": %.2f", mode[k], median(pp[k])));
        }
        json.append("}, \"aggregate_tokens_per_s\": {");
        for (int k = 0; k < 2; k++) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "| %s | %.1f |", mode[k], median(pp[k])));
            json.append(k == 0 ? "" : ", ").append(String.format(Locale.ROOT, "\"%s\": {", mode[k]));
            for (int c = 0; c < CONCURRENCY.length; c++) {
                row.append(String.format(Locale.ROOT, " %.2f |", median(agg[k][c])));
                json.append(c == 0 ? "" : ", ").append(String.format(Locale.ROOT, "\"%d\": %.3f", CONCURRENCY[c], median(agg[k][c])));
            }
            json.append("}");
            System.out.println(row);
        }
        json.append("}}\n");
        writeAtomically(out, json);
        System.out.println("wrote " + out);
    }

    private static GenerationResult join(BatchRequest r) {
        try {
            return r.result().get(30, TimeUnit.MINUTES);
        } catch (Exception e) {
            throw new IllegalStateException("request failed", e);
        }
    }
}

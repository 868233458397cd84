package io.tokenflow.bench;

import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import io.tokenflow.eval.PromptSets;
import io.tokenflow.internal.AtomicFiles;
import io.tokenflow.speculative.Speculation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * What batch invariance ({@code SessionOptions.batchInvariant}, the default) costs and what it buys, side by side in
 * alternating rounds (medians), default options otherwise (F16 cache, flash attention auto), 2 threads:
 * <ul>
 *   <li>tree batches of 1, 4, 16 and 64 nodes after a 64-token prefix, with batch-invariant kernels and with the
 *       fastest ones;</li>
 *   <li>speculative greedy generation (n-gram trees, fixed budget) on the built-in prompt sets: tokens/s with either
 *       kernel choice, and how many outputs differ from plain greedy decoding with each.</li>
 * </ul>
 */
@Command(name = "InvariantCostBench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Batch-invariant vs fastest kernels: tree batch cost and speculative generation; writes OUT.json.")
public final class InvariantCostBench extends BenchCommand {
    @Parameters(index = "0", paramLabel = "MODEL", description = "GGUF model.")
    Path model;
    @Parameters(index = "1", arity = "0..1", paramLabel = "ROUNDS", defaultValue = "21", description = "Alternating rounds (default: ${DEFAULT-VALUE}).")
    int rounds;
    @Parameters(index = "2", arity = "0..1", paramLabel = "OUT.json", defaultValue = "bench/results/batch-invariance.json",
            description = "Output (default: ${DEFAULT-VALUE}).")
    Path out;

    static final int[] SIZES = {1, 4, 16, 64};
    static final int GEN = 64;
    static final int BUDGET = 16;

    public static void main(String[] args) {
        System.exit(execute(new InvariantCostBench(), args));
    }

    static SessionOptions options(int ctx, boolean invariant) {
        return SessionOptions.builder().contextSize(ctx).threads(2).batchInvariant(invariant).build();
    }

    @Override
    void run() throws IOException {
        double[][] inv = new double[SIZES.length][rounds], fast = new double[SIZES.length][rounds];
        List<String> prompts = new ArrayList<>();
        for (List<String> set : PromptSets.all().values()) prompts.addAll(set);
        double[] genInv = new double[rounds], genFast = new double[rounds];
        int differInv = 0, differFast = 0, total = 0;
        try (Model m = Model.load(model);
             Session a = m.newSession(options(256, true));
             Session b = m.newSession(options(256, false))) {
            int[] prefix = new int[64];
            for (int i = 0; i < prefix.length; i++) prefix[i] = 1 + i;
            a.scoring().decode(prefix);
            b.scoring().decode(prefix);
            for (int r = 0; r < rounds; r++) {
                // each session holds a polling thread pool: pause so the other's threads are idle when one measures
                pause(200);
                double[] x = a.scoring().treeCostSeconds(1, SIZES);
                pause(200);
                double[] y = b.scoring().treeCostSeconds(1, SIZES);
                for (int k = 0; k < SIZES.length; k++) {
                    inv[k][r] = x[k];
                    fast[k][r] = y[k];
                }
                System.err.printf(Locale.ROOT, "\rtree batches: round %d/%d", r + 1, rounds);
            }
            System.err.println();
        }
        GenerationOptions spec = GenerationOptions.builder().maxTokens(GEN).ignoreEos(true).speculation(Speculation.NGRAM)
                .draftBudget(BUDGET).build();
        try (Model m = Model.load(model);
             Session plain = m.newSession(options(1024, true));
             Session a = m.newSession(options(1024, true));
             Session b = m.newSession(options(1024, false))) {
            List<int[]> want = new ArrayList<>();
            for (String p : prompts) want.add(plain.generate(p, GenerationOptions.builder().maxTokens(GEN).ignoreEos(true).build()).tokens());
            for (int r = 0; r < rounds; r++) {
                long tokensA = 0, tokensB = 0;
                double secA = 0, secB = 0;
                // all prompts on one session, a pause, all on the other (alternating per round)
                GenerationResult[] xs = new GenerationResult[prompts.size()], ys = new GenerationResult[prompts.size()];
                pause(200);
                for (int i = 0; i < prompts.size(); i++) xs[i] = a.generate(prompts.get(i), spec);
                pause(200);
                for (int i = 0; i < prompts.size(); i++) ys[i] = b.generate(prompts.get(i), spec);
                for (int i = 0; i < prompts.size(); i++) {
                    tokensA += xs[i].tokens().length;
                    tokensB += ys[i].tokens().length;
                    secA += xs[i].stats().totalMillis() / 1e3;
                    secB += ys[i].stats().totalMillis() / 1e3;
                    if (r == 0) {
                        total++;
                        if (!Arrays.equals(xs[i].tokens(), want.get(i))) differInv++;
                        if (!Arrays.equals(ys[i].tokens(), want.get(i))) differFast++;
                    }
                }
                genInv[r] = tokensA / secA;
                genFast[r] = tokensB / secB;
                System.err.printf(Locale.ROOT, "\rspeculative generation: round %d/%d", r + 1, rounds);
            }
            System.err.println();
        }
        StringBuilder json = new StringBuilder(String.format(Locale.ROOT, "{\"model\": \"%s\", \"threads\": 2, "
                + "\"cpu_variant\": \"%s\", \"rounds\": %d, \"tree_batches\": [", model.getFileName(),
                io.tokenflow.Tokenflow.cpuVariant(), rounds));
        System.out.printf(Locale.ROOT, "%s, 2 threads, CPU variant %s, %d alternating rounds, medians%n",
                model.getFileName(), io.tokenflow.Tokenflow.cpuVariant(), rounds);
        System.out.println("| tree nodes | batch-invariant (ms) | fastest kernels (ms) | invariant / fastest |");
        System.out.println("|---|---|---|---|");
        for (int k = 0; k < SIZES.length; k++) {
            double x = median(inv[k]) * 1e3, y = median(fast[k]) * 1e3;
            System.out.printf(Locale.ROOT, "| %d | %.3f | %.3f | %.3f |%n", SIZES[k], x, y, x / y);
            json.append(k == 0 ? "" : ", ").append(String.format(Locale.ROOT,
                    "{\"nodes\": %d, \"invariant_ms\": %.4f, \"fastest_ms\": %.4f, \"ratio\": %.4f}", SIZES[k], x, y, x / y));
        }
        double gi = median(genInv), gf = median(genFast);
        System.out.printf(Locale.ROOT, "%nspeculative greedy (ngram, budget %d, %d tokens, %d prompts):%n", BUDGET, GEN, total);
        System.out.println("| kernels | tokens/s | outputs differing from plain greedy |");
        System.out.println("|---|---|---|");
        System.out.printf(Locale.ROOT, "| batch-invariant | %.1f | %d of %d |%n", gi, differInv, total);
        System.out.printf(Locale.ROOT, "| fastest | %.1f | %d of %d |%n", gf, differFast, total);
        json.append(String.format(Locale.ROOT, "], \"generation\": {\"policy\": \"ngram\", \"budget\": %d, \"tokens\": %d, "
                + "\"prompts\": %d, \"invariant_tokens_per_s\": %.2f, \"fastest_tokens_per_s\": %.2f, \"ratio\": %.4f, "
                + "\"invariant_differing\": %d, \"fastest_differing\": %d}}%n", BUDGET, GEN, total, gi, gf, gi / gf,
                differInv, differFast));
        writeAtomically(out, json);
        System.out.println("wrote " + out);
    }

}

package io.tokenflow.bench;

import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import io.tokenflow.internal.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * What a batch of n tokens costs decoded as a speculative tree (a chain through the token-tree path, what tree sizing
 * measures: {@code Scoring.treeCostSeconds}) versus as one plain decode call (what llama.cpp's tools and the
 * benchmarks' projections use: {@code Scoring.batchCostSeconds}), side by side in alternating rounds, medians; after
 * a 64-token prefix, context 256, 2 threads.
 */
@Command(name = "BatchLayoutBench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Tree-layout vs plain batch decode cost, alternating rounds, medians; writes OUT.json.")
public final class BatchLayoutBench extends BenchCommand {
    @Parameters(index = "0", paramLabel = "MODEL", description = "GGUF model.")
    Path model;
    @Parameters(index = "1", arity = "0..1", paramLabel = "ROUNDS", defaultValue = "41", description = "Alternating rounds (default: ${DEFAULT-VALUE}).")
    int rounds;
    @Parameters(index = "2", arity = "0..1", paramLabel = "OUT.json", defaultValue = "bench/results/batch-layout.json",
            description = "Output (default: ${DEFAULT-VALUE}).")
    Path out;

    static final int[] SIZES = {1, 4, 16, 64};

    public static void main(String[] args) {
        System.exit(execute(new BatchLayoutBench(), args));
    }

    @Override
    void run() throws IOException {
        double[][] tree = new double[SIZES.length][rounds], plain = new double[SIZES.length][rounds];
        try (Model m = Model.load(model);
             Session s = m.newSession(SessionOptions.builder().contextSize(256).threads(2).build())) {
            int[] prefix = new int[64];
            for (int i = 0; i < prefix.length; i++) prefix[i] = 1 + i;
            s.scoring().decode(prefix);
            for (int r = 0; r < rounds; r++) {
                double[] t = s.scoring().treeCostSeconds(1, SIZES);
                double[] p = s.scoring().batchCostSeconds(1, SIZES);
                for (int k = 0; k < SIZES.length; k++) {
                    tree[k][r] = t[k];
                    plain[k][r] = p[k];
                }
            }
        }
        StringBuilder json = new StringBuilder("{\"model\": \"" + model.getFileName() + "\", \"threads\": 2, \"context\": 256, "
                + "\"prefix\": 64, \"rounds\": " + rounds + ", \"rows\": [");
        System.out.printf(Locale.ROOT, "%s, 2 threads, ctx 256, 64-token prefix, %d alternating rounds, medians%n",
                model.getFileName(), rounds);
        System.out.println("| batch | tree layout (ms) | plain decode (ms) | tree / plain |");
        System.out.println("|---|---|---|---|");
        for (int k = 0; k < SIZES.length; k++) {
            double t = median(tree[k]) * 1e3, p = median(plain[k]) * 1e3;
            System.out.printf(Locale.ROOT, "| %d | %.3f | %.3f | %.3f |%n", SIZES[k], t, p, t / p);
            json.append(k == 0 ? "" : ", ").append(String.format(Locale.ROOT,
                    "{\"batch\": %d, \"tree_ms\": %.4f, \"plain_ms\": %.4f, \"ratio\": %.4f}", SIZES[k], t, p, t / p));
        }
        json.append("]}\n");
        writeAtomically(out, json);
        System.out.println("wrote " + out);
    }

}

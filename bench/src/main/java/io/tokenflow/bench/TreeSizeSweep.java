package io.tokenflow.bench;

import io.tokenflow.FlashAttention;
import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.KvCacheType;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import io.tokenflow.eval.LinePlot;
import io.tokenflow.speculative.Speculation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * Speedup versus tree size (a benchmark program): for each policy and draft budget, the acceptance measured on a
 * real model (story + code prompt sets) and the measured speed there, plus the speedup <b>projected</b> for a
 * second model from its measured batch-cost curve: (accepted per step + 1) x cost(1) / cost(budget + 1).
 * Writes OUT.json and OUT.png (projected speedup vs budget, one line per policy).
 *
 * <p>Usage: {@code TreeSizeSweep MODEL COST_MODEL OUT_PREFIX [N=48]}
 */
@Command(name = "TreeSizeSweep", mixinStandardHelpOptions = true,
        description = {"Speedup versus tree size: for each policy and draft budget, acceptance and speed measured on MODEL "
                + "(story + code prompts) and the speedup projected on COST_MODEL from its measured batch-cost curve; "
                + "writes OUT_PREFIX.json and OUT_PREFIX.png."})
public final class TreeSizeSweep extends BenchCommand {
    static final int[] BUDGETS = {1, 2, 4, 8, 16, 32, 64};
    static final Speculation[] POLICIES = {Speculation.NGRAM, Speculation.LOOKAHEAD, Speculation.RECYCLING, Speculation.AUTO};

    @Parameters(index = "0", paramLabel = "MODEL", description = "GGUF model measured here.")
    private Path model;
    @Parameters(index = "1", paramLabel = "COST_MODEL", description = "Model whose batch-cost curve projects the speedups.")
    private Path costModel;
    @Parameters(index = "2", paramLabel = "OUT_PREFIX", description = "Writes OUT_PREFIX.json and OUT_PREFIX.png.")
    private String prefix;
    @Parameters(index = "3", arity = "0..1", paramLabel = "N", defaultValue = "48", description = "Tokens per prompt (default: ${DEFAULT-VALUE}).")
    private int n;

    public static void main(String[] args) {
        System.exit(BenchCommand.execute(new TreeSizeSweep(), args));
    }

    @Override
    void run() throws IOException {
        List<String> prompts = new ArrayList<>(SpeculationBench.promptSets().get("story"));
        prompts.addAll(SpeculationBench.promptSets().get("code"));
        double[] cost = batchCosts(costModel);
        double[][] projected = new double[POLICIES.length][BUDGETS.length];
        double[][] measured = new double[POLICIES.length][BUDGETS.length];
        double[][] accepted = new double[POLICIES.length][BUDGETS.length];
        StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
                "{\"model\":\"%s\",\"cost_model\":\"%s\",\"tokens\":%d,\"prompts\":%d,\"budgets\":%s,\"cost_s\":%s,\"policies\":{",
                model.getFileName(), costModel.getFileName(), n, prompts.size(), java.util.Arrays.toString(BUDGETS),
                java.util.Arrays.toString(cost)));
        try (Model m = Model.load(model)) {
            SessionOptions so = SessionOptions.builder().contextSize(1024).threads(1).kvCacheType(KvCacheType.F32)
                    .flashAttention(FlashAttention.OFF).build();
            double plain = run(m, so, prompts, n, Speculation.NONE, 0)[0];
            System.out.printf(Locale.ROOT, "%s plain: %.1f t/s; cost(1) on %s = %.1f ms%n%n", model.getFileName(), plain,
                    costModel.getFileName(), cost[0] * 1e3);
            System.out.println("| policy | budget | accepted/step | measured speedup | projected speedup |");
            System.out.println("|---|---:|---:|---:|---:|");
            for (int p = 0; p < POLICIES.length; p++) {
                json.append(p == 0 ? "" : ",").append('"').append(POLICIES[p]).append("\":[");
                for (int b = 0; b < BUDGETS.length; b++) {
                    double[] r = run(m, so, prompts, n, POLICIES[p], BUDGETS[b]);
                    accepted[p][b] = r[1];
                    measured[p][b] = r[0] / plain;
                    projected[p][b] = (r[1] + 1) * cost[0] / cost[b + 1];
                    System.out.printf(Locale.ROOT, "| %s | %d | %.2f | %.2fx | %.2fx |%n", POLICIES[p], BUDGETS[b], r[1],
                            measured[p][b], projected[p][b]);
                    json.append(b == 0 ? "" : ",").append(String.format(Locale.ROOT,
                            "{\"budget\":%d,\"accepted_per_step\":%.4f,\"measured_speedup\":%.4f,\"projected_speedup\":%.4f}",
                            BUDGETS[b], r[1], measured[p][b], projected[p][b]));
                }
                json.append(']');
            }
        }
        json.append("}}\n");
        Path jsonOut = Path.of(prefix + ".json");
        Files.createDirectories(jsonOut.toAbsolutePath().getParent());
        Files.writeString(jsonOut, json);
        plot(projected, Path.of(prefix + ".png"), "Projected speedup on " + costModel.getFileName()
                + " (acceptance measured on " + model.getFileName() + ")");
        System.out.println("\nwrote " + jsonOut + " and " + prefix + ".png");
    }

    /** {tokens/s after the first token, mean accepted per step}, warm-up on a throwaway session first. */
    static double[] run(Model m, SessionOptions so, List<String> prompts, int n, Speculation policy, int budget) {
        double[] out = null;
        for (int pass = 0; pass < 2; pass++) {
            try (Session s = m.newSession(so)) {
                long tokens = 0, steps = 0, acc = 0;
                double seconds = 0;
                for (String p : prompts) {
                    GenerationResult r = s.generate(p, GenerationOptions.builder().maxTokens(n).ignoreEos(true)
                            .speculation(policy).draftBudget(budget).build());
                    tokens += r.stats().generatedTokens() - 1;
                    seconds += (r.stats().totalMillis() - r.stats().ttftMillis()) / 1e3;
                    if (r.stats().speculation().isPresent()) {
                        steps += r.stats().speculation().get().steps();
                        acc += r.stats().speculation().get().acceptedTokens();
                    }
                }
                out = new double[] {tokens / seconds, steps == 0 ? 0 : (double) acc / steps};
            }
        }
        return out;
    }

    /** cost[0] = 1 token; cost[i + 1] = BUDGETS[i] + 1 tokens, in one batch after a 64-token prefix (best of 3). */
    static double[] batchCosts(Path model) {
        int[] sizes = new int[BUDGETS.length];
        for (int i = 0; i < sizes.length; i++) sizes[i] = BUDGETS[i] + 1;
        return BatchCost.bestOf(model, 3, sizes);
    }

    /** Projected speedup vs budget, one line per policy, a grey line at 1x. */
    static void plot(double[][] y, Path png, String title) throws IOException {
        List<String> x = new ArrayList<>();
        for (int b : BUDGETS) x.add(Integer.toString(b));
        List<String> series = new ArrayList<>();
        for (Speculation p : POLICIES) series.add(p.toString());
        LinePlot.categorical(png, title, "drafted nodes per step (tree budget)", x, series, y, 0, 1.5, 0.5, "%.1fx", 1.0);
    }
}

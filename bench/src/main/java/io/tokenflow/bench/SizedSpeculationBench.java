package io.tokenflow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.tokenflow.FlashAttention;
import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.KvCacheType;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import io.tokenflow.speculative.Speculation;
import io.tokenflow.speculative.SpeculationStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Speculative decoding with tokenflow's default, hardware-sized trees against llama.cpp's {@code llama-lookup} at
 * several draft lengths (a program, not a test), side by side in one run on the prompt sets of
 * {@link SpeculationBench}. Two parts:
 *
 * <ol>
 *   <li><b>Measured on this machine</b>: plain greedy and every tokenflow policy with the default budget (trees sized
 *       from this machine's measured cost curve), and {@code llama-lookup} with {@code --spec-draft-n-max} 3 (its
 *       default), 8 and 16, all with 1 thread, F32 KV cache and flash attention off (like for like); the fastest of
 *       {@code -Drounds} or {@code --rounds} (3) interleaved passes of each.
 *   <li><b>Projected on a cost model</b> (e.g. a synthetic 1.1B model): its batch-cost curve is measured (n = 1, 2, 4,
 *       ..., 32, best of 3, interpolated), the tokenflow sessions are given that curve ({@code
 *       SessionOptions.batchCostSeconds}), so their trees are sized as they would be on that machine, and every step
 *       is priced at the curve's cost of its batch (plain steps at cost(1)). {@code llama-lookup} prints only totals
 *       (steps, drafted tokens), not each step's batch, so it is priced at the least any split of its drafted tokens
 *       over its steps can cost: steps x the lower convex envelope of the curve (batches 1 .. n_max + 1) at its mean
 *       batch. That is a lower bound on its time, so its projected speedup is an upper bound: the comparison favours
 *       the peer.
 * </ol>
 *
 * <p>Usage: {@code SizedSpeculationBench MODEL COST_MODEL|COST_CURVE.json LLAMA_BIN_DIR [N=64] [OUT.json]}: a model's
 * curve is measured (best of {@value #CURVE_REPS}) and written beside OUT as {@code cost-curve-NAME.json}; passing that
 * file instead prices another run on the same curve (the measurement varies by 10-20% between runs on a shared
 * machine, and the projection with it).
 */
@Command(name = "SizedSpeculationBench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"tokenflow's default, hardware-sized speculation trees against llama.cpp's llama-lookup at several "
                + "draft lengths: measured on this machine, and projected on a cost model's batch-cost curve."})
public final class SizedSpeculationBench extends BenchCommand {
    static final int[] LOOKUP_DRAFTS = {3, 8, 16};
    static final int CURVE_MAX = 32;
    static final int CURVE_REPS = 7;

    /** A measured batch-cost curve: seconds for a batch of sizes[i] tokens. */
    record CostFile(String model, int threads, int[] sizes, double[] seconds) {}

    @Parameters(index = "0", paramLabel = "MODEL", description = "GGUF model measured here.")
    private Path model;
    @Parameters(index = "1", paramLabel = "COST_MODEL|COST_CURVE.json",
            description = "Model whose batch-cost curve is measured (and written beside OUT as cost-curve-NAME.json), "
                    + "or such a file from an earlier run.")
    private String costSource;
    @Parameters(index = "2", paramLabel = "LLAMA_BIN_DIR", description = "llama.cpp bin folder (llama-lookup).")
    private Path bin;
    @Parameters(index = "3", arity = "0..1", paramLabel = "N", defaultValue = "64", description = "Tokens per prompt (default: ${DEFAULT-VALUE}).")
    private int n;
    @Parameters(index = "4", arity = "0..1", paramLabel = "OUT.json", defaultValue = "bench/results/speculation-sized.json",
            description = "Where the JSON goes (default: ${DEFAULT-VALUE}).")
    private Path out;
    /** Interleaved measured rounds; the fastest pass of each policy counts. */
    @Option(names = "--rounds", paramLabel = "N", defaultValue = "${sys:rounds:-3}",
            description = "Interleaved measured rounds, the fastest pass of each counts (default: -Drounds=N, else 3).")
    private int rounds;

    public static void main(String[] args) {
        System.exit(BenchCommand.execute(new SizedSpeculationBench(), args));
    }

    @Override
    void run() throws IOException {
        Path costModel = Path.of(costSource);

        int[] sizes = {1, 2, 4, 8, 16, 32};
        double[] measured;
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        if (costModel.toString().endsWith(".json")) {
            // A curve measured before: runs on different models are then priced on the same curve.
            CostFile f = mapper.readValue(costModel.toFile(), CostFile.class);
            if (!java.util.Arrays.equals(f.sizes(), sizes)) throw new IllegalArgumentException(costModel + ": sizes must be " + java.util.Arrays.toString(sizes));
            measured = f.seconds();
            costModel = Path.of(f.model());
            System.out.printf(Locale.ROOT, "batch-cost curve of %s read from %s%n", f.model(), costSource);
        } else {
            System.out.printf(Locale.ROOT, "measuring the batch-cost curve of %s (2 threads, best of %d) ...%n", costModel.getFileName(), CURVE_REPS);
            measured = BatchCost.bestOf(costModel, CURVE_REPS, 2, 4, 8, 16, 32);
            Path file = out.toAbsolutePath().getParent().resolve("cost-curve-" + costModel.getFileName().toString().replace(".gguf", "") + ".json");
            Files.createDirectories(file.getParent());
            mapper.writeValue(file.toFile(), new CostFile(costModel.getFileName().toString(), 2, sizes, measured));
            System.out.println("wrote " + file + " (pass it instead of the model to price another run on the same curve)");
        }
        double[] curve = SpeculationStats.interpolateCurve(sizes, measured, CURVE_MAX);
        System.out.printf(Locale.ROOT, "cost(n) ms: %s%n", fmt(sizes, measured));

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("model", model.getFileName().toString());
        json.put("tokens", n);
        json.put("cost_model", costModel.getFileName().toString());
        json.put("cost_sizes", sizes);
        json.put("cost_seconds", measured);
        Map<String, Object> setsJson = new LinkedHashMap<>();
        json.put("sets", setsJson);
        SessionOptions here = SessionOptions.builder().contextSize(1024).threads(1).kvCacheType(KvCacheType.F32)
                .flashAttention(FlashAttention.OFF).build();
        SessionOptions there = here.toBuilder().batchCostSeconds(curve).build();
        Speculation[] policies = Speculation.values();
        StringBuilder measuredTable = new StringBuilder(
                "| prompt set | policy | tokens/s | speedup | accepted/step | drafted/step |\n|---|---|---:|---:|---:|---:|\n");
        StringBuilder projectedTable = new StringBuilder(
                "| prompt set | policy | accepted/step | batch/step | projected speedup |\n|---|---|---:|---:|---:|\n");
        StringBuilder summary = new StringBuilder(
                "| prompt set | best tokenflow | best llama-lookup | ratio |\n|---|---|---|---:|\n");
        try (Model m = Model.load(model)) {
            for (Map.Entry<String, List<String>> set : SpeculationBench.promptSets().entrySet()) {
                String name = set.getKey();
                List<String> prompts = set.getValue();
                Map<String, Object> measuredJson = new LinkedHashMap<>();
                Map<String, Object> projectedJson = new LinkedHashMap<>();
                setsJson.put(name, Map.of("measured", measuredJson, "projected", projectedJson));
                double bestOurs = 0, bestPeer = 0;
                String bestOursName = "", bestPeerName = "";
                // Measured: a warm-up pass per policy (JIT), then `rounds` interleaved rounds over every policy and peer
                // setting, each pass on a fresh session; the fastest pass of each counts (the shared machine's noise
                // only ever slows a pass down). Acceptance is the same in every round (greedy, cold drafters).
                for (Speculation policy : policies) {
                    try (Session warm = m.newSession(here)) {
                        runSet(warm, prompts, n, policy, null);
                    }
                }
                Map<String, Double> bestTps = new LinkedHashMap<>();
                Map<Speculation, Totals> totals = new LinkedHashMap<>();
                Map<Integer, double[]> peerStats = new LinkedHashMap<>();
                for (int round = 0; round < rounds; round++) {
                    System.out.printf(Locale.ROOT, "%s: round %d of %d ...%n", name, round + 1, rounds);
                    for (Speculation policy : policies) {
                        Totals t;
                        try (Session s = m.newSession(here)) {
                            t = runSet(s, prompts, n, policy, null);
                        }
                        totals.put(policy, t);
                        bestTps.merge(policy.toString(), t.tokens / t.seconds, Math::max);
                    }
                    for (int draft : LOOKUP_DRAFTS) {
                        double[] st = SpeculationBench.peer(bin, "llama-lookup", model, prompts, n, "--spec-draft-n-max",
                                Integer.toString(draft), "-ctk", "f32", "-ctv", "f32", "-fa", "off");
                        peerStats.put(draft, st);
                        bestTps.merge("llama-lookup n_max=" + draft, st[0], Math::max);
                    }
                }
                double plainTps = bestTps.get(Speculation.NONE.toString());
                for (Speculation policy : policies) {
                    Totals t = totals.get(policy);
                    double tps = bestTps.get(policy.toString());
                    measuredTable.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %.2fx | %.2f | %.2f |%n", name, policy, tps,
                            tps / plainTps, t.acceptedPerStep(), t.draftedPerStep()));
                    measuredJson.put(policy.toString(), Map.of("tokens_per_s", tps, "speedup", tps / plainTps,
                            "accepted_per_step", t.acceptedPerStep(), "drafted_per_step", t.draftedPerStep(), "steps", t.steps));
                    if (policy == Speculation.NONE) continue;
                    System.out.printf(Locale.ROOT, "%s / %s sized for %s ...%n", name, policy, costModel.getFileName());
                    Totals p;
                    try (Session s = m.newSession(there)) {
                        p = runSet(s, prompts, n, policy, curve);
                    }
                    double plainSeconds = p.tokens * curve[0];
                    double specSeconds = p.curveSeconds(curve);
                    double speedup = plainSeconds / specSeconds;
                    projectedTable.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %.2f | %.2fx |%n", name, policy,
                            p.acceptedPerStep(), 1 + p.draftedPerStep(), speedup));
                    projectedJson.put(policy.toString(), Map.of("projected_speedup", speedup, "accepted_per_step", p.acceptedPerStep(),
                            "mean_batch", 1 + p.draftedPerStep(), "steps", p.steps, "plain_steps", p.plainSteps(),
                            "steps_by_drafted_nodes", p.bySize));
                    if (speedup > bestOurs) {
                        bestOurs = speedup;
                        bestOursName = policy.toString();
                    }
                }
                for (int draft : LOOKUP_DRAFTS) {
                    String label = "llama-lookup n_max=" + draft;
                    double[] st = peerStats.get(draft);
                    double tps = bestTps.get(label), nPredict = st[1], nAccept = st[2], nDrafted = st[3];
                    double steps = nPredict - nAccept;
                    double meanBatch = 1 + nDrafted / steps;
                    double seconds = steps * envelopeAt(curve, draft + 1, meanBatch);
                    double speedup = nPredict * curve[0] / seconds;
                    measuredTable.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %.2fx | %.2f | %.2f |%n", name, label, tps,
                            tps / plainTps, nAccept / steps, nDrafted / steps));
                    projectedTable.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %.2f | %.2fx |%n", name, label,
                            nAccept / steps, meanBatch, speedup));
                    measuredJson.put(label, Map.of("tokens_per_s", tps, "speedup", tps / plainTps, "accepted_per_step", nAccept / steps,
                            "drafted_per_step", nDrafted / steps));
                    projectedJson.put(label, Map.of("projected_speedup", speedup, "accepted_per_step", nAccept / steps,
                            "mean_batch", meanBatch, "n_predict", nPredict, "n_accept", nAccept, "n_drafted", nDrafted));
                    if (speedup > bestPeer) {
                        bestPeer = speedup;
                        bestPeerName = label;
                    }
                }
                summary.append(String.format(Locale.ROOT, "| %s | %.2fx (%s) | %.2fx (%s) | %.2fx |%n", name, bestOurs, bestOursName,
                        bestPeer, bestPeerName, bestOurs / bestPeer));
                projectedJson.put("best_tokenflow_over_best_peer", bestOurs / bestPeer);
            }
        }
        System.out.printf(Locale.ROOT, "%nMEASURED on this machine (%s, 1 thread, F32 KV, flash attention off; tokenflow trees sized "
                + "from this machine's curve):%n%s", model.getFileName(), measuredTable);
        System.out.printf(Locale.ROOT, "%nPROJECTED on %s (acceptance and tree sizes from %s, trees sized for the %s curve):%n%s",
                costModel.getFileName(), model.getFileName(), costModel.getFileName(), projectedTable);
        System.out.printf(Locale.ROOT, "%n%s", summary);
        Files.createDirectories(out.toAbsolutePath().getParent());
        mapper.writeValue(out.toFile(), json);
        System.out.println("\nwrote " + out);
    }

    /**
     * The lower convex envelope of {@code curve} over batches 1..maxBatch, at a fractional batch: the least mean cost
     * per step of any steps whose batches (integers in that range) average {@code batch}.
     */
    static double envelopeAt(double[] curve, int maxBatch, double batch) {
        int m = Math.min(maxBatch, curve.length);
        double x = Math.max(1, Math.min(m, batch));
        double best = Double.MAX_VALUE;
        // The envelope at x is the least chord value over pairs a <= x <= b (a single point when x is an integer).
        for (int a = 1; a <= (int) Math.floor(x); a++) {
            for (int b = (int) Math.ceil(x); b <= m; b++) {
                double v = a == b ? curve[a - 1] : curve[a - 1] + (curve[b - 1] - curve[a - 1]) * (x - a) / (b - a);
                best = Math.min(best, v);
            }
        }
        return best;
    }

    private static String fmt(int[] sizes, double[] seconds) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < sizes.length; i++) b.append(String.format(Locale.ROOT, "%s%d: %.1f", i == 0 ? "" : ", ", sizes[i], seconds[i] * 1e3));
        return b.toString();
    }

    /** Counters of one prompt set: tokens after the first, generation seconds, speculation steps and tree sizes. */
    private static final class Totals {
        long tokens;
        double seconds;
        long steps;
        long accepted;
        long drafted;
        long[] bySize = new long[0];

        double acceptedPerStep() { return steps == 0 ? 0 : (double) accepted / steps; }

        double draftedPerStep() { return steps == 0 ? 0 : (double) drafted / steps; }

        /** Tokens emitted by plain single-token decodes (outside speculative steps). */
        long plainSteps() { return Math.max(0, tokens - steps - accepted); }

        /** Tree steps priced on the curve runSet was given ({@link SpeculationStats#batchSeconds}). */
        double treeSeconds;

        /** The whole generation on that curve: tree steps at their batch's cost, plain steps at cost(1). */
        double curveSeconds(double[] curve) { return treeSeconds + plainSteps() * curve[0]; }
    }

    /** One pass over the prompts; {@code priceOn} (or null) is the curve to price tree steps on. */
    private static Totals runSet(Session s, List<String> prompts, int n, Speculation policy, double[] priceOn) {
        Totals t = new Totals();
        for (String p : prompts) {
            GenerationResult r = s.generate(p, GenerationOptions.builder().maxTokens(n).ignoreEos(true).speculation(policy)
                    .draftBudget(policy == Speculation.NONE ? 0 : GenerationOptions.AUTO_BUDGET).build());
            t.seconds += (r.stats().totalMillis() - r.stats().ttftMillis()) / 1e3;
            t.tokens += r.stats().generatedTokens() - 1;
            if (r.stats().speculation().isPresent()) {
                SpeculationStats st = r.stats().speculation().get();
                t.steps += st.steps();
                t.accepted += st.acceptedTokens();
                t.drafted += st.draftedNodes();
                if (priceOn != null) t.treeSeconds += st.batchSeconds(priceOn);
                long[] b = st.stepsByDraftedNodes();
                if (b.length > t.bySize.length) t.bySize = java.util.Arrays.copyOf(t.bySize, b.length);
                for (int k = 0; k < b.length; k++) t.bySize[k] += b[k];
            }
        }
        return t;
    }
}

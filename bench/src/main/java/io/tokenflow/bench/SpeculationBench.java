package io.tokenflow.bench;

import io.tokenflow.FlashAttention;
import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.KvCacheType;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import io.tokenflow.eval.PromptSets;
import io.tokenflow.speculative.Speculation;
import io.tokenflow.speculative.SpeculationStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * Speculative decoding benchmark (a program, not a test): for three prompt sets (story continuation,
 * summarisation-like copying, code-like repetition; 20 prompts each) and every policy, greedy generation of N
 * tokens on one model, side by side in one run: tokens/s, speedup over plain, mean accepted tokens per step.
 * Optionally a second, synthetic model whose measured batch-cost curve turns the acceptance measured on the real
 * model into a <b>projected</b> speedup: (accepted per step + 1) x cost(1) / cost(budget + 1).
 *
 * With a llama.cpp bin folder, its own {@code llama-lookup} and {@code llama-lookahead} run the same prompts
 * (same N, greedy, 1 thread) and their "decoded ... tokens in ... seconds" go into the same table.
 *
 * <p>Usage: {@code SpeculationBench MODEL [N=64] [BUDGET=8] [OUT.json] [COST_MODEL|-] [LLAMA_BIN_DIR]}
 */
@Command(name = "SpeculationBench", mixinStandardHelpOptions = true,
        description = {"Speculative decoding on three prompt sets (story, copy, code): tokens/s, speedup over plain and "
                + "accepted tokens per step for every policy; with COST_MODEL a projected speedup from its measured "
                + "batch-cost curve; with LLAMA_BIN_DIR llama.cpp's llama-lookup and llama-lookahead alongside."})
public final class SpeculationBench extends BenchCommand {
    static final String[] PEERS = {"llama-lookup", "llama-lookahead"};
    /** llama-lookup's default draft length (its "n_draft" line). */
    static final int LOOKUP_DRAFT = 3;
    /** Fewest tokens llama-lookahead's default W=15, N=5, G=15 decodes per step: 1 + W(N-1). */
    static final int LOOKAHEAD_BATCH = 61;

    @Parameters(index = "0", paramLabel = "MODEL", description = "GGUF model.")
    private Path model;
    @Parameters(index = "1", arity = "0..1", paramLabel = "N", defaultValue = "64", description = "Tokens per prompt (default: ${DEFAULT-VALUE}).")
    private int n;
    @Parameters(index = "2", arity = "0..1", paramLabel = "BUDGET", defaultValue = "8",
            description = "Draft budget of every policy (default: ${DEFAULT-VALUE}).")
    private int budget;
    @Parameters(index = "3", arity = "0..1", paramLabel = "OUT.json", defaultValue = "bench/results/speculation.json",
            description = "Where the JSON goes (default: ${DEFAULT-VALUE}).")
    private Path out;
    @Parameters(index = "4", arity = "0..1", paramLabel = "COST_MODEL|-",
            description = "Model whose batch-cost curve projects the speedups; - for none (default: none).")
    private String costModel;
    @Parameters(index = "5", arity = "0..1", paramLabel = "LLAMA_BIN_DIR",
            description = "llama.cpp bin folder: runs llama-lookup and llama-lookahead on the same prompts (default: none).")
    private Path bin;

    public static void main(String[] args) {
        System.exit(BenchCommand.execute(new SpeculationBench(), args));
    }

    @Override
    void run() throws IOException {
        Map<String, List<String>> sets = promptSets();
        Speculation[] policies = Speculation.values();
        StringBuilder json = new StringBuilder("{\"model\":\"" + model.getFileName() + "\",\"tokens\":" + n + ",\"budget\":" + budget + ",\"sets\":{");
        Map<String, double[]> acceptedBySet = new LinkedHashMap<>();
        Map<String, Map<String, double[]>> peerStats = new LinkedHashMap<>();
        try (Model m = Model.load(model)) {
            SessionOptions so = SessionOptions.builder().contextSize(1024).threads(1).kvCacheType(KvCacheType.F32)
                    .flashAttention(FlashAttention.OFF).build();
            System.out.printf(Locale.ROOT, "model %s, %d tokens per prompt, budget %d, 1 thread, F32 KV, flash attention off%n%n",
                    model.getFileName(), n, budget);
            System.out.printf(Locale.ROOT, "| prompt set | policy | tokens/s | speedup | accepted/step |%n|---|---|---:|---:|---:|%n");
            boolean firstSet = true;
            for (Map.Entry<String, List<String>> set : sets.entrySet()) {
                double plainTps = 0;
                double[] acc = new double[policies.length];
                json.append(firstSet ? "" : ",").append('"').append(set.getKey()).append("\":{");
                firstSet = false;
                for (int p = 0; p < policies.length; p++) {
                    Speculation policy = policies[p];
                    // Warm-up pass on a throwaway session (JIT), then the measured pass on a fresh session, so the
                    // drafter starts cold on each prompt set and learns only from what it generates within it.
                    try (Session warm = m.newSession(so)) {
                        run(warm, set.getValue(), n, policy, budget);
                    }
                    try (Session s = m.newSession(so)) {
                        double[] r = run(s, set.getValue(), n, policy, budget);
                        if (policy == Speculation.NONE) plainTps = r[0];
                        acc[p] = r[1];
                        System.out.printf(Locale.ROOT, "| %s | %s | %.1f | %.2fx | %.2f |%n", set.getKey(), policy, r[0],
                                r[0] / plainTps, r[1]);
                        json.append(p == 0 ? "" : ",").append(String.format(Locale.ROOT,
                                "\"%s\":{\"tokens_per_s\":%.2f,\"speedup\":%.4f,\"accepted_per_step\":%.4f}", policy, r[0], r[0] / plainTps, r[1]));
                    }
                }
                if (bin != null) {
                    for (String tool : PEERS) {
                        double[] stats = peer(bin, tool, model, set.getValue(), n);
                        peerStats.computeIfAbsent(set.getKey(), k -> new LinkedHashMap<>()).put(tool, stats);
                        double tps = stats[0];
                        System.out.printf(Locale.ROOT, "| %s | %s (llama.cpp) | %.1f | %.2fx | - |%n", set.getKey(), tool, tps,
                                tps / plainTps);
                        json.append(String.format(Locale.ROOT, ",\"%s\":{\"tokens_per_s\":%.2f,\"speedup\":%.4f}", tool, tps, tps / plainTps));
                    }
                }
                json.append('}');
                acceptedBySet.put(set.getKey(), acc);
            }
        }
        json.append('}');
        if (costModel != null && !costModel.equals("-")) {
            double[] cost = BatchCost.bestOf(Path.of(costModel), 3, budget + 1, LOOKUP_DRAFT + 1, LOOKAHEAD_BATCH);
            System.out.printf(Locale.ROOT, "%nPROJECTED on %s: measured batch cost %.1f ms (1 token) vs %.1f ms (%d tokens)%n",
                    Path.of(costModel).getFileName(), cost[0] * 1e3, cost[1] * 1e3, budget + 1);
            System.out.printf(Locale.ROOT, "| prompt set | policy | projected speedup |%n|---|---|---:|%n");
            json.append(String.format(Locale.ROOT, ",\"projection\":{\"cost_model\":\"%s\",\"cost_1_s\":%.5f,\"cost_b_s\":%.5f,\"speedups\":{",
                    Path.of(costModel).getFileName(), cost[0], cost[1]));
            boolean first = true;
            for (Map.Entry<String, double[]> e : acceptedBySet.entrySet()) {
                for (int p = 1; p < policies.length; p++) {
                    double speedup = (e.getValue()[p] + 1) * cost[0] / cost[1];
                    System.out.printf(Locale.ROOT, "| %s | %s | %.2fx |%n", e.getKey(), policies[p], speedup);
                    json.append(first ? "" : ",").append(String.format(Locale.ROOT, "\"%s/%s\":%.4f", e.getKey(), policies[p], speedup));
                    first = false;
                }
            }
            json.append("}");
            if (!peerStats.isEmpty()) {
                // llama.cpp's peers, projected the same way from their own acceptance counts on the real model:
                // llama-lookup decodes 1 + (drafted this step) tokens per step (n_draft = 3), costed by linear
                // interpolation between cost(1) and cost(4); llama-lookahead (W=15, N=5, G=15) decodes at least
                // 1 + W(N-1) = 61 tokens per step (more when it verifies n-grams: this lower bound favours it).
                System.out.printf(Locale.ROOT, "%n| prompt set | llama.cpp peer | accepted/step | projected speedup | best tokenflow / best peer |%n|---|---|---:|---:|---:|%n");
                json.append(",\"peers\":{");
                boolean firstPeer = true;
                for (Map.Entry<String, Map<String, double[]>> e : peerStats.entrySet()) {
                    double bestOurs = 0;
                    for (int p = 1; p < policies.length; p++) {
                        bestOurs = Math.max(bestOurs, (acceptedBySet.get(e.getKey())[p] + 1) * cost[0] / cost[1]);
                    }
                    double bestPeer = 0;
                    double[] peerSpeed = new double[PEERS.length];
                    for (int t = 0; t < PEERS.length; t++) {
                        double[] st = e.getValue().get(PEERS[t]);
                        double steps = st[1] - st[2];
                        double seconds = PEERS[t].equals("llama-lookup")
                                ? steps * cost[0] + st[3] * (cost[2] - cost[0]) / LOOKUP_DRAFT
                                : steps * cost[3];
                        peerSpeed[t] = st[1] * cost[0] / seconds;
                        bestPeer = Math.max(bestPeer, peerSpeed[t]);
                    }
                    for (int t = 0; t < PEERS.length; t++) {
                        double[] st = e.getValue().get(PEERS[t]);
                        System.out.printf(Locale.ROOT, "| %s | %s | %.2f | %.2fx | %s |%n", e.getKey(), PEERS[t],
                                st[2] / Math.max(1, st[1] - st[2]), peerSpeed[t],
                                t == 0 ? String.format(Locale.ROOT, "%.2fx", bestOurs / bestPeer) : "");
                        json.append(firstPeer ? "" : ",").append(String.format(Locale.ROOT,
                                "\"%s/%s\":{\"n_predict\":%.0f,\"n_accept\":%.0f,\"n_drafted\":%.0f,\"projected_speedup\":%.4f}",
                                e.getKey(), PEERS[t], st[1], st[2], st[3], peerSpeed[t]));
                        firstPeer = false;
                    }
                }
                json.append("}");
            }
            json.append("}");
        }
        json.append('}');
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, json + "\n");
        System.out.println("\nwrote " + out);
    }

    /** Returns {tokens per second over the set, mean accepted tokens per step}. */
    private static double[] run(Session s, List<String> prompts, int n, Speculation policy, int budget) {
        long tokens = 0, steps = 0, accepted = 0;
        double seconds = 0;
        for (String p : prompts) {
            GenerationResult r = s.generate(p, GenerationOptions.builder().maxTokens(n).ignoreEos(true)
                    .speculation(policy).draftBudget(policy == Speculation.NONE ? 0 : budget).build());
            // Generation time only (after the first token), as tokens/s are reported everywhere else.
            seconds += (r.stats().totalMillis() - r.stats().ttftMillis()) / 1e3;
            tokens += r.stats().generatedTokens() - 1;
            if (r.stats().speculation().isPresent()) {
                SpeculationStats st = r.stats().speculation().get();
                steps += st.steps();
                accepted += st.acceptedTokens();
            }
        }
        return new double[] {tokens / seconds, steps == 0 ? 0 : (double) accepted / steps};
    }

    /**
     * A llama.cpp peer tool over the prompts: {tokens per second (its own "decoded N tokens in T seconds"), and the
     * sums of its n_predict, n_accept and n_drafted counters (0 where the tool prints none)}.
     */
    static double[] peer(Path bin, String tool, Path model, List<String> prompts, int n, String... extraArgs) throws IOException {
        double seconds = 0;
        long tokens = 0;
        double nPredict = 0, nAccept = 0, nDrafted = 0;
        java.util.regex.Pattern p = java.util.regex.Pattern.compile("decoded\\s+(\\d+) tokens in\\s+([0-9.]+) seconds");
        int skipped = 0;
        for (String prompt : prompts) {
            // llama.cpp's logger writes from a worker thread and sometimes loses its last lines at exit: retry.
            java.util.regex.Matcher mt = null;
            String text = "";
            for (int attempt = 0; attempt < 3 && (mt == null || !mt.find()); attempt++) {
                List<String> cmd = new ArrayList<>(List.of(bin.resolve(tool).toString(), "-m", model.toString(), "-p", prompt,
                        "-n", Integer.toString(n), "-t", "1", "--temp", "0", "-c", "1024"));
                cmd.addAll(List.of(extraArgs));
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
                pb.environment().put("LD_LIBRARY_PATH", bin.toString());
                Process proc = pb.start();
                text = new String(proc.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                try {
                    proc.waitFor();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
                mt = p.matcher(text);
            }
            if (!mt.find(0)) {
                skipped++;
                continue;
            }
            tokens += Long.parseLong(mt.group(1));
            seconds += Double.parseDouble(mt.group(2));
            nPredict += counter(text, "n_predict");
            nAccept += counter(text, "n_accept");
            nDrafted += counter(text, "n_drafted");
        }
        if (skipped > 0) System.err.printf(Locale.ROOT, "%s: %d prompt(s) printed no timing line, left out%n", tool, skipped);
        return new double[] {tokens / seconds, nPredict, nAccept, nDrafted};
    }

    /** A "name = value" counter of llama.cpp's example tools (0 when absent). */
    private static double counter(String text, String name) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\b" + name + "\\s*=\\s*(\\d+)").matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    /** The three prompt sets (story, copy, code), 20 prompts each ({@link PromptSets}). */
    public static Map<String, List<String>> promptSets() {
        return PromptSets.all();
    }
}

package io.tokenflow.bench;

import io.tokenflow.FlashAttention;
import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.KvCacheType;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import io.tokenflow.TokenListener;
import io.tokenflow.eval.LinePlot;
import io.tokenflow.kv.KvCompression;
import io.tokenflow.kv.KvStats;
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
 * KV-compression fidelity on a real model (a benchmark program). Prompts are in-distribution texts the model wrote
 * itself (sampled from a few openings, fixed seeds). For each policy and budget, against the full cache over the
 * full cache's greedy continuation (teacher forcing): top-1 agreement and mean KL(full || compressed) of the
 * next-token distributions, and the length of the compressed session's own greedy continuation that matches.
 * Writes OUT.json and OUT.png (top-1 agreement vs budget, one line per policy) and prints a Markdown table.
 *
 * <p>Usage: {@code KvFidelityBench MODEL OUT_PREFIX [PROMPT_TOKENS=400] [CONTINUATION=64] [PROMPTS=12]}
 */
@Command(name = "KvFidelityBench", mixinStandardHelpOptions = true,
        description = {"KV-compression fidelity against the full cache on the model's own texts: top-1 agreement, mean KL "
                + "and greedy match per policy and budget; writes OUT_PREFIX.json and OUT_PREFIX.png."})
public final class KvFidelityBench extends BenchCommand {
    static final double[] BUDGETS = {0.12, 0.25, 0.50};
    static final String[] POLICIES = {"streaming", "snapkv", "windowkv"};
    static final String[] OPENINGS = {"Once upon a time", "One day, a little boy named Tom", "Lily and her mom went to",
        "There was a big dog who", "The sun was shining and", "Sam had a red ball."};

    @Parameters(index = "0", paramLabel = "MODEL", description = "GGUF model.")
    private Path modelPath;
    @Parameters(index = "1", paramLabel = "OUT_PREFIX", description = "Writes OUT_PREFIX.json and OUT_PREFIX.png.")
    private String prefix;
    @Parameters(index = "2", arity = "0..1", paramLabel = "PROMPT_TOKENS", defaultValue = "400",
            description = "Tokens per prompt (default: ${DEFAULT-VALUE}).")
    private int promptTokens;
    @Parameters(index = "3", arity = "0..1", paramLabel = "CONTINUATION", defaultValue = "64",
            description = "Tokens of greedy continuation compared (default: ${DEFAULT-VALUE}).")
    private int cont;
    @Parameters(index = "4", arity = "0..1", paramLabel = "PROMPTS", defaultValue = "12",
            description = "Prompts (default: ${DEFAULT-VALUE}).")
    private int nPrompts;

    public static void main(String[] args) {
        System.exit(BenchCommand.execute(new KvFidelityBench(), args));
    }

    @Override
    void run() throws IOException {
        int ctx = promptTokens + cont + 16;
        try (Model m = Model.load(modelPath)) {
            List<int[]> prompts = prompts(m, promptTokens, nPrompts, ctx);
            // Reference: full cache logits along its own greedy continuation.
            List<float[][]> refLogits = new ArrayList<>();
            List<int[]> refCont = new ArrayList<>();
            try (Session full = m.newSession(options(ctx, KvCompression.none()))) {
                for (int[] p : prompts) {
                    float[][] rows = new float[cont][];
                    int[] toks = new int[cont];
                    rows[0] = full.scoring().prefill(p);
                    for (int i = 0; i < cont; i++) {
                        toks[i] = argmax(rows[i]);
                        if (i + 1 < cont) rows[i + 1] = full.scoring().evaluate(new int[] {toks[i]});
                    }
                    refLogits.add(rows);
                    refCont.add(toks);
                }
            }
            double[][] top1 = new double[POLICIES.length][BUDGETS.length];
            StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
                    "{\"model\":\"%s\",\"prompt_tokens\":%d,\"continuation\":%d,\"prompts\":%d,\"kv_type\":\"f32\",\"results\":[",
                    modelPath.getFileName(), promptTokens, cont, prompts.size()));
            System.out.printf(Locale.ROOT, "%s: %d prompts of %d tokens, %d-token continuations, F32 KV cache, 1 thread%n%n",
                    modelPath.getFileName(), prompts.size(), promptTokens, cont);
            System.out.println("| policy | budget | kept cells | top-1 agreement | mean KL (nats) | greedy match (tokens) | scoring ms/prompt |");
            System.out.println("|---|---:|---:|---:|---:|---:|---:|");
            boolean firstRow = true;
            for (int pi = 0; pi < POLICIES.length; pi++) {
                for (int bi = 0; bi < BUDGETS.length; bi++) {
                    KvCompression kv = KvCompression.parse(POLICIES[pi] + ":" + BUDGETS[bi]);
                    long agree = 0, steps = 0, matched = 0, kept = 0;
                    double kl = 0, scoring = 0;
                    try (Session s = m.newSession(options(ctx, kv))) {
                        for (int k = 0; k < prompts.size(); k++) {
                            int[] p = prompts.get(k);
                            float[][] ref = refLogits.get(k);
                            int[] toks = refCont.get(k);
                            float[] row = s.scoring().prefill(p);
                            KvStats st = s.kvStats().orElseThrow();
                            kept += st.cellsUsed();
                            scoring += st.scoringTimeMs();
                            for (int i = 0; i < cont; i++) {
                                if (argmax(row) == argmax(ref[i])) agree++;
                                kl += kl(ref[i], row);
                                steps++;
                                if (i + 1 < cont) row = s.scoring().evaluate(new int[] {toks[i]});
                            }
                            GenerationResult g = s.generate(p, GenerationOptions.builder().maxTokens(cont).temperature(0)
                                    .ignoreEos(true).build(), TokenListener.NONE);
                            int[] own = g.tokens();
                            int match = 0;
                            while (match < own.length && match < toks.length && own[match] == toks[match]) match++;
                            matched += match;
                        }
                    }
                    top1[pi][bi] = (double) agree / steps;
                    double meanKl = kl / steps;
                    double meanMatch = (double) matched / prompts.size();
                    double keptMean = (double) kept / prompts.size();
                    System.out.printf(Locale.ROOT, "| %s | %.0f%% | %.1f | %.3f | %.4f | %.1f | %.2f |%n", POLICIES[pi], BUDGETS[bi] * 100,
                            keptMean, top1[pi][bi], meanKl, meanMatch, scoring / prompts.size());
                    json.append(firstRow ? "" : ",").append(String.format(Locale.ROOT,
                            "{\"policy\":\"%s\",\"budget\":%.2f,\"kept_cells\":%.2f,\"top1_agreement\":%.5f,\"mean_kl\":%.6f,"
                                    + "\"greedy_match\":%.3f,\"scoring_ms_per_prompt\":%.3f}",
                            POLICIES[pi], BUDGETS[bi], keptMean, top1[pi][bi], meanKl, meanMatch, scoring / prompts.size()));
                    firstRow = false;
                }
            }
            json.append("]}\n");
            Path jsonOut = Path.of(prefix + ".json");
            Files.createDirectories(jsonOut.toAbsolutePath().getParent());
            Files.writeString(jsonOut, json);
            List<String> x = new ArrayList<>();
            for (double b : BUDGETS) x.add(String.format(Locale.ROOT, "%.0f%%", b * 100));
            LinePlot.categorical(Path.of(prefix + ".png"), "Top-1 agreement with the full cache, " + modelPath.getFileName()
                    + " (" + promptTokens + "-token prompts)", "KV budget (fraction of the prompt)", x, Arrays.asList(POLICIES),
                    top1, 0.9, 1.0, 0.02, "%.2f", 1.0);
            System.out.println("\nwrote " + jsonOut + " and " + prefix + ".png");
        }
    }

    static SessionOptions options(int ctx, KvCompression kv) {
        return SessionOptions.builder().contextSize(ctx).threads(1).kvCacheType(KvCacheType.F32).flashAttention(FlashAttention.OFF)
                .kvCompression(kv).build();
    }

    /** In-distribution prompts: the model's own sampled text from fixed openings and seeds, cut to n tokens. */
    static List<int[]> prompts(Model m, int n, int count, int ctx) {
        List<int[]> out = new ArrayList<>();
        try (Session s = m.newSession(options(ctx, KvCompression.none()))) {
            for (int k = 0; out.size() < count && k < count * 4; k++) {
                String opening = OPENINGS[k % OPENINGS.length];
                GenerationResult r = s.generate(opening, GenerationOptions.builder().maxTokens(n).temperature(0.8f).seed(1000 + k)
                        .ignoreEos(true).build(), TokenListener.NONE);
                int[] t = m.tokenizer().encode(opening + r.text());
                if (t.length >= n) out.add(Arrays.copyOf(t, n));
            }
        }
        return out;
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /** KL(p || q) of the softmax distributions of two logit rows, in nats. */
    static double kl(float[] p, float[] q) {
        double[] lp = logSoftmax(p), lq = logSoftmax(q);
        double s = 0;
        for (int i = 0; i < lp.length; i++) s += Math.exp(lp[i]) * (lp[i] - lq[i]);
        return Math.max(0, s);
    }

    static double[] logSoftmax(float[] v) {
        double max = Double.NEGATIVE_INFINITY;
        for (float x : v) max = Math.max(max, x);
        double sum = 0;
        for (float x : v) sum += Math.exp(x - max);
        double lse = max + Math.log(sum);
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i] - lse;
        return out;
    }
}

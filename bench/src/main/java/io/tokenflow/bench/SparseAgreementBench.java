package io.tokenflow.bench;

import io.tokenflow.GenerationOptions;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import io.tokenflow.eval.PromptSets;
import io.tokenflow.internal.AtomicFiles;
import io.tokenflow.sparse.SparseAttention;
import io.tokenflow.sparse.SparseStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * How closely sparse attention follows dense attention on a real model (the default story model unless --model):
 * greedy continuations of N tokens after each story prompt, dense vs each policy at each budget (every layer sparse).
 * Reports the mean fraction of positions equal to dense, the mean length of the identical prefix, and the K/V rows
 * read relative to dense.
 */
@Command(name = "SparseAgreementBench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Greedy agreement of sparse with dense attention on a real model; writes OUT.json.")
public final class SparseAgreementBench extends BenchCommand {
    @Parameters(index = "0", arity = "0..1", paramLabel = "OUT.json", defaultValue = "bench/results/sparse-agreement.json",
            description = "Output (default: ${DEFAULT-VALUE}).")
    Path out;
    @Option(names = "--model", paramLabel = "GGUF", description = "Model (default: the packaged story model).")
    Path model;
    @Option(names = "-n", defaultValue = "200", description = "Tokens per continuation (default: ${DEFAULT-VALUE}).")
    int nGen;
    @Option(names = "--budgets", split = ",", defaultValue = "32,64,128", description = "K/V rows per step (default: ${DEFAULT-VALUE}).")
    int[] budgets;

    public static void main(String[] args) {
        System.exit(execute(new SparseAgreementBench(), args));
    }

    @Override
    void run() throws IOException {
        List<String> prompts = PromptSets.all().get("story");
        String[] policies = {"quest:%d,dense=0", "tidal:%d,dense=0", "tokenselect:%d,init=%d,local=%d"};
        StringBuilder json = new StringBuilder();
        try (Model m = model != null ? Model.load(model) : Model.loadDefault()) {
            String name = String.valueOf(m.path().getFileName());
            json.append(String.format(Locale.ROOT, "{\"model\": \"%s\", \"tokens\": %d, \"prompts\": %d, \"runs\": [", name, nGen, prompts.size()));
            System.out.printf(Locale.ROOT, "%s, %d story prompts, %d greedy tokens each, every layer sparse%n", name, prompts.size(), nGen);
            System.out.println("| policy | K/V rows per step | tokens equal to dense | identical prefix (tokens) | rows read vs dense |");
            System.out.println("|---|---:|---:|---:|---:|");
            GenerationOptions g = GenerationOptions.builder().maxTokens(nGen).ignoreEos(true).build();
            int ctx = 1024;
            List<int[]> dense = new ArrayList<>();
            try (Session s = m.newSession(SessionOptions.builder().contextSize(ctx).build())) {
                for (String p : prompts) dense.add(s.generate(p, g).tokens());
            }
            boolean first = true;
            for (String pol : policies) {
                for (int b : budgets) {
                    String spec = pol.startsWith("tokenselect") ? String.format(Locale.ROOT, pol, 5 * b / 8, b / 8, b / 4)
                            : String.format(Locale.ROOT, pol, b);
                    double equal = 0, prefix = 0, read = 0;
                    try (Session s = m.newSession(SessionOptions.builder().contextSize(ctx).sparseAttention(SparseAttention.parse(spec)).build())) {
                        for (int i = 0; i < prompts.size(); i++) {
                            var r = s.generate(prompts.get(i), g);
                            int[] a = r.tokens(), d = dense.get(i);
                            int n = Math.min(a.length, d.length), same = 0, pre = -1;
                            for (int k = 0; k < n; k++) {
                                if (a[k] == d[k]) same++;
                                else if (pre < 0) pre = k;
                            }
                            equal += (double) same / Math.max(1, d.length);
                            prefix += pre < 0 ? n : pre;
                            read += r.stats().sparse().map(SparseStats::readFraction).orElse(1.0);
                        }
                    }
                    int n = prompts.size();
                    System.out.printf(Locale.ROOT, "| %s | %d | %.1f%% | %.1f | %.1f%% |%n", spec, b, 100 * equal / n, prefix / n, 100 * read / n);
                    json.append(first ? "" : ", ").append(String.format(Locale.ROOT,
                            "{\"policy\": \"%s\", \"budget\": %d, \"equal_fraction\": %.4f, \"identical_prefix\": %.2f, \"rows_read_fraction\": %.4f}",
                            spec, b, equal / n, prefix / n, read / n));
                    first = false;
                }
            }
        }
        json.append("]}\n");
        writeAtomically(out, json);
        System.out.println("wrote " + out);
    }
}

package io.tokenflow.bench;

import io.tokenflow.GenerationOptions;
import io.tokenflow.Model;
import io.tokenflow.SessionOptions;
import io.tokenflow.eval.LinePlot;
import io.tokenflow.eval.TaskEval;
import io.tokenflow.kv.KvCompression;
import io.tokenflow.sparse.SparseAttention;
import io.tokenflow.train.InductionModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Sparse-attention task accuracy (a benchmark program): held-out retrieval samples ({@link TaskEval}) answered with
 * dense attention, with each query-aware sparse policy reading B K/V rows per layer and step (every layer sparse:
 * the retrieval model has two layers), and with WindowKV eviction keeping B tokens, on the hand-constructed retrieval
 * model ({@link InductionModel}). TokenSelect's B rows are split as init B/8, local B/4, selected 5B/8. Writes
 * OUT_PREFIX.json, OUT_PREFIX.png (pass key accuracy vs B) and a Markdown table.
 */
@Command(name = "SparseTaskBench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Sparse attention vs dense vs WindowKV eviction on retrieval tasks; writes OUT_PREFIX.json/.png.")
public final class SparseTaskBench extends BenchCommand {
    @Parameters(index = "0", paramLabel = "OUT_PREFIX", description = "Writes OUT_PREFIX.json and OUT_PREFIX.png.")
    String prefix;
    @Option(names = "--samples", defaultValue = "10", description = "Held-out samples per length (default: ${DEFAULT-VALUE}).")
    int samples;
    @Option(names = "--lengths", split = ",", defaultValue = "1000,2000,4000", description = "Prompt lengths (default: ${DEFAULT-VALUE}).")
    int[] lengths;
    @Option(names = "--budgets", split = ",", defaultValue = "64,128,256,512", description = "K/V rows per step (default: ${DEFAULT-VALUE}).")
    int[] budgets;
    @Option(names = "--tasks", split = ",", defaultValue = "passkey,kv-recall,multi-needle", description = "Tasks (default: ${DEFAULT-VALUE}).")
    String[] tasks;
    @Option(names = "-t", defaultValue = "2", description = "Threads (default: ${DEFAULT-VALUE}).")
    int threads;

    static final String[] METHODS = {"quest", "tidal", "tokenselect", "windowkv"};

    public static void main(String[] args) {
        System.exit(BenchCommand.execute(new SparseTaskBench(), args));
    }

    static SessionOptions options(String method, int b, int threads) {
        SessionOptions.Builder o = SessionOptions.builder().threads(threads);
        return switch (method) {
            case "dense" -> o.build();
            case "quest" -> o.sparseAttention(SparseAttention.parse("quest:" + b + ",dense=0")).build();
            case "tidal" -> o.sparseAttention(SparseAttention.parse("tidal:" + b + ",dense=0")).build();
            case "tokenselect" -> o.sparseAttention(SparseAttention.parse("tokenselect:" + (5 * b / 8) + ",init=" + (b / 8)
                    + ",local=" + (b / 4))).build();
            case "windowkv" -> o.kvCompression(KvCompression.parse("windowkv:" + b)).build();
            default -> throw new IllegalArgumentException(method);
        };
    }

    @Override
    void run() throws IOException {
        Path modelPath = InductionModel.cached();
        StringBuilder json = new StringBuilder(String.format(Locale.ROOT, "{\"model\":\"%s\",\"samples_per_length\":%d,\"lengths\":%s,"
                + "\"budgets\":%s,\"results\":[", modelPath.getFileName(), samples, Arrays.toString(lengths), Arrays.toString(budgets)));
        System.out.printf(Locale.ROOT, "%s, %d held-out samples per length, lengths %s, %d threads%n%n", modelPath.getFileName(), samples,
                Arrays.toString(lengths), threads);
        System.out.println("| task | method | K/V rows per step | accuracy | 95% CI | per length |");
        System.out.println("|---|---|---:|---:|---:|---|");
        double[][] passkey = new double[METHODS.length + 1][budgets.length];
        boolean first = true;
        try (Model m = Model.load(modelPath)) {
            for (String task : tasks) {
                for (int mi = -1; mi < METHODS.length; mi++) {
                    for (int bi = 0; bi < (mi < 0 ? 1 : budgets.length); bi++) {
                        String method = mi < 0 ? "dense" : METHODS[mi];
                        int b = mi < 0 ? 0 : budgets[bi];
                        System.err.printf(Locale.ROOT, "\r%s %s %d            ", task, method, b);
                        TaskEval.Report r = TaskEval.run(m, new TaskEval.Plan(task, lengths, samples, 1, options(method, b, threads),
                                GenerationOptions.builder().build()), s -> { });
                        if (task.equals("passkey")) {
                            if (mi < 0) Arrays.fill(passkey[METHODS.length], r.accuracy());
                            else passkey[mi][bi] = r.accuracy();
                        }
                        StringBuilder per = new StringBuilder();
                        for (TaskEval.LengthResult l : r.lengths()) {
                            per.append(per.length() == 0 ? "" : ", ").append(l.length()).append(": ")
                                    .append(String.format(Locale.ROOT, "%.2f", l.accuracy()));
                        }
                        System.err.print("\r");
                        System.out.printf(Locale.ROOT, "| %s | %s | %s | %.3f | %.2f-%.2f | %s |%n", task, method, mi < 0 ? "all" : b,
                                r.accuracy(), r.ci95Low(), r.ci95High(), per);
                        json.append(first ? "" : ",").append(String.format(Locale.ROOT,
                                "{\"task\":\"%s\",\"method\":\"%s\",\"budget\":%d,\"accuracy\":%.4f,\"ci95\":[%.4f,%.4f],\"per_length\":[%s]}",
                                task, method, b, r.accuracy(), r.ci95Low(), r.ci95High(), KvTaskBench.perJson(r)));
                        first = false;
                    }
                }
            }
        }
        json.append("]}\n");
        Path out = Path.of(prefix + ".json");
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, json.toString());
        List<String> x = new ArrayList<>();
        for (int b : budgets) x.add(Integer.toString(b));
        List<String> series = new ArrayList<>(Arrays.asList(METHODS));
        series.add("dense");
        LinePlot.categorical(Path.of(prefix + ".png"), "Pass key accuracy vs K/V rows read per step, " + modelPath.getFileName(),
                "K/V rows per layer and step (WindowKV: tokens kept)", x, series, passkey, 0, 1.0, 0.1, "%.1f", Double.NaN);
        System.out.println("\nwrote " + out + " and " + prefix + ".png");
    }
}

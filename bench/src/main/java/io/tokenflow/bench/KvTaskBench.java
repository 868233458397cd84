package io.tokenflow.bench;

import io.tokenflow.GenerationOptions;
import io.tokenflow.Model;
import io.tokenflow.SessionOptions;
import io.tokenflow.eval.LinePlot;
import io.tokenflow.eval.TaskEval;
import io.tokenflow.kv.KvCompression;
import io.tokenflow.train.InductionModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * KV-compression task accuracy (a benchmark program): held-out pass key and key-value recall samples
 * ({@link TaskEval}) answered with a full cache and with each policy at 12%, 25% and 50% of the prompt, on the
 * hand-constructed retrieval model ({@link InductionModel}, or MODEL). Writes OUT.json, OUT.png (pass key accuracy
 * vs budget per policy) and prints a Markdown table.
 *
 * <p>Usage: {@code KvTaskBench OUT_PREFIX [SAMPLES=20] [LENGTHS=512,1024,2048] [MODEL]}
 */
@Command(name = "KvTaskBench", mixinStandardHelpOptions = true,
        description = {"KV-compression task accuracy: held-out pass key and key-value recall with a full cache and with "
                + "each policy at 12%%, 25%% and 50%% of the prompt; writes OUT_PREFIX.json and OUT_PREFIX.png."})
public final class KvTaskBench extends BenchCommand {
    static final String[] POLICIES = {"streaming", "snapkv", "windowkv"};
    static final double[] BUDGETS = {0.12, 0.25, 0.50};
    static final String[] TASKS = {"passkey", "kv-recall"};

    @Parameters(index = "0", paramLabel = "OUT_PREFIX", description = "Writes OUT_PREFIX.json and OUT_PREFIX.png.")
    private String prefix;
    @Parameters(index = "1", arity = "0..1", paramLabel = "SAMPLES", defaultValue = "20",
            description = "Held-out samples per length (default: ${DEFAULT-VALUE}).")
    private int samples;
    @Parameters(index = "2", arity = "0..1", paramLabel = "LENGTHS", defaultValue = "512,1024,2048",
            description = "Prompt lengths in tokens, comma-separated (default: ${DEFAULT-VALUE}).")
    private String lengthList;
    @Parameters(index = "3", arity = "0..1", paramLabel = "MODEL",
            description = "GGUF model (default: the constructed retrieval model, built and cached on first use).")
    private Path model;
    @Spec
    private CommandSpec spec;

    public static void main(String[] args) {
        System.exit(BenchCommand.execute(new KvTaskBench(), args));
    }

    @Override
    void run() throws IOException {
        int[] lengths;
        try {
            lengths = Arrays.stream(lengthList.split(",")).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new ParameterException(spec.commandLine(), "LENGTHS: '" + lengthList + "' is not a comma-separated list of integers");
        }
        Path modelPath = model != null ? model : InductionModel.cached();
        StringBuilder json = new StringBuilder(String.format(Locale.ROOT, "{\"model\":\"%s\",\"samples_per_length\":%d,\"lengths\":%s,\"results\":[",
                modelPath.getFileName(), samples, Arrays.toString(lengths)));
        double[][] passkey = new double[POLICIES.length + 1][BUDGETS.length];
        System.out.printf(Locale.ROOT, "%s, %d held-out samples per length, lengths %s, 1 thread%n%n", modelPath.getFileName(), samples,
                Arrays.toString(lengths));
        System.out.println("| task | cache | budget | accuracy | 95% CI | per length |");
        System.out.println("|---|---|---:|---:|---:|---|");
        boolean first = true;
        try (Model m = Model.load(modelPath)) {
            for (String task : TASKS) {
                double full = Double.NaN;
                for (int p = -1; p < POLICIES.length; p++) {
                    for (int b = 0; b < (p < 0 ? 1 : BUDGETS.length); b++) {
                        KvCompression kv = p < 0 ? KvCompression.none() : KvCompression.parse(POLICIES[p] + ":" + BUDGETS[b]);
                        SessionOptions so = SessionOptions.builder().threads(1).kvCompression(kv).build();
                        TaskEval.Report r = TaskEval.run(m, new TaskEval.Plan(task, lengths, samples, 1, so,
                                GenerationOptions.builder().build()), s -> { });
                        if (p < 0) full = r.accuracy();
                        if (task.equals("passkey")) {
                            if (p < 0) Arrays.fill(passkey[POLICIES.length], r.accuracy());
                            else passkey[p][b] = r.accuracy();
                        }
                        StringBuilder per = new StringBuilder();
                        for (TaskEval.LengthResult l : r.lengths()) per.append(per.length() == 0 ? "" : ", ").append(l.length()).append(": ")
                                .append(String.format(Locale.ROOT, "%.2f", l.accuracy()));
                        System.out.printf(Locale.ROOT, "| %s | %s | %s | %.3f | %.2f-%.2f | %s |%n", task, p < 0 ? "full" : POLICIES[p],
                                p < 0 ? "100%" : String.format(Locale.ROOT, "%.0f%%", BUDGETS[b] * 100), r.accuracy(), r.ci95Low(), r.ci95High(), per);
                        json.append(first ? "" : ",").append(String.format(Locale.ROOT,
                                "{\"task\":\"%s\",\"policy\":\"%s\",\"budget\":%.2f,\"accuracy\":%.4f,\"ci95\":[%.4f,%.4f],\"relative_to_full\":%.4f,\"per_length\":[%s]}",
                                task, p < 0 ? "none" : POLICIES[p], p < 0 ? 1.0 : BUDGETS[b], r.accuracy(), r.ci95Low(), r.ci95High(),
                                full > 0 ? r.accuracy() / full : Double.NaN, perJson(r)));
                        first = false;
                    }
                }
            }
        }
        json.append("]}\n");
        Path out = Path.of(prefix + ".json");
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, json.toString().replace("NaN", "null"));
        List<String> x = new ArrayList<>();
        for (double b : BUDGETS) x.add(String.format(Locale.ROOT, "%.0f%%", b * 100));
        List<String> series = new ArrayList<>(Arrays.asList(POLICIES));
        series.add("full cache");
        LinePlot.categorical(Path.of(prefix + ".png"), "Pass key accuracy vs KV budget, " + modelPath.getFileName(), "KV budget (fraction of the prompt)",
                x, series, passkey, 0, 1.0, 0.1, "%.1f", Double.NaN);
        System.out.println("\nwrote " + out + " and " + prefix + ".png");
    }

    /** The per-length accuracies of a report as JSON array elements (shared with SparseTaskBench). */
    static String perJson(TaskEval.Report r) {
        StringBuilder b = new StringBuilder();
        for (TaskEval.LengthResult l : r.lengths()) {
            b.append(b.length() == 0 ? "" : ",").append(String.format(Locale.ROOT, "{\"length\":%d,\"accuracy\":%.4f}", l.length(), l.accuracy()));
        }
        return b.toString();
    }
}

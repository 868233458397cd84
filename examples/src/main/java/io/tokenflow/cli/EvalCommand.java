package io.tokenflow.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokenflow.GenerationOptions;
import io.tokenflow.Model;
import io.tokenflow.SessionOptions;
import io.tokenflow.eval.TaskEval;
import io.tokenflow.kv.KvCompression;
import io.tokenflow.sparse.SparseAttention;
import io.tokenflow.speculative.Speculation;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tokenflow eval}: task accuracy on held-out generated samples (pass key retrieval, key-value recall,
 * multi-needle, copy) per prompt length, with 95% confidence intervals; optionally under KV compression or
 * speculative decoding, so their quality cost is measured on the same prompts.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Accuracy on held-out task samples (greedy), per prompt length, with 95%% confidence intervals.")
final class EvalCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin CommonOptions common;

    @Option(names = "--task", paramLabel = "TASK", required = true,
            description = "passkey, kv-recall, multi-needle or copy.")
    String task;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "20",
            description = "Held-out samples per length (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--lengths", paramLabel = "L1,L2,...", split = ",", defaultValue = "128,256,512",
            description = "Prompt lengths in model tokens (default: ${DEFAULT-VALUE}).")
    int[] lengths;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Sample seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--kv", paramLabel = "POLICY:BUDGET", description = "KV-cache compression of each prompt, e.g. windowkv:0.12.")
    String kv;

    @Option(names = "--sparse", paramLabel = "POLICY",
            description = "Query-aware sparse attention, e.g. quest:128,dense=0 (see generate --help).")
    String sparse;

    @Option(names = "--spec", paramLabel = "POLICY", defaultValue = "none",
            description = "Speculative decoding policy (lossless: accuracy must not change).")
    String specPolicy;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "CPU threads (default: all available processors).")
    Integer threads;

    @Option(names = "--json", description = "Print one JSON object: task, samples, accuracy, ci95, and per length the same.")
    boolean json;

    @Override
    public Integer call() {
        CliIo io = Main.io(spec);
        TaskEval.Plan plan = OptionValues.build(() -> {
            SessionOptions.Builder sb = SessionOptions.builder();
            if (threads != null) sb.threads(threads);
            if (kv != null) sb.kvCompression(KvCompression.parse(kv));
            if (sparse != null) sb.sparseAttention(SparseAttention.parse(sparse));
            GenerationOptions g = GenerationOptions.builder().speculation(Speculation.parse(specPolicy)).build();
            return new TaskEval.Plan(task, lengths, samples, seed, sb.build(), g);
        }, Map.of("samplesPerLength", "--samples", "lengths", "--lengths", "threads", "--threads"));
        StatusLine status = new StatusLine(io.err(), Terminal.progressOnStderr(io.errIsTerminal()));
        TaskEval.Report report;
        String modelName;
        try (Model model = ModelLoading.load(common, io)) {
            modelName = String.valueOf(model.path().getFileName());
            try {
                report = TaskEval.run(model, plan, status::show);
            } finally {
                status.clear();
            }
        }
        PrintWriter out = io.out();
        if (json) {
            ObjectNode o = Json.object();
            o.put("task", report.task());
            o.put("model", modelName);
            o.put("seed", seed);
            if (kv != null) o.put("kv", kv);
            if (sparse != null) o.put("sparse", sparse);
            o.put("spec", specPolicy);
            o.put("samples", report.samples());
            o.put("correct", report.correct());
            Json.number(o, "accuracy", report.accuracy());
            o.putArray("ci95").add(report.ci95Low()).add(report.ci95High());
            ArrayNode per = o.putArray("lengths");
            for (TaskEval.LengthResult r : report.lengths()) {
                ObjectNode l = per.addObject();
                l.put("length", r.length());
                l.put("samples", r.samples());
                l.put("correct", r.correct());
                Json.number(l, "accuracy", r.accuracy());
                l.putArray("ci95").add(r.ci95Low()).add(r.ci95High());
            }
            Json.number(o, "seconds", report.seconds());
            Json.print(out, o);
        } else {
            Table t = new Table("length (tokens)", "samples:", "correct:", "accuracy:", "95% CI:");
            for (TaskEval.LengthResult r : report.lengths()) {
                t.row(r.length(), r.samples(), r.correct(), pct(r.accuracy()), pct(r.ci95Low()) + " - " + pct(r.ci95High()));
            }
            t.row("all", report.samples(), report.correct(), pct(report.accuracy()), pct(report.ci95Low()) + " - " + pct(report.ci95High()));
            out.printf(Locale.ROOT, "%s on %s (held-out, seed %d%s%s)%n", report.task(), modelName, seed,
                    kv == null ? "" : ", --kv " + kv, "none".equals(specPolicy) ? "" : ", --spec " + specPolicy);
            t.print(out);
            out.flush();
        }
        return ExitCodes.OK;
    }

    private static String pct(double v) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }
}

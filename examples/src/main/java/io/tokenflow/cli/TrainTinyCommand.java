package io.tokenflow.cli;

import io.tokenflow.eval.LinePlot;
import io.tokenflow.train.LrSchedule;
import io.tokenflow.train.TinyModelTrainer;
import io.tokenflow.train.TrainRecipe;
import io.tokenflow.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tokenflow train-tiny}: trains tokenflow's tiny model from scratch (BPE vocabulary, random-initialised F32
 * GGUF, llama.cpp's trainer) into a directory, with a progress bar, loss CSVs and a loss-curve PNG; resumes from
 * the directory's checkpoint. The default recipe is {@link TrainRecipe#stories()} (the packaged default model's);
 * options override single settings.
 */
@Command(name = "train-tiny", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train tokenflow's tiny model from scratch with llama.cpp's trainer.",
                "Writes model.gguf, loss.csv, eval.csv and loss.png into --out; an interrupted run resumes there."})
final class TrainTinyCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Output directory.")
    Path out;

    @Option(names = "--minutes", paramLabel = "M", defaultValue = "40",
            description = "Stop training (with a checkpoint) after M minutes of training time (default: ${DEFAULT-VALUE}).")
    double minutes;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of data and initialisation (default: the recipe's).")
    Long seed;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "CPU threads (default: all available processors).")
    Integer threads;

    @Option(names = {"-v", "--verbose"}, description = "Show llama.cpp's log and stack traces of errors.")
    boolean verbose;

    @Option(names = "--fresh", description = "Start afresh even if --out holds a checkpoint of the same recipe.")
    boolean fresh;

    @Option(names = "--recipe", paramLabel = "NAME", defaultValue = "stories",
            description = "stories (the default model's) | tiny (trial t6: retrieval mix, fails its bars) | smoke (default: ${DEFAULT-VALUE}).")
    String recipeName;

    @Option(names = "--steps", paramLabel = "N", description = "Override: optimizer steps.") Long steps;
    @Option(names = "--layers", paramLabel = "N", description = "Override: layers.") Integer layers;
    @Option(names = "--width", paramLabel = "N", description = "Override: width.") Integer width;
    @Option(names = "--heads", paramLabel = "N", description = "Override: heads.") Integer heads;
    @Option(names = "--ffn", paramLabel = "N", description = "Override: feed-forward width.") Integer ffn;
    @Option(names = "--vocab", paramLabel = "N", description = "Override: vocabulary size.") Integer vocab;
    @Option(names = "--context", paramLabel = "N", description = "Override: context of the model (sequence length).") Integer context;
    @Option(names = "--batch-tokens", paramLabel = "N", description = "Override: tokens per optimizer step (multiple of 256 and of the context).") Integer batchTokens;
    @Option(names = "--lr", paramLabel = "X", description = "Override: peak learning rate.") Double lr;
    @Option(names = "--lr-min", paramLabel = "X", description = "Override: final learning rate.") Double lrMin;
    @Option(names = "--warmup", paramLabel = "N", description = "Override: warm-up steps.") Long warmup;
    @Option(names = "--schedule", paramLabel = "KIND", description = "Override: cosine | linear | constant.") String schedule;
    @Option(names = "--beta2", paramLabel = "X", description = "Override: AdamW beta2.") Double beta2;
    @Option(names = "--wd", paramLabel = "X", description = "Override: weight decay.") Double wd;
    @Option(names = "--init-std", paramLabel = "X", description = "Override: init std of the matrices.") Double initStd;
    @Option(names = "--embed-std", paramLabel = "X", description = "Override: init std of the (fixed) token embedding.") Double embedStd;
    @Option(names = "--mix", paramLabel = "F=W,..", description = "Override: family weights, e.g. passkey=3,kv-recall=3,copy=2,story=2.") String mix;
    @Option(names = "--stages", paramLabel = "S:MIN-MAX,..", description = "Override: curriculum, e.g. 500:40-100,0:60-250 (0 = to the end).") String stages;
    @Option(names = "--eval-every", paramLabel = "N", description = "Override: steps between evaluations.") Integer evalEvery;
    @Option(names = "--retrieval-samples", paramLabel = "N", description = "Override: held-out retrieval samples per probe.") Integer retrievalSamples;

    @Override
    public Integer call() throws IOException {
        CliIo io = Main.io(spec);
        PrintWriter err = io.err();
        TrainRecipe r = recipe();
        int nThreads = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (nThreads < 1) throw CliException.usage("--threads must be >= 1");
        if (!(minutes > 0)) throw CliException.usage("--minutes must be > 0");
        StatusLine status = new StatusLine(err, Terminal.progressOnStderr(io.errIsTerminal()));
        long[] lastPlot = {0};
        TinyModelTrainer.Listener listener = new TinyModelTrainer.Listener() {
            @Override
            public void message(String text) {
                status.clear();
                err.println("train-tiny: " + text);
                err.flush();
            }

            @Override
            public void step(Trainer.Step s, long total, double tps, double seconds) {
                status.progress(String.format(Locale.ROOT, "step %d/%d loss %.3f acc %.2f lr %.2e %.0f tok/s %s",
                        s.step() + 1, total, s.loss(), s.accuracy(), s.lr(), tps, duration(seconds)), (s.step() + 1.0) / total);
            }

            @Override
            public void evaluated(TinyModelTrainer.EvalPoint p) {
                StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "eval @%d (%s): held-out loss %.3f acc %.3f",
                        p.step(), duration(p.seconds()), p.valLoss(), p.valAccuracy()));
                p.retrieval().forEach((k, v) -> b.append(String.format(Locale.ROOT, " %s %.0f%%", k, 100 * v)));
                message(b.toString());
                try {
                    LinePlot.training(out, out.resolve("loss.png"), r.name() + ": " + r.layers() + "x" + r.width() + ", ctx " + r.context());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
        listener.message(String.format(Locale.ROOT, "recipe %s, %d threads, budget %.1f min -> %s", r.toProperties(), nThreads, minutes, out));
        TinyModelTrainer.Result res = new TinyModelTrainer(r, out, nThreads, listener).run(!fresh, minutes * 60);
        status.clear();
        LinePlot.training(out, out.resolve("loss.png"), r.name() + ": " + r.layers() + "x" + r.width() + ", ctx " + r.context());
        if (res.finished()) {
            io.out().println(res.model());
        } else {
            err.println(String.format(Locale.ROOT, "train-tiny: stopped at step %d/%d (time budget); run again to resume", res.steps(), r.steps()));
        }
        io.out().flush();
        err.flush();
        return res.finished() ? ExitCodes.OK : ExitCodes.INCOMPLETE;
    }

    private TrainRecipe recipe() {
        TrainRecipe b = switch (recipeName) {
            case "stories" -> TrainRecipe.stories();
            case "tiny" -> TrainRecipe.tiny();
            case "smoke" -> TrainRecipe.smoke();
            default -> throw CliException.usage("unknown recipe " + recipeName + " (stories | tiny | smoke)");
        };
        LrSchedule s = b.schedule();
        LrSchedule.Kind kind = schedule == null ? s.kind() : switch (schedule) {
            case "cosine" -> LrSchedule.Kind.COSINE;
            case "linear" -> LrSchedule.Kind.LINEAR;
            case "constant" -> LrSchedule.Kind.CONSTANT;
            default -> throw CliException.usage("--schedule: cosine | linear | constant");
        };
        long n = steps != null ? steps : b.steps();
        double max = lr != null ? lr : s.lrMax();
        double min = lrMin != null ? lrMin : Math.min(s.lrMin(), max);
        try {
            LrSchedule ns = new LrSchedule(kind, max, min, Math.min(warmup != null ? warmup : s.warmupSteps(), n), n,
                    s.beta1(), beta2 != null ? beta2 : s.beta2(), wd != null ? wd : s.weightDecay());
            return new TrainRecipe(b.name(), or(layers, b.layers()), or(width, b.width()), or(heads, b.heads()),
                    or(ffn, b.ffn()), or(vocab, b.vocabSize()), or(context, b.context()), or(batchTokens, b.batchTokens()), initStd != null ? initStd : b.initStd(),
                    embedStd != null ? embedStd : b.embeddingStd(), ns, n, seed != null ? seed : b.seed(),
                    mix != null ? parseMix(mix) : b.mix(), stages != null ? parseStages(stages) : b.stages(),
                    or(evalEvery, b.evalEvery()), b.evalWindows(), or(retrievalSamples, b.retrievalSamples()));
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", s / 3600, s / 60 % 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }

    private static int or(Integer v, int d) { return v != null ? v : d; }

    private static Map<String, Double> parseMix(String s) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (String part : s.split(",")) {
            String[] kv = part.split("=");
            if (kv.length != 2) throw CliException.usage("--mix: family=weight,...");
            m.put(kv[0].trim(), Double.parseDouble(kv[1]));
        }
        return m;
    }

    private static List<TrainRecipe.Stage> parseStages(String s) {
        List<TrainRecipe.Stage> out = new ArrayList<>();
        for (String part : s.split(",")) {
            String[] a = part.split("[:-]");
            if (a.length != 3) throw CliException.usage("--stages: until:min-max,...");
            long until = Long.parseLong(a[0]);
            out.add(new TrainRecipe.Stage(until == 0 ? Long.MAX_VALUE : until, Integer.parseInt(a[1]), Integer.parseInt(a[2])));
        }
        return out;
    }
}

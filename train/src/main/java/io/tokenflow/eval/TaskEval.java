package io.tokenflow.eval;

import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import io.tokenflow.TokenListener;
import io.tokenflow.train.CopyTask;
import io.tokenflow.train.KvRecallTask;
import io.tokenflow.train.LengthMeasure;
import io.tokenflow.train.MultiNeedleTask;
import io.tokenflow.train.PasskeyTask;
import io.tokenflow.train.Split;
import io.tokenflow.train.TaskGenerator;
import io.tokenflow.train.TaskSample;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Task accuracy of a model on held-out samples of tokenflow's generated task families (the harness behind
 * {@code tokenflow eval} and the KV-compression / speculation quality benchmarks). For each target prompt length,
 * {@code samples} held-out samples are generated (seeded: the same seed gives the same prompts), the model
 * continues each prompt greedily for as many tokens as the answer has plus two, and a sample counts as correct
 * when the continuation starts with the expected answer (surrounding whitespace ignored). Accuracy comes with a
 * 95% Wilson score interval.
 */
public final class TaskEval {
    /** Task names {@code tokenflow eval --task} accepts. */
    public static final List<String> TASKS = List.of("passkey", "kv-recall", "multi-needle", "copy");

    private TaskEval() {}

    /** Accuracy at one prompt length. */
    public record LengthResult(int length, int samples, int correct, double accuracy, double ci95Low, double ci95High) {}

    /** Accuracy per length and overall. */
    public record Report(String task, List<LengthResult> lengths, int samples, int correct, double accuracy, double ci95Low,
            double ci95High, double seconds) {
        public Report {
            lengths = List.copyOf(lengths);
        }
    }

    /** What to run: task, target prompt lengths in model tokens, samples per length, seed, session and generation. */
    public record Plan(String task, int[] lengths, int samplesPerLength, long seed, SessionOptions session,
            GenerationOptions generation) {
        public Plan {
            Objects.requireNonNull(task, "task");
            generator(task);
            Objects.requireNonNull(lengths, "lengths");
            if (lengths.length == 0) throw new IllegalArgumentException("lengths: give at least one prompt length");
            lengths = lengths.clone();
            for (int l : lengths) {
                if (l < 16) throw new IllegalArgumentException("lengths must be >= 16 tokens, got " + l);
            }
            if (samplesPerLength < 1) throw new IllegalArgumentException("samplesPerLength must be >= 1, got " + samplesPerLength);
            Objects.requireNonNull(session, "session");
            Objects.requireNonNull(generation, "generation");
        }

        @Override
        public int[] lengths() { return lengths.clone(); }
    }

    /** The generator of a task name (see {@link #TASKS}). */
    public static TaskGenerator generator(String task) {
        return switch (task) {
            case "passkey" -> new PasskeyTask();
            case "kv-recall" -> new KvRecallTask();
            case "multi-needle" -> new MultiNeedleTask();
            case "copy" -> new CopyTask();
            default -> throw new IllegalArgumentException("unknown task '" + task + "'; valid: " + String.join(", ", TASKS));
        };
    }

    /** The held-out samples a plan runs for one length (exposed so benchmarks can reuse exactly the same prompts). */
    public static List<TaskSample> samples(Model model, String task, int length, int count, long seed) {
        TaskGenerator g = generator(task);
        LengthMeasure tokens = text -> model.tokenizer().encode(text, false, false).length;
        List<TaskSample> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(g.sample(seed, Split.HELD_OUT, (long) length * 1_000_003L + i, length, tokens));
        return out;
    }

    /** Runs the plan; {@code progress} receives "length L: i/n" lines. */
    public static Report run(Model model, Plan plan, Consumer<String> progress) {
        long t0 = System.nanoTime();
        int[] lengths = plan.lengths();
        int maxLength = Arrays.stream(lengths).max().orElseThrow();
        List<LengthResult> results = new ArrayList<>();
        int total = 0, correct = 0;
        SessionOptions so = plan.session().contextSize() > 0 ? plan.session()
                : plan.session().toBuilder().contextSize(maxLength + 64).build();
        try (Session session = model.newSession(so)) {
            for (int length : lengths) {
                List<TaskSample> samples = samples(model, plan.task(), length, plan.samplesPerLength(), plan.seed());
                int ok = 0;
                for (int i = 0; i < samples.size(); i++) {
                    progress.accept(String.format(java.util.Locale.ROOT, "%s, length %d: sample %d/%d", plan.task(), length, i + 1, samples.size()));
                    TaskSample s = samples.get(i);
                    int answerTokens = model.tokenizer().encode(s.answer(), false, false).length;
                    GenerationOptions o = plan.generation().toBuilder().maxTokens(answerTokens + 2).temperature(0).build();
                    GenerationResult r = session.generate(s.prompt(), o, TokenListener.NONE);
                    if (correct(r.text(), s.answer())) ok++;
                }
                double[] ci = wilson(ok, samples.size());
                results.add(new LengthResult(length, samples.size(), ok, (double) ok / samples.size(), ci[0], ci[1]));
                total += samples.size();
                correct += ok;
            }
        }
        double[] ci = wilson(correct, total);
        return new Report(plan.task(), results, total, correct, (double) correct / total, ci[0], ci[1], (System.nanoTime() - t0) / 1e9);
    }

    /** A continuation answers correctly when it starts with the expected answer, whitespace around both ignored. */
    public static boolean correct(String generated, String answer) {
        String want = answer.strip();
        return !want.isEmpty() && generated.strip().startsWith(want);
    }

    /** 95% Wilson score interval {low, high} of {@code k} successes in {@code n} trials. */
    public static double[] wilson(int k, int n) {
        if (n <= 0 || k < 0 || k > n) throw new IllegalArgumentException("need 0 <= k <= n, n > 0; got k=" + k + ", n=" + n);
        double z = 1.959963984540054;
        double p = (double) k / n;
        double denom = 1 + z * z / n;
        double centre = (p + z * z / (2.0 * n)) / denom;
        double half = z * Math.sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / denom;
        // At k = 0 (k = n) the bound is exactly 0 (1); say so rather than return a rounding residue.
        return new double[] {k == 0 ? 0 : Math.max(0, centre - half), k == n ? 1 : Math.min(1, centre + half)};
    }
}

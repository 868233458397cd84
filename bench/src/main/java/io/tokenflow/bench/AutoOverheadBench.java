package io.tokenflow.bench;

import io.tokenflow.FlashAttention;
import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.KvCacheType;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import io.tokenflow.speculative.Speculation;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * What {@code auto} costs where speculation cannot pay (a program, not a test): plain greedy decoding and
 * {@code --spec auto} with the default, hardware-sized budget, on one model, in one warm process, as many
 * interleaved pairs (ABBA order, so drift and periodic load hit both alike). Each generation runs on a fresh
 * session and is timed whole (prompt, first token and the rest), by the wall clock and by the CPU time of the
 * calling thread: with one thread llama.cpp computes on the calling thread, so CPU time leaves out the time the
 * thread waited for a core, the largest noise on a shared machine. Reports the median over pairs of
 * auto/plain time with a bootstrap 95% interval, and checks the two outputs are identical.
 *
 * <p>Warm-up ({@code -Dwarmup=N} generations, default 6) matters: {@code auto} drafts in only a few steps of a
 * generation here, so its drafting code is still interpreted after a handful of generations (0.3-0.6 ms per step
 * instead of ~0.01 ms once compiled). A long-lived process is the steady state; a one-shot CLI run pays the JIT.
 *
 * <p>Usage: {@code AutoOverheadBench MODEL [TOKENS=256] [PAIRS=40] [OUT.json]} ({@code --help} for the rest)
 */
@Command(name = "AutoOverheadBench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"What --spec auto costs where speculation cannot pay: plain greedy and auto on one model, as "
                + "interleaved pairs on fresh sessions, timed by wall clock and thread CPU; prints the median auto/plain "
                + "ratio with a bootstrap 95%% interval and writes OUT.json."})
public final class AutoOverheadBench extends BenchCommand {
    @Parameters(index = "0", paramLabel = "MODEL", description = "GGUF model.")
    private Path model;
    @Parameters(index = "1", arity = "0..1", paramLabel = "TOKENS", defaultValue = "256",
            description = "Tokens per generation (default: ${DEFAULT-VALUE}).")
    private int n;
    @Parameters(index = "2", arity = "0..1", paramLabel = "PAIRS", defaultValue = "40",
            description = "Interleaved plain/auto pairs (default: ${DEFAULT-VALUE}).")
    private int pairs;
    @Parameters(index = "3", arity = "0..1", paramLabel = "OUT.json", defaultValue = "bench/results/auto-overhead.json",
            description = "Where the JSON goes (default: ${DEFAULT-VALUE}).")
    private Path out;
    @Option(names = "--warmup", paramLabel = "N", defaultValue = "${sys:warmup:-6}",
            description = "Untimed generations first (default: -Dwarmup=N, else 6).")
    private int warm;

    public static void main(String[] args) {
        System.exit(BenchCommand.execute(new AutoOverheadBench(), args));
    }

    @Override
    void run() throws IOException {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        List<String> prompts = SpeculationBench.promptSets().get("story");
        SessionOptions so = SessionOptions.builder().contextSize(1024).threads(1).kvCacheType(KvCacheType.F32)
                .flashAttention(FlashAttention.OFF).build();
        double[] wallRatio = new double[pairs], cpuRatio = new double[pairs];
        double[] plainWall = new double[pairs], autoWall = new double[pairs];
        double[] plainCpu = new double[pairs], autoCpu = new double[pairs];
        double[] treeSteps = new double[pairs], specMillis = new double[pairs];
        try (Model m = Model.load(model)) {
            // Warm-up: JIT both paths and let auto measure (and cache) the cost curve before anything is timed.
            for (int i = 0; i < warm; i++) {
                timed(m, so, mx, prompts.get(i % prompts.size()), n, i % 2 == 0 ? Speculation.NONE : Speculation.AUTO);
            }
            System.out.printf(Locale.ROOT, "model %s, %d tokens, %d pairs, 1 thread, default draft budget%n", model.getFileName(), n, pairs);
            for (int i = 0; i < pairs; i++) {
                String p = prompts.get(i % prompts.size());
                boolean plainFirst = (i % 2 == 0);
                double[] a = plainFirst ? timed(m, so, mx, p, n, Speculation.NONE) : null;
                double[] b = timed(m, so, mx, p, n, Speculation.AUTO);
                if (!plainFirst) a = timed(m, so, mx, p, n, Speculation.NONE);
                if (a[2] != b[2]) throw new IllegalStateException("auto and plain outputs differ on prompt " + i);
                plainWall[i] = a[0];
                plainCpu[i] = a[1];
                autoWall[i] = b[0];
                autoCpu[i] = b[1];
                treeSteps[i] = b[3];
                specMillis[i] = b[4];
                wallRatio[i] = b[0] / a[0];
                cpuRatio[i] = b[1] / a[1];
            }
        }
        double[] w = medianCi(wallRatio), c = medianCi(cpuRatio);
        System.out.printf(Locale.ROOT, "auto's speculative steps per generation: median %.0f, max %.0f; ms in them: median %.3f%n",
                median(treeSteps), Arrays.stream(treeSteps).max().orElse(0), median(specMillis));
        System.out.printf(Locale.ROOT, "| clock | plain (median ms) | auto (median ms) | auto / plain, median of pairs | 95%% CI |%n|---|---:|---:|---:|---|%n");
        System.out.printf(Locale.ROOT, "| wall | %.2f | %.2f | %.4f | [%.4f, %.4f] |%n", median(plainWall) * 1e3, median(autoWall) * 1e3, w[0], w[1], w[2]);
        System.out.printf(Locale.ROOT, "| thread CPU | %.2f | %.2f | %.4f | [%.4f, %.4f] |%n", median(plainCpu) * 1e3, median(autoCpu) * 1e3, c[0], c[1], c[2]);
        String json = String.format(Locale.ROOT,
                "{\"model\":\"%s\",\"tokens\":%d,\"pairs\":%d,\"threads\":1,"
                        + "\"wall\":{\"plain_median_ms\":%.3f,\"auto_median_ms\":%.3f,\"ratio_median\":%.5f,\"ci95\":[%.5f,%.5f]},"
                        + "\"cpu\":{\"plain_median_ms\":%.3f,\"auto_median_ms\":%.3f,\"ratio_median\":%.5f,\"ci95\":[%.5f,%.5f]},"
                        + "\"auto_spec_ms_median\":%.4f,\"auto_spec_steps\":%s,\"wall_ratios\":%s,\"cpu_ratios\":%s}\n",
                model.getFileName(), n, pairs, median(plainWall) * 1e3, median(autoWall) * 1e3, w[0], w[1], w[2],
                median(plainCpu) * 1e3, median(autoCpu) * 1e3, c[0], c[1], c[2], median(specMillis), Arrays.toString(treeSteps), Arrays.toString(wallRatio), Arrays.toString(cpuRatio));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, json);
        System.out.println("wrote " + out);
    }

    /**
     * {wall seconds, thread CPU seconds, hash of the generated tokens, speculative steps, ms in those steps (drafting,
     * verification, tree decoding)} of one generation on a fresh session.
     */
    private static double[] timed(Model m, SessionOptions so, ThreadMXBean mx, String prompt, int n, Speculation policy) {
        try (Session s = m.newSession(so)) {
            GenerationOptions o = GenerationOptions.builder().maxTokens(n).ignoreEos(true).speculation(policy).build();
            long c0 = mx.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            GenerationResult r = s.generate(prompt, o);
            long t1 = System.nanoTime();
            long c1 = mx.getCurrentThreadCpuTime();
            var st = r.stats().speculation();
            return new double[] {(t1 - t0) / 1e9, (c1 - c0) / 1e9, Arrays.hashCode(r.tokens()),
                    st.map(x -> (double) x.steps()).orElse(0.0),
                    st.map(x -> x.draftMillis() + x.verifyMillis() + x.decodeMillis()).orElse(0.0)};
        }
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int k = s.length / 2;
        return s.length % 2 == 1 ? s[k] : (s[k - 1] + s[k]) / 2;
    }

    /** {median, bootstrap 2.5% and 97.5% quantiles of the median} (seeded, 10,000 resamples). */
    static double[] medianCi(double[] v) {
        SplittableRandom rng = new SplittableRandom(42);
        int b = 10_000;
        double[] meds = new double[b];
        double[] r = new double[v.length];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < v.length; j++) r[j] = v[rng.nextInt(v.length)];
            meds[i] = median(r);
        }
        Arrays.sort(meds);
        return new double[] {median(v), meds[(int) (0.025 * b)], meds[(int) (0.975 * b) - 1]};
    }
}

package io.tokenflow.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokenflow.FlashAttention;
import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.KvCacheType;
import io.tokenflow.Model;
import io.tokenflow.ModelInfo;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import io.tokenflow.kv.KvCompression;
import io.tokenflow.speculative.Speculation;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tokenflow bench}: llama-bench's two default tests through the public API. pp: P random tokens decoded in
 * one call (batch 2048, micro-batch 512); tg: N tokens decoded one at a time, each a random token (no sampling).
 * Context P + N, flash attention auto, F16 KV cache; one warm-up, then R repetitions on an emptied cache.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure prompt processing (pp) and generation (tg) speed, like llama-bench.",
                "Progress goes to stderr; the table (or JSON) to stdout."})
final class BenchCommand implements Callable<Integer> {
    static final int BATCH = 2048;
    static final int MICRO_BATCH = 512;

    @Spec CommandSpec spec;

    @Mixin CommonOptions common;

    @Option(names = {"-p", "--n-prompt"}, paramLabel = "P", defaultValue = "512",
            description = "Prompt tokens of the pp test; 0 skips it (default: ${DEFAULT-VALUE}).")
    int nPrompt;

    @Option(names = {"-n", "--n-gen"}, paramLabel = "N", defaultValue = "128",
            description = "Generated tokens of the tg test; 0 skips it (default: ${DEFAULT-VALUE}).")
    int nGen;

    @Option(names = {"-r", "--repetitions"}, paramLabel = "R", defaultValue = "5",
            description = "Repetitions of each test, after one warm-up (default: ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "CPU threads (default: all available processors).")
    Integer threads;

    @Option(names = "--json", description = "Print one JSON object instead of the table.")
    boolean json;

    @Option(names = "--spec", paramLabel = "POLICY", defaultValue = "none",
            description = "Also measure greedy generation of N tokens on 12 built-in prompts (story, copy, code) plainly and "
                    + "with this speculation policy: none|ngram|lookahead|recycling|auto (default: ${DEFAULT-VALUE}).")
    String specPolicy;

    @Option(names = "--kv", paramLabel = "POLICY:BUDGET",
            description = "Also compare generation after a KV-compressed prefill (e.g. windowkv:0.12) with the full cache: "
                    + "prefill time, KV memory, generation speed (random prompt of -p tokens, -n generated).")
    String kvSpec;

    @Option(names = "--sparse", paramLabel = "POLICY",
            description = "Measure with query-aware sparse attention, e.g. quest:256 (see generate --help).")
    String sparseSpec;

    @Option(names = "--draft-budget", paramLabel = "N", defaultValue = "-1",
            description = "Drafted tokens per step for --spec: -1 sizes trees from measured decode cost (default), else fixed.")
    int draftBudget;

    @Option(names = "--compare-llama-bench", paramLabel = "PATH",
            description = "Also run this llama-bench binary (same -m -p -n -t), alternating one repetition of each, and show the ratio tokenflow/llama.cpp.")
    Path llamaBench;

    @Override
    public Integer call() {
        if (nPrompt < 0 || nGen < 0) throw CliException.usage("-p and -n must be >= 0");
        if (nPrompt == 0 && nGen == 0) throw CliException.usage("nothing to measure: -p and -n are both 0");
        if (reps < 1) throw CliException.usage("-r must be >= 1, got " + reps);
        int nThreads = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (nThreads < 1) throw CliException.usage("--threads must be >= 1, got " + nThreads);
        Speculation policy = OptionValues.build(() -> Speculation.parse(specPolicy), java.util.Map.of());
        if (draftBudget < -1 || draftBudget > 255) throw CliException.usage("--draft-budget must be -1, 0 or 1..255, got " + draftBudget);
        if (policy != Speculation.NONE && nGen == 0) throw CliException.usage("--spec needs -n > 0");
        io.tokenflow.sparse.SparseAttention sparse = sparseSpec == null ? io.tokenflow.sparse.SparseAttention.none()
                : OptionValues.build(() -> io.tokenflow.sparse.SparseAttention.parse(sparseSpec), java.util.Map.of());
        KvCompression kv = kvSpec == null ? null : OptionValues.build(() -> KvCompression.parse(kvSpec), java.util.Map.of());
        if (kv != null && (nGen == 0 || nPrompt == 0)) throw CliException.usage("--kv needs -p > 0 and -n > 0");
        if (kv != null) OptionValues.build(() -> kv.resolveBudget(nPrompt), java.util.Map.of());
        if (llamaBench != null && !llamaBench.toFile().isFile()) {
            throw CliException.usage("llama-bench not found: " + llamaBench);
        }
        CliIo io = Main.io(spec);
        StatusLine status = new StatusLine(io.err(), Terminal.progressOnStderr(io.errIsTerminal()));
        Path modelPath;
        List<BenchResult> ours = new ArrayList<>();
        List<BenchResult> theirs = null;
        SpecResult specResult = null;
        KvResult kvResult = null;
        ModelInfo info;
        try (Model model = ModelLoading.load(common, io)) {
            info = model.info();
            modelPath = model.path();
            SessionOptions so = SessionOptions.builder().contextSize(nPrompt + nGen).batchSize(BATCH)
                    .microBatchSize(MICRO_BATCH).threads(nThreads).flashAttention(FlashAttention.AUTO)
                    .kvCacheType(KvCacheType.F16).sparseAttention(sparse).build();
            int bos = model.tokenizer().specialTokens().addBos() ? model.tokenizer().specialTokens().bos() : -1;
            try {
                if (llamaBench == null) {
                    try (Session session = model.newSession(so)) {
                        Workload w = new Workload(session, bos, info.vocabularySize());
                        warmUp(status, w, session, 2);
                        if (nPrompt > 0) ours.add(BenchResult.of(BenchResult.testName(nPrompt, 0),
                                measure(status, io.err(), BenchResult.testName(nPrompt, 0), nPrompt, () -> w.prompt(nPrompt), session, reps)));
                        if (nGen > 0) ours.add(BenchResult.of(BenchResult.testName(0, nGen),
                                measure(status, io.err(), BenchResult.testName(0, nGen), nGen, () -> w.generate(nGen), session, reps)));
                    }
                } else {
                    // Side by side: alternate one repetition of ours with one llama-bench run (-r 1), so that drift
                    // on a shared machine hits both tools alike. Our session (and its polling thread pool) is
                    // closed while llama-bench runs, and each side warms up before its repetition.
                    double[] pp = new double[reps], tg = new double[reps], lpp = new double[reps], ltg = new double[reps];
                    for (int r = 0; r < reps; r++) {
                        try (Session session = model.newSession(so)) {
                            Workload w = new Workload(session, bos, info.vocabularySize());
                            warmUp(status, w, session, r == 0 ? 2 : 1);
                            if (nPrompt > 0) pp[r] = measure(status, io.err(), BenchResult.testName(nPrompt, 0), nPrompt, () -> w.prompt(nPrompt), session, 1)[0];
                            if (nGen > 0) tg[r] = measure(status, io.err(), BenchResult.testName(0, nGen), nGen, () -> w.generate(nGen), session, 1)[0];
                        }
                        status.show(String.format(Locale.ROOT, "bench: llama-bench round %d/%d", r + 1, reps));
                        for (BenchResult b : LlamaBench.run(llamaBench, modelPath, nPrompt, nGen, 1, nThreads, common.gpuLayers)) {
                            if (b.isPrompt()) lpp[r] = b.tokensPerSecond(); else ltg[r] = b.tokensPerSecond();
                        }
                    }
                    theirs = new ArrayList<>();
                    if (nPrompt > 0) {
                        ours.add(BenchResult.of(BenchResult.testName(nPrompt, 0), pp));
                        theirs.add(BenchResult.of(BenchResult.testName(nPrompt, 0), lpp));
                    }
                    if (nGen > 0) {
                        ours.add(BenchResult.of(BenchResult.testName(0, nGen), tg));
                        theirs.add(BenchResult.of(BenchResult.testName(0, nGen), ltg));
                    }
                }
                if (policy != Speculation.NONE) specResult = measureSpeculation(status, model, nThreads, policy);
                if (kv != null) kvResult = measureKv(status, model, nThreads, kv);
            } finally {
                status.clear();
            }
        }
        if (json) {
            ObjectNode o = jsonObject(info, nThreads, ours, theirs);
            if (specResult != null) o.set("spec", specResult.toJson());
            if (kvResult != null) o.set("kv", kvResult.toJson());
            Json.print(io.out(), o);
        } else {
            printTables(io.out(), info, nThreads, ours, theirs);
            if (specResult != null) specResult.print(io.out());
            if (kvResult != null) kvResult.print(io.out());
        }
        return ExitCodes.OK;
    }

    /** Like llama-bench's warm-up run; the first time a little more, so the JIT has compiled the Java path. */
    private void warmUp(StatusLine status, Workload w, Session session, int times) {
        status.show("bench: warm-up");
        for (int i = 0; i < times; i++) {
            if (nPrompt > 0) {
                session.reset();
                w.prompt(Math.min(nPrompt, BATCH));
            }
            if (nGen > 0) {
                session.reset();
                w.generate(Math.min(nGen, 16));
            }
        }
    }

    private double[] measure(StatusLine status, PrintWriter err, String test, int tokens, Runnable run, Session session, int reps) {
        double[] tps = new double[reps];
        for (int r = 0; r < reps; r++) {
            status.show(String.format(Locale.ROOT, "bench: %s %d/%d", test, r + 1, reps));
            session.reset();
            long t0 = System.nanoTime();
            run.run();
            long ns = System.nanoTime() - t0;
            tps[r] = tokens / (ns / 1e9);
            if (common.verbose) {
                status.clear();
                err.printf(Locale.ROOT, "tokenflow: debug: %s repetition %d: %.3f ms, %.2f t/s%n", test, r + 1, ns / 1e6, tps[r]);
                err.flush();
            }
        }
        return tps;
    }

    /** What llama-bench decodes: a prompt of random tokens (BOS first when the model wants one), or a chain of them. */
    private static final class Workload {
        private final Session session;
        private final int bos;
        private final int vocab;
        private final Random random = new Random(42);

        Workload(Session session, int bos, int vocab) {
            this.session = session;
            this.bos = bos;
            this.vocab = vocab;
        }

        private int first() { return bos >= 0 ? bos : random.nextInt(vocab); }

        void prompt(int n) {
            int[] tokens = new int[n];
            tokens[0] = first();
            for (int i = 1; i < n; i++) tokens[i] = random.nextInt(vocab);
            session.scoring().decode(tokens);
        }

        void generate(int n) {
            int[] one = {first()};
            for (int i = 0; i < n; i++) {
                session.scoring().decode(one);
                one[0] = random.nextInt(vocab);
            }
        }
    }

    private static void printTables(PrintWriter out, ModelInfo info, int threads, List<BenchResult> ours, List<BenchResult> theirs) {
        Table t = new Table("model", "size:", "params:", "backend", "threads:", "test:", "t/s:");
        for (BenchResult r : ours) {
            t.row(info.description(), Units.bytes(info.sizeBytes()), Units.count(info.parameterCount()), "CPU", threads,
                    r.test(), r.speed());
        }
        t.print(out);
        if (theirs != null) {
            out.println();
            Table c = new Table("test:", "tokenflow t/s:", "llama.cpp t/s:", "ratio:");
            for (BenchResult r : ours) {
                BenchResult l = find(theirs, r.test());
                c.row(r.test(), r.speed(), l == null ? "-" : l.speed(),
                        l == null ? "-" : String.format(Locale.ROOT, "%.3f", ratio(r, l)));
            }
            c.print(out);
        }
        out.flush();
    }

    private static ObjectNode jsonObject(ModelInfo info, int threads, List<BenchResult> ours, List<BenchResult> theirs) {
        ObjectNode o = Json.object();
        o.put("model", info.description());
        o.put("model_name", info.name());
        o.put("size_bytes", info.sizeBytes());
        o.put("parameters", info.parameterCount());
        o.put("threads", threads);
        o.put("cpu_variant", io.tokenflow.Tokenflow.cpuVariant());
        putResults(o, ours);
        if (theirs != null) {
            putResults(o.putObject("llama_bench"), theirs);
            ObjectNode ratio = o.putObject("ratio");
            for (BenchResult r : ours) {
                BenchResult l = find(theirs, r.test());
                if (l != null) Json.number(ratio, (r.isPrompt() ? "pp" : "tg") + "_tokens_per_s", ratio(r, l));
            }
        }
        return o;
    }

    /** Greedy generation on the first 4 prompts of each built-in set: plain, then with the policy (speed only). */
    private SpecResult measureSpeculation(StatusLine status, Model model, int nThreads, Speculation policy) {
        List<String> prompts = new ArrayList<>();
        for (List<String> set : io.tokenflow.eval.PromptSets.all().values()) prompts.addAll(set.subList(0, 4));
        SessionOptions so = SessionOptions.builder().contextSize(Math.max(256, 128 + nGen * 2)).threads(nThreads).build();
        double[] plain = new double[2], sped = new double[2];
        long steps = 0, accepted = 0;
        for (int mode = 0; mode < 2; mode++) {
            try (Session s = model.newSession(so)) {
                GenerationOptions o = GenerationOptions.builder().maxTokens(nGen).ignoreEos(true)
                        .speculation(mode == 0 ? Speculation.NONE : policy).draftBudget(mode == 0 ? 0 : draftBudget).build();
                double[] acc = mode == 0 ? plain : sped;
                for (int i = 0; i < prompts.size(); i++) {
                    status.show(String.format(Locale.ROOT, "bench: %s prompt %d/%d", mode == 0 ? "plain" : "spec " + policy, i + 1, prompts.size()));
                    GenerationResult r = s.generate(prompts.get(i), o);
                    acc[0] += r.stats().generatedTokens() - 1;
                    acc[1] += (r.stats().totalMillis() - r.stats().ttftMillis()) / 1e3;
                    if (mode == 1 && r.stats().speculation().isPresent()) {
                        steps += r.stats().speculation().get().steps();
                        accepted += r.stats().speculation().get().acceptedTokens();
                    }
                }
            }
        }
        return new SpecResult(policy, prompts.size(), nGen, plain[0] / plain[1], sped[0] / sped[1],
                steps == 0 ? 0 : (double) accepted / steps);
    }

    /** Full cache, then the compressed one, on the same random prompt: prefill, KV memory, generation speed. */
    private KvResult measureKv(StatusLine status, Model model, int nThreads, KvCompression kv) {
        int[] prompt = new int[nPrompt];
        java.util.Random random = new java.util.Random(7);
        int vocab = model.info().vocabularySize();
        for (int i = 0; i < prompt.length; i++) prompt[i] = random.nextInt(vocab);
        KvRun[] runs = new KvRun[2];
        int fullContext = nPrompt + nGen + 16;
        // The compressed session gets a cache sized for the budget (plus room for a prefill chunk and the
        // generated tokens), not for the prompt: that is the point of compressing.
        int budget = kv.resolveBudget(nPrompt);
        int smallContext = Math.min(fullContext, budget + nGen + Math.max(256, kv.effectiveObservationWindow() + 64));
        for (int mode = 0; mode < 2; mode++) {
            KvCompression c = mode == 0 ? KvCompression.none() : kv;
            int ctx = mode == 0 ? fullContext : smallContext;
            SessionOptions so = SessionOptions.builder().contextSize(ctx).batchSize(BATCH).microBatchSize(MICRO_BATCH)
                    .threads(nThreads).kvCacheType(KvCacheType.F16).flashAttention(FlashAttention.AUTO).kvCompression(c).build();
            status.show("bench: " + (mode == 0 ? "full cache" : "--kv " + c));
            try (Session s = model.newSession(so)) {
                GenerationOptions o = GenerationOptions.builder().maxTokens(nGen).temperature(0).ignoreEos(true).build();
                // Warm-up (JIT, caches): the full-cache run on a short prompt, so that big models do not prefill twice;
                // the compressed run repeats its prompt when it is short (a short prompt may be below the budget's minimum).
                if (mode == 0) s.generate(java.util.Arrays.copyOf(prompt, Math.min(prompt.length, 64)), o, io.tokenflow.TokenListener.NONE);
                else if (prompt.length <= 512) s.generate(prompt, o, io.tokenflow.TokenListener.NONE);
                GenerationResult r = s.generate(prompt, o, io.tokenflow.TokenListener.NONE);
                // The full cache's bytes come from the compressed run's own stats (bytesFull: what an uncompressed
                // cache holds for the same tokens), so both figures use llama.cpp's cell size.
                long cells = r.stats().kv().map(k -> k.cellsUsed()).orElse((long) nPrompt + nGen - 1);
                long bytes = r.stats().kv().map(k -> k.bytesUsed()).orElse(0L);
                runs[mode] = new KvRun(s.contextSize(), cells, bytes, r.stats().ttftMillis(), r.stats().generationTokensPerSecond(),
                        r.stats().kv().map(k -> k.scoringTimeMs()).orElse(0.0));
                if (mode == 1) {
                    long fullBytes = r.stats().kv().orElseThrow().bytesFull();
                    runs[0] = new KvRun(runs[0].context(), runs[0].cells(), fullBytes, runs[0].prefillMs(), runs[0].tgTps(), 0.0);
                }
            }
        }
        return new KvResult(kv, nPrompt, nGen, runs[0], runs[1]);
    }

    private record KvRun(int context, long cells, long bytes, double prefillMs, double tgTps, double scoringMs) {
        ObjectNode toJson() {
            ObjectNode o = Json.object();
            o.put("context", context);
            o.put("kv_cells_used", cells);
            o.put("kv_bytes_used", bytes);
            Json.number(o, "prefill_ms", prefillMs);
            Json.number(o, "scoring_ms", scoringMs);
            Json.number(o, "tg_tokens_per_s", tgTps);
            return o;
        }
    }

    private record KvResult(KvCompression kv, int promptTokens, int genTokens, KvRun full, KvRun compressed) {
        ObjectNode toJson() {
            ObjectNode o = Json.object();
            o.put("kv_policy", kv.toString());
            o.put("prompt_tokens", promptTokens);
            o.put("generated_tokens", genTokens);
            o.set("full", full.toJson());
            o.set("compressed", compressed.toJson());
            Json.number(o, "kv_bytes_ratio", (double) compressed.bytes / Math.max(1, full.bytes));
            Json.number(o, "tg_speedup", compressed.tgTps / full.tgTps);
            return o;
        }

        void print(PrintWriter out) {
            out.println();
            Table t = new Table("cache", "context:", "cells:", "KV memory:", "prefill ms:", "scoring ms:", "tg t/s:");
            t.row("full", full.context, full.cells, Units.bytes(full.bytes), String.format(Locale.ROOT, "%.1f", full.prefillMs),
                    "-", String.format(Locale.ROOT, "%.2f", full.tgTps));
            t.row("--kv " + kv, compressed.context, compressed.cells, Units.bytes(compressed.bytes), String.format(Locale.ROOT, "%.1f", compressed.prefillMs),
                    String.format(Locale.ROOT, "%.1f", compressed.scoringMs), String.format(Locale.ROOT, "%.2f", compressed.tgTps));
            t.print(out);
            out.printf(Locale.ROOT, "KV memory %.1f%% of the full cache; generation %.2fx the full cache's speed%n",
                    100.0 * compressed.bytes / Math.max(1, full.bytes), compressed.tgTps / full.tgTps);
            out.flush();
        }
    }

    /** Plain vs speculative greedy generation over the built-in prompts. */
    private record SpecResult(Speculation policy, int prompts, int tokens, double plainTps, double specTps, double acceptedPerStep) {
        ObjectNode toJson() {
            ObjectNode o = Json.object();
            o.put("spec_policy", policy.toString());
            o.put("prompts", prompts);
            o.put("tokens_per_prompt", tokens);
            Json.number(o, "plain_tokens_per_s", plainTps);
            Json.number(o, "spec_tokens_per_s", specTps);
            Json.number(o, "speedup", specTps / plainTps);
            Json.number(o, "mean_accepted_per_step", acceptedPerStep);
            return o;
        }

        void print(PrintWriter out) {
            out.println();
            Table t = new Table("generation", "prompts:", "tokens:", "plain t/s:", "spec t/s:", "speedup:", "accepted/step:");
            t.row("greedy, --spec " + policy, prompts, tokens, String.format(Locale.ROOT, "%.2f", plainTps),
                    String.format(Locale.ROOT, "%.2f", specTps), String.format(Locale.ROOT, "%.2fx", specTps / plainTps),
                    String.format(Locale.ROOT, "%.2f", acceptedPerStep));
            t.print(out);
            out.flush();
        }
    }

    private static void putResults(ObjectNode o, List<BenchResult> results) {
        ArrayNode arr = o.putArray("results");
        for (BenchResult r : results) arr.add(r.toJson());
        for (BenchResult r : results) Json.number(o, (r.isPrompt() ? "pp" : "tg") + "_tokens_per_s", r.tokensPerSecond());
    }

    private static BenchResult find(List<BenchResult> results, String test) {
        for (BenchResult r : results) if (r.test().equals(test)) return r;
        return null;
    }

    private static double ratio(BenchResult ours, BenchResult theirs) {
        return ours.tokensPerSecond() / theirs.tokensPerSecond();
    }
}

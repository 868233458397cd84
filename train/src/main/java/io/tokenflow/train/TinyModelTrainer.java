package io.tokenflow.train;

import io.tokenflow.internal.AtomicFiles;
import io.tokenflow.Model;
import io.tokenflow.ModelOptions;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import io.tokenflow.gguf.GgmlType;
import io.tokenflow.gguf.SyntheticLlama;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;

/**
 * The whole tiny-model pipeline in one directory: trains the BPE vocabulary on the generated corpus, writes the
 * random-initialised F32 GGUF with it, trains with {@link Trainer}, evaluates held-out loss / accuracy and pass key
 * and key-value retrieval (greedy exact match through a {@link Session}) every {@code evalEvery} steps, and keeps
 * a checkpoint there so that an interrupted run resumes where it stopped.
 *
 * <p>Files in the output directory: {@code vocab.txt} (the tokenizer), {@code init.gguf}, {@code checkpoint.gguf}
 * + {@code state.properties} (resume point), {@code recipe.properties}, {@code loss.csv} (every step),
 * {@code eval.csv} (every evaluation) and, at the end, {@code model.gguf}.
 *
 * <p>Data: training window {@code s} is a pure function of (seed, s): whole documents ({@code <|bos|>} text
 * {@code <|endoftext|>}) drawn by the recipe's mix and the curriculum stage of {@code s}, packed until the window
 * is full (the last one cut). The vocabulary is trained on the corpus with its digits removed, so numbers are
 * spelt digit by digit: copying a pass key is then a per-digit copy over a 10-token alphabet.
 */
public final class TinyModelTrainer {
    /** Receives progress; called on the training thread. */
    public interface Listener {
        default void message(String text) {}

        default void step(Trainer.Step step, long totalSteps, double tokensPerSecond, double seconds) {}

        default void evaluated(EvalPoint point) {}
    }

    /** One evaluation: held-out loss / accuracy and retrieval exact-match rates by task name. */
    public record EvalPoint(long step, double seconds, double valLoss, double valAccuracy, Map<String, Double> retrieval) {}

    /** What a run did: steps done, whether it reached the recipe's end, the last evaluation, the model path. */
    public record Result(long steps, boolean finished, EvalPoint last, Path model, double seconds) {}

    private final TrainRecipe recipe;
    private final Path dir;
    private final int threads;
    private final Listener listener;
    private BpeVocabulary vocab;
    private Map<String, TaskGenerator> generators;
    private LengthMeasure measure;
    private double dataSeconds;

    public TinyModelTrainer(TrainRecipe recipe, Path dir, int threads, Listener listener) {
        if (recipe == null || dir == null || listener == null) throw new IllegalArgumentException("null argument");
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1");
        this.recipe = recipe;
        this.dir = dir;
        this.threads = threads;
        this.listener = listener;
    }

    public Path modelPath() { return dir.resolve("model.gguf"); }

    /**
     * Runs (or resumes, when {@code resume} and a checkpoint of the same recipe exist) until the recipe's last
     * step or until {@code maxSeconds} of training time (counted across resumes) have passed.
     */
    public Result run(boolean resume, double maxSeconds) throws IOException {
        Files.createDirectories(dir);
        Path statePath = dir.resolve("state.properties");
        Path checkpoint = dir.resolve("checkpoint.gguf");
        Properties recipeProps = recipe.toProperties();
        boolean resuming = resume && Files.isRegularFile(statePath) && Files.isRegularFile(checkpoint)
                && Files.isRegularFile(dir.resolve("vocab.txt")) && recipeProps.equals(readProps(dir.resolve("recipe.properties")));
        if (resume && !resuming) listener.message("no checkpoint of this recipe in " + dir + ": starting afresh");
        long startStep = 0;
        double seconds = 0;
        if (resuming) {
            Properties st = readProps(statePath);
            startStep = Long.parseLong(st.getProperty("step"));
            seconds = Double.parseDouble(st.getProperty("seconds"));
            vocab = BpeVocabulary.load(dir.resolve("vocab.txt"));
            listener.message(String.format(Locale.ROOT, "resuming at step %d (%.0f s done)", startStep, seconds));
        } else {
            Files.deleteIfExists(statePath);
            writeProps(dir.resolve("recipe.properties"), recipeProps);
            long t0 = System.nanoTime();
            vocab = trainVocabulary();
            vocab.save(dir.resolve("vocab.txt"));
            listener.message(String.format(Locale.ROOT, "vocabulary: %d tokens in %.1f s", vocab.size(), (System.nanoTime() - t0) / 1e9));
            writeInitialModel(dir.resolve("init.gguf"));
        }
        generators = generators();
        measure = cachedTokenMeasure(vocab);
        int[] val = validationWindows();
        Path start = resuming ? checkpoint : dir.resolve("init.gguf");
        EvalPoint last = null;
        try (Trainer trainer = Trainer.open(start, recipe.batchTokens(), recipe.context(), threads, 0);
             Writer lossCsv = csv(dir.resolve("loss.csv"), "step,loss,accuracy,lr,tokens_per_s,seconds", resuming, startStep - 1);
             Writer evalCsv = csv(dir.resolve("eval.csv"), evalHeader(), resuming, startStep)) {
            trainer.schedule(recipe.schedule());
            trainer.resumeAt(startStep);
            listener.message(String.format(Locale.ROOT, "model: %d layers, width %d, %,d parameters (all trained), context %d",
                    recipe.layers(), recipe.width(), trainer.parameterCount(), recipe.context()));
            if (!resuming) {
                last = evaluate(trainer, val, 0, seconds, start);
                writeEval(evalCsv, last);
            }
            long step = startStep;
            double tps = 0;
            while (step < recipe.steps() && seconds < maxSeconds) {
                long t0 = System.nanoTime();
                int[] window = window(step);
                long t = System.nanoTime();
                dataSeconds += (t - t0) / 1e9;
                Trainer.Step s = trainer.step(window);
                double dt = (System.nanoTime() - t) / 1e9;
                seconds += dt;
                tps = tps == 0 ? recipe.batchTokens() / dt : 0.95 * tps + 0.05 * recipe.batchTokens() / dt;
                step++;
                lossCsv.write(String.format(Locale.ROOT, "%d,%.5f,%.5f,%.6g,%.1f,%.2f%n", s.step(), s.loss(), s.accuracy(), s.lr(), tps, seconds));
                listener.step(s, recipe.steps(), tps, seconds);
                if (step % recipe.evalEvery() == 0 || step == recipe.steps() || seconds >= maxSeconds) {
                    lossCsv.flush();
                    trainer.save(checkpoint);
                    writeState(statePath, step, seconds);
                    last = evaluate(trainer, val, step, seconds, checkpoint);
                    writeEval(evalCsv, last);
                    evalCsv.flush();
                }
            }
            boolean finished = step >= recipe.steps();
            if (finished) {
                writeFinalModel(checkpoint, modelPath(), recipe.context());
            }
            return new Result(step, finished, last, finished ? modelPath() : checkpoint, seconds);
        }
    }

    // --- data -----------------------------------------------------------------------------------------------

    private Map<String, TaskGenerator> generators() {
        Map<String, TaskGenerator> all = new LinkedHashMap<>();
        for (TaskGenerator g : List.of(new StoryGenerator(), new CopyTask(), new PasskeyTask(), new KvRecallTask(8),
                new MultiNeedleTask(), new RepeatTask())) {
            all.put(g.family(), g);
        }
        Map<String, TaskGenerator> out = new LinkedHashMap<>();
        for (String f : recipe.mix().keySet()) {
            TaskGenerator g = all.get(f);
            if (g == null) throw new IllegalArgumentException("unknown family '" + f + "'; have " + all.keySet());
            out.put(f, g);
        }
        return out;
    }

    /** BPE on the mix's documents (the first stages' and the last stage's lengths), digits removed. */
    private BpeVocabulary trainVocabulary() {
        Map<String, TaskGenerator> gens = generators();
        List<String> docs = new ArrayList<>();
        TrainRecipe.Stage lastStage = recipe.stages().get(recipe.stages().size() - 1);
        for (int i = 0; i < 1500; i++) {
            SplittableRandom r = new SplittableRandom(recipe.seed() * 0x9E3779B97F4A7C15L + i);
            String family = pick(r);
            int len = r.nextInt(lastStage.minTokens() * 4, lastStage.maxTokens() * 4 + 1); // characters here
            docs.add(gens.get(family).sample(recipe.seed() + 17, Split.TRAIN, 1_000_000_000L + i, len).text()
                    .replaceAll("[0-9]", ""));
        }
        return new BpeTrainer(recipe.vocabSize()).train(docs);
    }

    /** Token counts of short strings (filler sentences, names, list items recur) are remembered. */
    private static LengthMeasure cachedTokenMeasure(BpeVocabulary vocab) {
        Map<String, Integer> cache = new java.util.HashMap<>();
        return text -> {
            if (text.length() > 120) return vocab.encode(text).length;
            Integer n = cache.get(text);
            if (n == null) {
                n = vocab.encode(text).length;
                if (cache.size() < 200_000) cache.put(text, n);
            }
            return n;
        };
    }

    /** Seconds spent generating training windows (not counted as training time). */
    public double dataSeconds() { return dataSeconds; }

    private String pick(SplittableRandom r) {
        double total = recipe.mix().values().stream().mapToDouble(Double::doubleValue).sum();
        double u = r.nextDouble() * total;
        String last = null;
        for (Map.Entry<String, Double> e : recipe.mix().entrySet()) {
            last = e.getKey();
            u -= e.getValue();
            if (u < 0) return last;
        }
        return last;
    }

    private void writeInitialModel(Path path) throws IOException {
        SyntheticLlama.builder().name(recipe.name()).layers(recipe.layers()).width(recipe.width())
                .heads(recipe.heads()).kvHeads(recipe.heads()).ffn(recipe.ffn()).contextLength(recipe.context())
                .tensorType(GgmlType.F32).seed(recipe.seed()).tokenizer(vocab.ggufMetadata())
                .initStd(recipe.initStd(), recipe.embeddingStd(), recipe.initStd(), recipe.residualStd())
                .build().write(path);
    }

    /**
     * Training window {@code step}: batchTokens + 1 tokens, made of batchTokens / context sequences of context
     * tokens, each packed with whole documents (the last one cut), so that no document crosses a sequence.
     */
    int[] window(long step) {
        TrainRecipe.Stage stage = recipe.stageAt(step);
        int c = recipe.context();
        int[] out = new int[recipe.batchTokens() + 1];
        int[] seq = new int[c];
        int j = 0;
        for (int k = 0; k < recipe.batchTokens() / c; k++) {
            int n = 0;
            while (n < c) {
                SplittableRandom r = new SplittableRandom(recipe.seed() * 0x9E3779B97F4A7C15L ^ (step * 4096 + j) * 0xBF58476D1CE4E5B9L);
                String family = pick(r);
                int len = r.nextInt(stage.minTokens(), stage.maxTokens() + 1);
                TaskSample doc = generators.get(family).sample(recipe.seed(), Split.TRAIN, step * 4096 + j, len, measure);
                n = append(seq, n, doc.text());
                j++;
            }
            System.arraycopy(seq, 0, out, k * c, c);
        }
        out[out.length - 1] = vocab.bos();
        return out;
    }

    private int append(int[] out, int n, String text) {
        int[] t = vocab.encode(text);
        if (n < out.length) out[n++] = vocab.bos();
        for (int i = 0; i < t.length && n < out.length; i++) out[n++] = t[i];
        if (n < out.length) out[n++] = vocab.eos();
        return n;
    }

    /** Held-out windows, packed like training windows from held-out documents with the last stage's lengths. */
    private int[] validationWindows() {
        TrainRecipe.Stage stage = recipe.stages().get(recipe.stages().size() - 1);
        int w = recipe.batchTokens() + 1;
        int c = recipe.context();
        int[] out = new int[recipe.evalWindows() * w];
        int[] seq = new int[c];
        long j = 0;
        for (int k = 0; k < recipe.evalWindows(); k++) {
            for (int q = 0; q < recipe.batchTokens() / c; q++) {
                int n = 0;
                while (n < c) {
                    SplittableRandom r = new SplittableRandom(~recipe.seed() ^ j * 0x94D049BB133111EBL);
                    String family = pick(r);
                    int len = r.nextInt(stage.minTokens(), stage.maxTokens() + 1);
                    n = append(seq, n, generators.get(family).sample(recipe.seed(), Split.HELD_OUT, j, len, measure).text());
                    j++;
                }
                System.arraycopy(seq, 0, out, k * w + q * c, c);
            }
            out[k * w + w - 1] = vocab.bos();
        }
        return out;
    }

    // --- evaluation -----------------------------------------------------------------------------------------

    /**
     * Retrieval probes: task name -> (family generator, prompt length in tokens, token-accuracy probe?). Exact-match
     * probes report the share of samples answered exactly; ".tok" probes report the share of answer tokens that
     * greedy decoding gets right with the earlier answer tokens given (teacher-forced), which shows partial
     * progress (copying starting to work) before any sample is answered exactly.
     */
    private Map<String, Object[]> probes() {
        Map<String, Object[]> p = new LinkedHashMap<>();
        int c = recipe.context();
        for (int len : new int[] {c / 4, c / 2, c - 8}) p.put("passkey@" + len, new Object[] {new PasskeyTask(), len, false});
        for (int len : new int[] {c / 2, c - 8}) p.put("kv8@" + len, new Object[] {new KvRecallTask(8), len, false});
        p.put("passkey.tok@" + (c / 2), new Object[] {new PasskeyTask(), c / 2, true});
        p.put("copy.tok@" + (c / 2), new Object[] {new CopyTask(), c / 2, true});
        return p;
    }

    private String evalHeader() {
        StringBuilder b = new StringBuilder("step,seconds,val_loss,val_accuracy");
        if (recipe.retrievalSamples() > 0) for (String k : probes().keySet()) b.append(',').append(k);
        return b.toString();
    }

    private EvalPoint evaluate(Trainer trainer, int[] val, long step, double seconds, Path weights) {
        Trainer.Evaluation e = trainer.evaluate(val);
        Map<String, Double> retrieval = recipe.retrievalSamples() > 0 ? retrieval(weights) : Map.of();
        EvalPoint p = new EvalPoint(step, seconds, e.loss(), e.accuracy(), retrieval);
        if (step > 0) listener.message(String.format(Locale.ROOT, "data generation so far: %.1f s", dataSeconds));
        listener.evaluated(p);
        return p;
    }

    /** Exact-match rates of greedy answers on held-out probes, by the model at {@code weights}. */
    public Map<String, Double> retrieval(Path weights) {
        Map<String, Double> out = new LinkedHashMap<>();
        try (Model model = Model.load(weights, ModelOptions.defaults());
             Session session = model.newSession(SessionOptions.builder().contextSize(recipe.context()).threads(threads).build())) {
            for (Map.Entry<String, Object[]> e : probes().entrySet()) {
                TaskGenerator g = (TaskGenerator) e.getValue()[0];
                int len = (Integer) e.getValue()[1];
                boolean tokens = (Boolean) e.getValue()[2];
                long ok = 0, total = 0;
                for (int i = 0; i < recipe.retrievalSamples(); i++) {
                    TaskSample s = g.sample(recipe.seed(), Split.HELD_OUT, 7_000_000L + i, len, measure);
                    int[] score = answerScore(session, s);
                    if (tokens) {
                        ok += score[0];
                        total += score[1];
                    } else {
                        if (score[1] > 0 && score[0] == score[1]) ok++;
                        total++;
                    }
                }
                out.put(e.getKey(), total == 0 ? 0.0 : (double) ok / total);
            }
        }
        return out;
    }

    /** Whether greedy decoding after the prompt produces the answer's tokens (teacher-forced check, exact). */
    boolean answersGreedily(Session session, TaskSample s) {
        int[] score = answerScore(session, s);
        return score[1] > 0 && score[0] == score[1];
    }

    /**
     * {correct, total}: how many of the answer's tokens are the greedy (argmax) prediction with the prompt and the
     * earlier answer tokens given; total 0 if the sample does not fit the context.
     */
    int[] answerScore(Session session, TaskSample s) {
        int[] p = vocab.encode(s.prompt());
        int[] full = vocab.encode(s.text());
        int[] prompt = new int[p.length + 1];
        prompt[0] = vocab.bos();
        System.arraycopy(p, 0, prompt, 1, p.length);
        int[] answer = java.util.Arrays.copyOfRange(full, p.length, full.length);
        if (!java.util.Arrays.equals(java.util.Arrays.copyOf(full, p.length), p)) answer = vocab.encode(s.answer());
        if (prompt.length + answer.length > recipe.context()) return new int[] {0, 0};
        session.reset();
        float[] logits = session.scoring().evaluate(prompt);
        int correct = 0;
        for (int i = 0; i < answer.length; i++) {
            if (argmax(logits) == answer[i]) correct++;
            if (i + 1 < answer.length) logits = session.scoring().evaluate(new int[] {answer[i]});
        }
        return new int[] {correct, answer.length};
    }

    private static int argmax(float[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) if (x[i] > x[best]) best = i;
        return best;
    }

    /**
     * Copies the trainer's GGUF to {@code dst} with its metadata fixed: {@code <arch>.context_length} = the
     * recipe's context (llama.cpp saves the training window), and special-token ids that llama.cpp wrote as unset
     * (0xFFFFFFFF, which makes it warn on load) left out.
     */
    public static void writeFinalModel(Path src, Path dst, int context) throws IOException {
        io.tokenflow.gguf.GgufFile in = io.tokenflow.gguf.GgufFile.read(src);
        String arch = in.architecture();
        Path tmp = dst.resolveSibling(dst.getFileName() + ".tmp");
        try (io.tokenflow.gguf.GgufWriter w = io.tokenflow.gguf.GgufWriter.create(tmp);
             java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(src, StandardOpenOption.READ)) {
            for (Map.Entry<String, io.tokenflow.gguf.GgufValue> e : in.metadataEntries().entrySet()) {
                String k = e.getKey();
                io.tokenflow.gguf.GgufValue v = e.getValue();
                if (k.equals("general.alignment")) continue;
                if (k.startsWith("tokenizer.ggml.") && k.endsWith("_token_id") && v.value() instanceof Number n
                        && (n.longValue() == 0xFFFFFFFFL || n.longValue() == -1)) {
                    continue;
                }
                if (k.equals(arch + ".context_length")) v = io.tokenflow.gguf.GgufValue.uint32(context);
                w.put(k, v);
            }
            for (io.tokenflow.gguf.GgufTensorInfo t : in.tensors()) w.addTensor(t.name(), t.type(), t.dims());
            for (io.tokenflow.gguf.GgufTensorInfo t : in.tensors()) {
                long pos = in.dataOffset() + t.offset();
                long left = t.byteSize();
                while (left > 0) {
                    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate((int) Math.min(left, 1 << 20));
                    while (b.hasRemaining()) {
                        int r = ch.read(b, pos + b.position());
                        if (r < 0) throw new IOException("truncated tensor data in " + src);
                    }
                    b.flip();
                    w.writeTensorData(b);
                    pos += b.limit();
                    left -= b.limit();
                }
            }
        }
        AtomicFiles.replace(tmp, dst);
    }

    // --- files ----------------------------------------------------------------------------------------------

    private static Writer csv(Path path, String header, boolean resuming, long keepBelowStep) throws IOException {
        List<String> keep = new ArrayList<>();
        keep.add(header);
        if (resuming && Files.isRegularFile(path)) {
            List<String> lines = Files.readAllLines(path, StandardCharsets.UTF_8);
            for (int i = 1; i < lines.size(); i++) {
                String l = lines.get(i);
                int comma = l.indexOf(',');
                if (comma > 0 && Long.parseLong(l.substring(0, comma)) <= keepBelowStep) keep.add(l);
            }
        }
        Files.write(path, keep, StandardCharsets.UTF_8);
        return Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
    }

    private static void writeEval(Writer w, EvalPoint p) {
        try {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%d,%.2f,%.5f,%.5f", p.step(), p.seconds(), p.valLoss(), p.valAccuracy()));
            for (double v : p.retrieval().values()) b.append(String.format(Locale.ROOT, ",%.4f", v));
            w.write(b.append('\n').toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writeState(Path path, long step, double seconds) throws IOException {
        Properties p = new Properties();
        p.setProperty("step", Long.toString(step));
        p.setProperty("seconds", String.format(Locale.ROOT, "%.3f", seconds));
        writeProps(path, p);
    }

    private static void writeProps(Path path, Properties p) throws IOException {
        Path tmp = path.resolveSibling(path.getFileName() + ".tmp");
        try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            p.store(w, null);
        }
        AtomicFiles.replace(tmp, path);
    }

    private static Properties readProps(Path path) throws IOException {
        Properties p = new Properties();
        if (!Files.isRegularFile(path)) return p;
        try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        return p;
    }
}

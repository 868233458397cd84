package io.tokenflow.train;

import io.tokenflow.internal.ByteLevelBpe;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A seeded mixture of task families. Training document {@code i} is a pure function of (seed, i): its family is
 * drawn by weight and its target length uniformly in [minLength, maxLength] (families with a natural length, such
 * as stories, keep theirs), then the family's {@link Split#TRAIN} sample {@code i}. Held-out samples come from the
 * same families with {@link Split#HELD_OUT}, which never overlaps training (see {@link Split}).
 *
 * <p>As a file, the corpus is the documents' texts, each followed by {@value #SEPARATOR}, in UTF-8: the same seed
 * and options give the same bytes.
 */
public final class Corpus {
    /** Ends every document; the vocabulary's end-of-text control token. */
    public static final String SEPARATOR = ByteLevelBpe.EOS;

    private final long seed;
    private final Map<String, TaskGenerator> families;
    private final String[] names;
    private final double[] cumulative;
    private final int minLength;
    private final int maxLength;
    private final LengthMeasure measure;

    private Corpus(Builder b) {
        this.seed = b.seed;
        this.families = new LinkedHashMap<>(b.families);
        this.names = b.weights.keySet().toArray(new String[0]);
        this.cumulative = new double[names.length];
        double total = b.weights.values().stream().mapToDouble(Double::doubleValue).sum();
        double acc = 0;
        for (int i = 0; i < names.length; i++) {
            acc += b.weights.get(names[i]) / total;
            cumulative[i] = acc;
        }
        this.minLength = b.minLength;
        this.maxLength = b.maxLength;
        this.measure = b.measure;
    }

    public static Builder builder() { return new Builder(); }

    /**
     * The standard mixture: stories 50%, copy 14%, pass key 12%, key-value recall 12%, multi-needle 12%; lengths up
     * to {@code maxChars} characters.
     */
    public static Corpus standard(long seed, int maxChars) {
        return builder().seed(seed).lengths(Math.min(200, maxChars), maxChars)
                .family(new StoryGenerator(), 50).family(new CopyTask(), 14).family(new PasskeyTask(), 12)
                .family(new KvRecallTask(), 12).family(new MultiNeedleTask(), 12).build();
    }

    public long seed() { return seed; }

    /** Family names, in the order they were added. */
    public List<String> families() { return List.copyOf(families.keySet()); }

    public TaskGenerator family(String name) {
        TaskGenerator g = families.get(name);
        if (g == null) throw new IllegalArgumentException("no family '" + name + "'; have " + families.keySet());
        return g;
    }

    /** Training document {@code index}. */
    public TaskSample document(long index) {
        Rng rng = Rng.of(seed, "corpus", Split.TRAIN, index, 0);
        double u = rng.nextDouble();
        int f = 0;
        while (f < names.length - 1 && u >= cumulative[f]) f++;
        int length = rng.between(minLength, maxLength);
        return families.get(names[f]).sample(seed, Split.TRAIN, index, length, measure);
    }

    /** Training documents {@code from} .. {@code from + count - 1}. */
    public List<TaskSample> documents(long from, int count) {
        List<TaskSample> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(document(from + i));
        return out;
    }

    /** The texts of the first {@code count} training documents (e.g. for {@link BpeTrainer#train(Iterable)}). */
    public List<String> texts(int count) {
        List<String> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) out.add(document(i).text());
        return out;
    }

    /** Held-out sample {@code index} of a family, at a target length in this corpus's measure. */
    public TaskSample heldOut(String family, long index, int targetLength) {
        return family(family).sample(seed, Split.HELD_OUT, index, targetLength, measure);
    }

    /** Held-out sample {@code index} of a family, its length drawn like a training document's. */
    public TaskSample heldOut(String family, long index) {
        int length = Rng.of(seed, "corpus-held-out:" + family, Split.HELD_OUT, index, 0).between(minLength, maxLength);
        return heldOut(family, index, length);
    }

    /** Writes the first {@code count} training documents, each followed by {@link #SEPARATOR}. */
    public void write(Path file, int count) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            write(out, count);
        }
    }

    public void write(OutputStream out, int count) throws IOException {
        Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16);
        for (int i = 0; i < count; i++) {
            w.write(document(i).text());
            w.write(SEPARATOR);
        }
        w.flush();
    }

    /** Mixture options. */
    public static final class Builder {
        private long seed;
        private final Map<String, TaskGenerator> families = new LinkedHashMap<>();
        private final Map<String, Double> weights = new LinkedHashMap<>();
        private int minLength = 200;
        private int maxLength = 4000;
        private LengthMeasure measure = LengthMeasure.CHARS;

        private Builder() {}

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Adds a family with a relative weight (> 0). @throws IllegalArgumentException on a repeated family */
        public Builder family(TaskGenerator generator, double weight) {
            Objects.requireNonNull(generator, "generator");
            if (!(weight > 0)) throw new IllegalArgumentException("weight must be > 0");
            if (families.putIfAbsent(generator.family(), generator) != null) {
                throw new IllegalArgumentException("family " + generator.family() + " added twice");
            }
            weights.put(generator.family(), weight);
            return this;
        }

        /** Target lengths of training documents, uniform in [min, max], in {@link #measure} units. */
        public Builder lengths(int min, int max) {
            if (min < 0 || max < min) throw new IllegalArgumentException("need 0 <= min <= max");
            this.minLength = min;
            this.maxLength = max;
            return this;
        }

        /** Characters (the default) or tokens of a vocabulary. */
        public Builder measure(LengthMeasure measure) {
            this.measure = Objects.requireNonNull(measure, "measure");
            return this;
        }

        public Corpus build() {
            if (families.isEmpty()) throw new IllegalStateException("no families");
            return new Corpus(this);
        }
    }
}

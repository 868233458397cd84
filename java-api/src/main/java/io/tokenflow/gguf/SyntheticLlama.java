package io.tokenflow.gguf;

import io.tokenflow.internal.ByteLevelBpe;
import io.tokenflow.internal.Half;
import io.tokenflow.InvalidModelException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.DoubleConsumer;

/**
 * An immutable spec of a llama-architecture model with seeded random weights, writable as a GGUF file that
 * llama.cpp loads: for tests and benchmarks that need a model of a given shape but not a trained one.
 * Weights are normal(0, 0.02) (drawn from a 65536-point quantile table); norm weights are 1 and always F32.
 *
 * <pre>{@code
 * SyntheticLlama.tiny().write(dir.resolve("tiny.gguf"));
 * SyntheticLlama.builder().layers(4).width(256).heads(8).kvHeads(2).ffn(688).seed(7).build().write(path);
 * }</pre>
 */
public final class SyntheticLlama {
    private static final float WEIGHT_STDDEV = 0.02f;
    private static final int CHUNK_BYTES = 1 << 20;
    /** normal(0, WEIGHT_STDDEV) quantiles, as written to F32 and F16 tensors. */
    private static final float[] WEIGHTS_F32 = new float[NormalQuantiles.SIZE];
    private static final short[] WEIGHTS_F16 = new short[NormalQuantiles.SIZE];

    static {
        double[] q = NormalQuantiles.standard();
        for (int i = 0; i < q.length; i++) {
            WEIGHTS_F32[i] = (float) (q[i] * WEIGHT_STDDEV);
            WEIGHTS_F16[i] = Half.fromFloat(WEIGHTS_F32[i]);
        }
    }

    private final String name;
    private final int layers;
    private final int width;
    private final int heads;
    private final int kvHeads;
    private final int ffn;
    private final int vocabSize;
    private final int contextLength;
    private final GgmlType tensorType;
    private final long seed;
    private final Map<String, GgufValue> tokenizer;
    private final boolean tokenizerCopied;
    private final double weightStd;
    private final double embeddingStd;
    private final double outputStd;
    private final double residualStd;

    private SyntheticLlama(Builder b, Map<String, GgufValue> tokenizer, int vocabSize) {
        this.name = b.name;
        this.layers = b.layers;
        this.width = b.width;
        this.heads = b.heads;
        this.kvHeads = b.kvHeads;
        this.ffn = b.ffn;
        this.vocabSize = vocabSize;
        this.contextLength = b.contextLength;
        this.tensorType = b.tensorType;
        this.seed = b.seed;
        this.tokenizer = tokenizer;
        this.tokenizerCopied = b.copiedTokenizer != null;
        this.weightStd = b.weightStd;
        this.embeddingStd = b.embeddingStd;
        this.outputStd = b.outputStd;
        this.residualStd = b.residualStd;
    }

    public static Builder builder() { return new Builder(); }

    /** 2 layers, width 64, 4 heads (2 KV), ffn 128, 512-token generated vocabulary, F32: about 0.6 MB. */
    public static SyntheticLlama tiny() {
        return builder().name("synthetic-llama-tiny").layers(2).width(64).heads(4).kvHeads(2).ffn(128)
                .vocabSize(512).contextLength(256).tensorType(GgmlType.F32).build();
    }

    /** TinyLlama-1.1B's shape: 22 layers, width 2048, 32 heads (4 KV), ffn 5632, vocab 32000, F16: about 2.2 GB. */
    public static SyntheticLlama llama1B() {
        return builder().name("synthetic-llama-1b").layers(22).width(2048).heads(32).kvHeads(4).ffn(5632)
                .vocabSize(32000).contextLength(2048).tensorType(GgmlType.F16).build();
    }

    /** A builder starting from this spec (with the same tokenizer). */
    public Builder toBuilder() {
        Builder b = new Builder().name(name).layers(layers).width(width).heads(heads).kvHeads(kvHeads).ffn(ffn)
                .vocabSize(vocabSize).contextLength(contextLength).tensorType(tensorType).seed(seed);
        b.copiedTokenizer = tokenizerCopied ? tokenizer : null;
        b.weightStd = weightStd;
        b.embeddingStd = embeddingStd;
        b.outputStd = outputStd;
        b.residualStd = residualStd;
        return b;
    }

    public String name() { return name; }

    public int layers() { return layers; }

    /** {@code n_embd}. */
    public int width() { return width; }

    public int heads() { return heads; }

    public int kvHeads() { return kvHeads; }

    /** {@code n_ff}. */
    public int ffn() { return ffn; }

    public int vocabSize() { return vocabSize; }

    public int contextLength() { return contextLength; }

    public GgmlType tensorType() { return tensorType; }

    public long seed() { return seed; }

    /**
     * Standard deviation of a weight tensor's normal initialisation: {@code token_embd} the embedding std,
     * {@code output} the output std, the residual projections ({@code attn_output}, {@code ffn_down}) the
     * residual std, every other matrix the weight std (all 0.02 unless set); norms are 1.
     */
    public double initStd(String tensorName) {
        if (tensorName.equals("token_embd.weight")) return embeddingStd;
        if (tensorName.equals("output.weight")) return outputStd;
        if (tensorName.endsWith("attn_output.weight") || tensorName.endsWith("ffn_down.weight")) return residualStd;
        return weightStd;
    }

    public int headDim() { return width / heads; }

    /** The {@code tokenizer.*} metadata the file will carry. */
    public Map<String, GgufValue> tokenizer() { return tokenizer; }

    /** Number of weights, as llama.cpp counts parameters. */
    public long parameterCount() {
        long n = 0;
        for (GgufTensorInfo t : header().tensors()) {
            n += t.elementCount();
        }
        return n;
    }

    /** Exact size of the file {@link #write} produces. */
    public long fileSizeBytes() {
        return header().fileSize();
    }

    public void write(Path path) throws IOException {
        write(path, p -> { });
    }

    /** Writes the model; {@code progress} receives the fraction of tensor bytes written, ending with 1.0. */
    public void write(Path path, DoubleConsumer progress) throws IOException {
        GgufHeader header = header();
        long total = header.tensors().stream().mapToLong(GgufTensorInfo::byteSize).sum();
        long done = 0;
        ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        try (GgufWriter writer = GgufWriter.open(path, header)) {
            for (GgufTensorInfo t : header.tensors()) {
                // one generator per tensor, seeded by its name: a tensor's values do not depend on the others
                SplittableRandom random = new SplittableRandom(seed * 0x9E37_79B9_7F4A_7C15L + t.name().hashCode());
                boolean norm = t.dims().length == 1; // the only 1-D tensors are the norm weights
                float scale = (float) (initStd(t.name()) / WEIGHT_STDDEV);
                int perChunk = CHUNK_BYTES / t.type().typeSize();
                for (long left = t.elementCount(); left > 0; ) {
                    int n = (int) Math.min(left, perChunk);
                    chunk.clear();
                    fill(chunk, t.type(), n, norm, scale, random);
                    writer.writeTensorData(chunk.flip());
                    left -= n;
                    done += (long) n * t.type().typeSize();
                    progress.accept((double) done / total);
                }
            }
        }
    }

    /**
     * Writes {@code n} values: ones for norms, else weights drawn from the normal quantile table, four per 64-bit
     * random number (a lookup per value keeps generation well above disk speed).
     */
    private static void fill(ByteBuffer out, GgmlType type, int n, boolean norm, float scale, SplittableRandom random) {
        if (norm) {
            for (int i = 0; i < n; i++) {
                out.putFloat(1f);
            }
            return;
        }
        long bits = 0;
        if (scale != 1f) {
            for (int i = 0; i < n; i++) {
                bits = (i & 3) == 0 ? random.nextLong() : bits >>> 16;
                float v = WEIGHTS_F32[(int) bits & 0xFFFF] * scale;
                if (type == GgmlType.F32) out.putFloat(v); else out.putShort(Half.fromFloat(v));
            }
            return;
        }
        if (type == GgmlType.F32) {
            for (int i = 0; i < n; i++) {
                bits = (i & 3) == 0 ? random.nextLong() : bits >>> 16;
                out.putFloat(WEIGHTS_F32[(int) bits & 0xFFFF]);
            }
        } else {
            for (int i = 0; i < n; i++) {
                bits = (i & 3) == 0 ? random.nextLong() : bits >>> 16;
                out.putShort(WEIGHTS_F16[(int) bits & 0xFFFF]);
            }
        }
    }

    /** Metadata and tensor declarations, in llama.cpp's tensor order and naming (dims {@code ne0} first). */
    private GgufHeader header() {
        GgufHeader h = new GgufHeader();
        h.put("general.architecture", GgufValue.string("llama"));
        h.put("general.name", GgufValue.string(name));
        h.put("general.file_type", GgufValue.uint32(tensorType == GgmlType.F16 ? 1 : 0));
        h.put("llama.vocab_size", GgufValue.uint32(vocabSize));
        h.put("llama.context_length", GgufValue.uint32(contextLength));
        h.put("llama.embedding_length", GgufValue.uint32(width));
        h.put("llama.block_count", GgufValue.uint32(layers));
        h.put("llama.feed_forward_length", GgufValue.uint32(ffn));
        h.put("llama.attention.head_count", GgufValue.uint32(heads));
        h.put("llama.attention.head_count_kv", GgufValue.uint32(kvHeads));
        h.put("llama.rope.dimension_count", GgufValue.uint32(headDim()));
        h.put("llama.attention.layer_norm_rms_epsilon", GgufValue.float32(1e-5f));
        h.put("llama.rope.freq_base", GgufValue.float32(10000f));
        tokenizer.forEach(h::put);

        long kvWidth = (long) headDim() * kvHeads;
        h.addTensor("token_embd.weight", tensorType, width, vocabSize);
        h.addTensor("output_norm.weight", GgmlType.F32, width);
        h.addTensor("output.weight", tensorType, width, vocabSize);
        for (int i = 0; i < layers; i++) {
            String blk = "blk." + i + ".";
            h.addTensor(blk + "attn_norm.weight", GgmlType.F32, width);
            h.addTensor(blk + "attn_q.weight", tensorType, width, width);
            h.addTensor(blk + "attn_k.weight", tensorType, width, kvWidth);
            h.addTensor(blk + "attn_v.weight", tensorType, width, kvWidth);
            h.addTensor(blk + "attn_output.weight", tensorType, width, width);
            h.addTensor(blk + "ffn_norm.weight", GgmlType.F32, width);
            h.addTensor(blk + "ffn_gate.weight", tensorType, width, ffn);
            h.addTensor(blk + "ffn_down.weight", tensorType, ffn, width);
            h.addTensor(blk + "ffn_up.weight", tensorType, width, ffn);
        }
        return h;
    }

    @Override
    public String toString() {
        return "SyntheticLlama[" + name + ": " + layers + " layers, width " + width + ", " + heads + " heads ("
                + kvHeads + " KV), ffn " + ffn + ", vocab " + vocabSize + ", ctx " + contextLength + ", "
                + tensorType + ", seed " + seed + (tokenizerCopied ? ", copied tokenizer" : "") + "]";
    }

    /** Defaults are those of {@link #tiny()}. */
    public static final class Builder {
        private String name = "synthetic-llama";
        private int layers = 2;
        private int width = 64;
        private int heads = 4;
        private int kvHeads = 2;
        private int ffn = 128;
        private int vocabSize = 512;
        private int contextLength = 256;
        private GgmlType tensorType = GgmlType.F32;
        private long seed;
        private Map<String, GgufValue> copiedTokenizer;
        private double weightStd = WEIGHT_STDDEV;
        private double embeddingStd = WEIGHT_STDDEV;
        private double outputStd = WEIGHT_STDDEV;
        private double residualStd = WEIGHT_STDDEV;

        private Builder() {}

        /**
         * Initialisation scales (see {@link SyntheticLlama#initStd}): the attention/FFN input matrices, the token
         * embedding, the output matrix and the residual projections. All default to 0.02.
         */
        public Builder initStd(double weights, double embedding, double output, double residual) {
            require(weights > 0 && embedding > 0 && output > 0 && residual > 0 && weights < 100 && embedding < 100
                    && output < 100 && residual < 100, "init std must be in (0, 100)");
            this.weightStd = weights;
            this.embeddingStd = embedding;
            this.outputStd = output;
            this.residualStd = residual;
            return this;
        }

        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        public Builder layers(int layers) {
            this.layers = layers;
            return this;
        }

        /** {@code n_embd}. */
        public Builder width(int width) {
            this.width = width;
            return this;
        }

        public Builder heads(int heads) {
            this.heads = heads;
            return this;
        }

        public Builder kvHeads(int kvHeads) {
            this.kvHeads = kvHeads;
            return this;
        }

        /** {@code n_ff}. */
        public Builder ffn(int ffn) {
            this.ffn = ffn;
            return this;
        }

        /** Size of the generated byte-level BPE vocabulary (at least 258); ignored with {@link #tokenizerFrom}. */
        public Builder vocabSize(int vocabSize) {
            this.vocabSize = vocabSize;
            return this;
        }

        public Builder contextLength(int contextLength) {
            this.contextLength = contextLength;
            return this;
        }

        /** F32 or F16, for every tensor except the norms (always F32). */
        public Builder tensorType(GgmlType tensorType) {
            this.tensorType = Objects.requireNonNull(tensorType, "tensorType");
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Copies every {@code tokenizer.*} key of the GGUF file at {@code gguf} (read now); the vocabulary size
         * becomes its token count.
         *
         * @throws io.tokenflow.ModelLoadException if the file cannot be read, or has no {@code tokenizer.ggml.tokens}
         *                                         array of STRING
         */
        public Builder tokenizerFrom(Path gguf) {
            GgufFile source = GgufFile.read(gguf);
            if (source.getStringList("tokenizer.ggml.tokens").isEmpty()) {
                throw new InvalidModelException(gguf.getFileName() + ": no tokenizer.ggml.tokens to copy");
            }
            Map<String, GgufValue> kv = new LinkedHashMap<>();
            source.metadataEntries().forEach((k, v) -> {
                if (k.startsWith("tokenizer.")) {
                    kv.put(k, v);
                }
            });
            this.copiedTokenizer = Collections.unmodifiableMap(kv);
            return this;
        }

        /**
         * Uses the given {@code tokenizer.*} metadata (e.g. a trained vocabulary's); the vocabulary size becomes its
         * token count.
         *
         * @throws IllegalArgumentException if a key does not start with {@code tokenizer.} or there is no
         *                                  {@code tokenizer.ggml.tokens} array
         */
        public Builder tokenizer(Map<String, GgufValue> tokenizerMetadata) {
            GgufValue tokens = tokenizerMetadata.get("tokenizer.ggml.tokens");
            if (tokens == null || !(tokens.value() instanceof GgufArray)) {
                throw new IllegalArgumentException("no tokenizer.ggml.tokens array");
            }
            for (String k : tokenizerMetadata.keySet()) {
                if (!k.startsWith("tokenizer.")) {
                    throw new IllegalArgumentException("not a tokenizer key: " + k);
                }
            }
            this.copiedTokenizer = Collections.unmodifiableMap(new LinkedHashMap<>(tokenizerMetadata));
            return this;
        }

        /** Goes back to the generated byte-level BPE vocabulary (the default). */
        public Builder byteLevelTokenizer() {
            this.copiedTokenizer = null;
            return this;
        }

        /** @throws IllegalArgumentException if the shape is inconsistent */
        public SyntheticLlama build() {
            require(layers >= 1, "layers must be >= 1");
            require(width >= 1 && heads >= 1 && width % heads == 0, "width must be a positive multiple of heads");
            require((width / heads) % 2 == 0, "head dimension width/heads must be even (RoPE rotates pairs)");
            require(kvHeads >= 1 && heads % kvHeads == 0, "kvHeads must divide heads");
            require(ffn >= 1, "ffn must be >= 1");
            require(contextLength >= 1, "contextLength must be >= 1");
            require(tensorType == GgmlType.F32 || tensorType == GgmlType.F16, "tensorType must be F32 or F16");
            if (copiedTokenizer != null) {
                int n = ((GgufArray) copiedTokenizer.get("tokenizer.ggml.tokens").value()).size();
                return new SyntheticLlama(this, copiedTokenizer, n);
            }
            require(vocabSize >= ByteLevelBpe.MIN_VOCAB, "vocabSize must be >= " + ByteLevelBpe.MIN_VOCAB);
            return new SyntheticLlama(this, Collections.unmodifiableMap(ByteLevelBpe.generate(vocabSize)), vocabSize);
        }

        private static void require(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException(message);
            }
        }
    }
}

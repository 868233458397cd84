package io.tokenflow.train;

import io.tokenflow.gguf.GgmlType;
import io.tokenflow.gguf.GgufValue;
import io.tokenflow.gguf.GgufWriter;
import io.tokenflow.internal.Half;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A hand-constructed (not trained) two-layer llama-architecture model that retrieves by induction: it continues
 * the current text with what followed the last earlier occurrence of its last {@value #K} tokens. That is exactly
 * what pass key, multi-needle and key-value retrieval ask ("... The pass key is 48213 ... The pass key is" -> " 48213"),
 * so it is the project's retrieval model for measuring what KV compression, sparse attention and speculation cost
 * on those tasks, beside a trained model for stories (ALGORITHMS/issue 5: the documented alternative route).
 *
 * <p>Construction (weights written directly, F16; every number below is in the code):
 * <ul>
 *   <li>Residual stream (width {@value #WIDTH}): a constant dimension (1.0), then 48-dimensional subspaces: the
 *       current token, the tokens 1..K positions back, and an "out" subspace. Token t is a seeded random unit
 *       vector u_t (48 dims) in the current-token subspace.</li>
 *   <li>Layer 0, heads 1..K: previous-token heads. Queries and keys come from the constant dimension only, placed in
 *       the fastest {@value #FAST_PAIRS} rotary pairs of each head (RoPE base 1e9, head dimension {@value #HEAD_DIM}) so
 *       that q.k = A sum_i cos((t - j - d) theta_i), which peaks at j = t - d (d = 1..K) with a margin of about 17 nats
 *       over any other position up to 4k. Each head copies u_{x_{t-d}} into the "d back" subspace.</li>
 *   <li>Layer 1, head 0: the induction head. Its query holds (x_t, x_{t-1}, ..., x_{t-K+1}) and its keys
 *       (x_{j-1}, ..., x_{j-K}) in the slowest rotary pairs (which turn by under 0.13 rad over 4k positions), so the
 *       score counts matching tokens (about 14 nats each):
 *       it attends to the position j that follows the longest match and copies u_{x_j} to the "out" subspace.</li>
 *   <li>Feed-forward blocks are zero; the output matrix maps the "out" subspace back to token logits (about 30 for
 *       the copied token).</li>
 * </ul>
 * Limits: it only copies (no language model beyond that), ties between equally long matches average their
 * continuations, and it needs a tokenizer that spells numbers digit by digit (as {@link TinyModelTrainer}'s does).
 */
public final class InductionModel {
    static final int K = 4;
    static final int SUB = 48;
    static final int WIDTH = 320;
    static final int N_HEAD = 5;
    /** llama requires RoPE on every head dimension: fast pairs make position-offset heads, slow pairs (rotating
     * under 0.13 rad over 4k positions) carry content matches. */
    static final int HEAD_DIM = 384;
    static final int N_ROT = HEAD_DIM;
    static final float ROPE_BASE = 1e9f;
    /** Rotary pairs 0..FAST_PAIRS-1 (theta from 1 down to 0.2) build the previous-token heads. */
    static final int FAST_PAIRS = 32;
    /** First dimension of the slow pairs (theta <= 3.2e-5) where the induction head matches content. */
    static final int SLOW0 = 192;
    static final int FFN = 32;
    static final int LAYERS = 2;
    static final int CONTEXT = 4096;
    /** Offsets of the residual subspaces. */
    static final int CONST = 0;
    static final int CUR = 1;
    static final int OUT = CUR + SUB * (K + 1);
    /** Per-pair logit amplitude of the previous-token heads, per-token match logit of the induction head, output logit. */
    static final double A_PREV = 7.0;
    static final double A_MATCH = 14.0;
    static final double B_OUT = 30.0;

    private InductionModel() {}

    /** The vocabulary the model ships with: BPE on the standard task corpus with digits removed (numbers spelt digit by digit). */
    public static BpeVocabulary standardVocabulary(int size, long seed) {
        Corpus corpus = Corpus.standard(seed, 2000);
        java.util.List<String> docs = new java.util.ArrayList<>();
        for (String t : corpus.texts(1500)) docs.add(t.replaceAll("[0-9]", ""));
        return new BpeTrainer(size).train(docs);
    }

    /**
     * The standard retrieval model (512-token vocabulary, seed 1) as a file in {@code $TOKENFLOW_CACHE/models}
     * (default {@code ~/.cache/tokenflow/models}), written on first use (about a second; deterministic).
     */
    public static synchronized Path cached() throws IOException {
        Path file = io.tokenflow.Tokenflow.cacheDir().resolve("models").resolve("tokenflow-induction-v1.gguf");
        if (java.nio.file.Files.isRegularFile(file)) return file;
        java.nio.file.Files.createDirectories(file.getParent());
        Path part = java.nio.file.Files.createTempFile(file.getParent(), "induction-", ".part");
        try {
            write(part, standardVocabulary(512, 1), 1);
            io.tokenflow.internal.AtomicFiles.replace(part, file);
        } finally {
            java.nio.file.Files.deleteIfExists(part);
        }
        return file;
    }

    /** Writes the model with {@code vocab} as its tokenizer; {@code seed} draws the token vectors. */
    public static void write(Path out, BpeVocabulary vocab, long seed) throws IOException {
        int v = vocab.size();
        float[][] u = tokenVectors(v, seed);
        try (GgufWriter w = GgufWriter.create(out)) {
            w.putString("general.architecture", "llama");
            w.putString("general.name", "tokenflow-induction");
            w.putUInt32("general.file_type", 1);
            w.putUInt32("llama.vocab_size", v);
            w.putUInt32("llama.context_length", CONTEXT);
            w.putUInt32("llama.embedding_length", WIDTH);
            w.putUInt32("llama.block_count", LAYERS);
            w.putUInt32("llama.feed_forward_length", FFN);
            w.putUInt32("llama.attention.head_count", N_HEAD);
            w.putUInt32("llama.attention.head_count_kv", N_HEAD);
            w.putUInt32("llama.attention.key_length", HEAD_DIM);
            w.putUInt32("llama.attention.value_length", HEAD_DIM);
            w.putUInt32("llama.rope.dimension_count", N_ROT);
            w.putFloat32("llama.rope.freq_base", ROPE_BASE);
            w.putFloat32("llama.attention.layer_norm_rms_epsilon", 1e-6f);
            for (Map.Entry<String, GgufValue> e : vocab.ggufMetadata().entrySet()) w.put(e.getKey(), e.getValue());
            int qk = N_HEAD * HEAD_DIM;
            w.addTensor("token_embd.weight", GgmlType.F16, WIDTH, v);
            w.addTensor("output_norm.weight", GgmlType.F32, WIDTH);
            w.addTensor("output.weight", GgmlType.F16, WIDTH, v);
            for (int l = 0; l < LAYERS; l++) {
                String b = "blk." + l + ".";
                w.addTensor(b + "attn_norm.weight", GgmlType.F32, WIDTH);
                w.addTensor(b + "attn_q.weight", GgmlType.F16, WIDTH, qk);
                w.addTensor(b + "attn_k.weight", GgmlType.F16, WIDTH, qk);
                w.addTensor(b + "attn_v.weight", GgmlType.F16, WIDTH, qk);
                w.addTensor(b + "attn_output.weight", GgmlType.F16, qk, WIDTH);
                w.addTensor(b + "ffn_norm.weight", GgmlType.F32, WIDTH);
                w.addTensor(b + "ffn_gate.weight", GgmlType.F16, WIDTH, FFN);
                w.addTensor(b + "ffn_down.weight", GgmlType.F16, FFN, WIDTH);
                w.addTensor(b + "ffn_up.weight", GgmlType.F16, WIDTH, FFN);
            }
            // Embedding: the constant 1 and the token's vector in the current-token subspace.
            float[][] emb = new float[v][WIDTH];
            for (int t = 0; t < v; t++) {
                emb[t][CONST] = 1f;
                System.arraycopy(u[t], 0, emb[t], CUR, SUB);
            }
            w.writeTensorData(f16(emb));
            w.writeTensorData(f32(ones(WIDTH)));
            // Output: the final residual has |h|^2 = 1 + (K + 1) + 1 (constant, K + 1 token vectors, out) -> RMS scale.
            double sOut = Math.sqrt(WIDTH / (1.0 + (K + 1) + 1));
            float[][] outW = new float[v][WIDTH];
            for (int t = 0; t < v; t++) {
                for (int m = 0; m < SUB; m++) outW[t][OUT + m] = (float) (B_OUT * u[t][m] / sOut);
            }
            w.writeTensorData(f16(outW));
            writeLayer0(w);
            writeLayer1(w);
        }
    }

    /** Previous-token heads 1..K (head d-1 looks d back) and a zero head. */
    private static void writeLayer0(GgufWriter w) throws IOException {
        int qk = N_HEAD * HEAD_DIM;
        double s = Math.sqrt(WIDTH / 2.0);            // RMS scale of [1; u] (|h|^2 = 2)
        double kqScale = 1 / Math.sqrt(HEAD_DIM);
        float[][] q = new float[qk][WIDTH], k = new float[qk][WIDTH], val = new float[qk][WIDTH], o = new float[WIDTH][qk];
        for (int d = 1; d <= K; d++) {
            int h = (d - 1) * HEAD_DIM;
            for (int i = 0; i < FAST_PAIRS; i++) {
                double theta = Math.pow(ROPE_BASE, -2.0 * i / N_ROT);
                // z_q conj(z_k) = A e^{-i d theta}: keys (kappa, 0), queries (A / kappa)(cos d theta, -sin d theta).
                double kappa = 4.0;
                double a = A_PREV / kqScale / kappa;
                k[h + 2 * i][CONST] = (float) (kappa / s);
                q[h + 2 * i][CONST] = (float) (a * Math.cos(d * theta) / s);
                q[h + 2 * i + 1][CONST] = (float) (-a * Math.sin(d * theta) / s);
            }
            for (int m = 0; m < SUB; m++) {
                val[h + m][CUR + m] = 1f;
                o[CUR + SUB * d + m][h + m] = (float) (1 / s);
            }
        }
        writeBlock(w, q, k, val, o);
    }

    /** The induction head: match the last K tokens against the K tokens before each earlier position. */
    private static void writeLayer1(GgufWriter w) throws IOException {
        int qk = N_HEAD * HEAD_DIM;
        double s = Math.sqrt(WIDTH / (1.0 + (K + 1)));  // RMS scale of [1; u_t; u_{t-1}..u_{t-K}]
        double kqScale = 1 / Math.sqrt(HEAD_DIM);
        double alpha = Math.sqrt(A_MATCH / kqScale) / s;
        float[][] q = new float[qk][WIDTH], k = new float[qk][WIDTH], val = new float[qk][WIDTH], o = new float[WIDTH][qk];
        for (int back = 0; back < K; back++) {
            int dim = SLOW0 + SUB * back;                 // slow rotary dimensions of head 0
            for (int m = 0; m < SUB; m++) {
                q[dim + m][CUR + SUB * back + m] = (float) alpha;        // x_{t-back}
                k[dim + m][CUR + SUB * (back + 1) + m] = (float) alpha;  // x_{j-1-back}
            }
        }
        for (int m = 0; m < SUB; m++) {
            val[m][CUR + m] = 1f;
            o[OUT + m][m] = (float) (1 / s);
        }
        writeBlock(w, q, k, val, o);
    }

    private static void writeBlock(GgufWriter w, float[][] q, float[][] k, float[][] v, float[][] o) throws IOException {
        w.writeTensorData(f32(ones(WIDTH)));
        w.writeTensorData(f16(q));
        w.writeTensorData(f16(k));
        w.writeTensorData(f16(v));
        w.writeTensorData(f16(o));
        w.writeTensorData(f32(ones(WIDTH)));
        w.writeTensorData(f16(new float[FFN][WIDTH]));
        w.writeTensorData(f16(new float[WIDTH][FFN]));
        w.writeTensorData(f16(new float[FFN][WIDTH]));
    }

    /** Seeded random unit vectors, one per token. */
    static float[][] tokenVectors(int v, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[][] u = new float[v][SUB];
        for (int t = 0; t < v; t++) {
            double n = 0;
            double[] x = new double[SUB];
            for (int m = 0; m < SUB; m++) {
                // Box-Muller normal
                double a = r.nextDouble(), b = r.nextDouble();
                x[m] = Math.sqrt(-2 * Math.log(1 - a)) * Math.cos(2 * Math.PI * b);
                n += x[m] * x[m];
            }
            n = Math.sqrt(n);
            for (int m = 0; m < SUB; m++) u[t][m] = (float) (x[m] / n);
        }
        return u;
    }

    private static float[] ones(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, 1f);
        return a;
    }

    /** Rows of a ggml matrix [ne0 = row length, ne1 = rows], F16 little-endian. */
    private static ByteBuffer f16(float[][] rows) {
        ByteBuffer b = ByteBuffer.allocate(rows.length * rows[0].length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] row : rows) for (float x : row) b.putShort(Half.fromFloat(x));
        return b.flip();
    }

    private static ByteBuffer f32(float[] a) {
        ByteBuffer b = ByteBuffer.allocate(a.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : a) b.putFloat(x);
        return b.flip();
    }
}

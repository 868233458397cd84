package io.tokenflow.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.tokenflow.internal.Half;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticLlamaTest {
    @TempDir
    Path dir;

    private static String sha256(Path path) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(path)));
    }

    /** A tensor's values as floats, from F32 or F16 data. */
    private static float[] values(Path path, GgufFile f, String name) throws IOException {
        GgufTensorInfo t = f.tensor(name).orElseThrow();
        ByteBuffer buf = ByteBuffer.allocate((int) t.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel ch = FileChannel.open(path)) {
            ch.read(buf, f.dataOffset() + t.offset());
        }
        buf.flip();
        float[] out = new float[(int) t.elementCount()];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.type() == GgmlType.F32 ? buf.getFloat() : Half.toFloat(buf.getShort());
        }
        return out;
    }

    @Test
    void tinyModelRoundTrips() throws Exception {
        SyntheticLlama spec = SyntheticLlama.tiny();
        Path path = dir.resolve("tiny.gguf");
        spec.write(path);
        GgufFile f = GgufFile.read(path);

        Map<String, GgufValue> expected = new LinkedHashMap<>();
        expected.put("general.architecture", GgufValue.string("llama"));
        expected.put("general.name", GgufValue.string("synthetic-llama-tiny"));
        expected.put("general.file_type", GgufValue.uint32(0));
        expected.put("llama.vocab_size", GgufValue.uint32(512));
        expected.put("llama.context_length", GgufValue.uint32(256));
        expected.put("llama.embedding_length", GgufValue.uint32(64));
        expected.put("llama.block_count", GgufValue.uint32(2));
        expected.put("llama.feed_forward_length", GgufValue.uint32(128));
        expected.put("llama.attention.head_count", GgufValue.uint32(4));
        expected.put("llama.attention.head_count_kv", GgufValue.uint32(2));
        expected.put("llama.rope.dimension_count", GgufValue.uint32(16));
        expected.put("llama.attention.layer_norm_rms_epsilon", GgufValue.float32(1e-5f));
        expected.put("llama.rope.freq_base", GgufValue.float32(10000f));
        expected.putAll(spec.tokenizer());
        assertThat(f.metadataEntries()).containsExactlyEntriesOf(expected);
        assertThat(f.getStringList("tokenizer.ggml.tokens").orElseThrow()).hasSize(512);

        List<String> names = new ArrayList<>(List.of("token_embd.weight", "output_norm.weight", "output.weight"));
        for (int i = 0; i < 2; i++) {
            for (String s : List.of("attn_norm", "attn_q", "attn_k", "attn_v", "attn_output", "ffn_norm", "ffn_gate",
                    "ffn_down", "ffn_up")) {
                names.add("blk." + i + "." + s + ".weight");
            }
        }
        assertThat(f.tensors()).extracting(GgufTensorInfo::name).containsExactlyElementsOf(names);
        assertThat(f.tensor("token_embd.weight").orElseThrow().dims()).containsExactly(64, 512);
        assertThat(f.tensor("output.weight").orElseThrow().dims()).containsExactly(64, 512);
        assertThat(f.tensor("blk.1.attn_q.weight").orElseThrow().dims()).containsExactly(64, 64);
        assertThat(f.tensor("blk.1.attn_k.weight").orElseThrow().dims()).containsExactly(64, 32);
        assertThat(f.tensor("blk.1.attn_v.weight").orElseThrow().dims()).containsExactly(64, 32);
        assertThat(f.tensor("blk.0.ffn_gate.weight").orElseThrow().dims()).containsExactly(64, 128);
        assertThat(f.tensor("blk.0.ffn_down.weight").orElseThrow().dims()).containsExactly(128, 64);
        assertThat(f.tensor("blk.0.ffn_up.weight").orElseThrow().dims()).containsExactly(64, 128);
        assertThat(f.tensor("blk.0.ffn_norm.weight").orElseThrow().dims()).containsExactly(64);
        assertThat(f.tensors()).allSatisfy(t -> assertThat(t.type()).isEqualTo(GgmlType.F32));

        long params = f.tensors().stream().mapToLong(GgufTensorInfo::elementCount).sum();
        assertThat(spec.parameterCount()).isEqualTo(params).isEqualTo(2 * 512 * 64 + 64
                + 2 * (64 + 64 * 64 * 2 + 64 * 32 * 2 + 64 + 3 * 64 * 128));
        assertThat(Files.size(path)).isEqualTo(spec.fileSizeBytes()).isEqualTo(f.fileSize()).isLessThan(5_000_000);
    }

    @Test
    void weightsLookNormalAndNormsAreOne() throws Exception {
        SyntheticLlama spec = SyntheticLlama.tiny().toBuilder().tensorType(GgmlType.F16).build();
        Path path = dir.resolve("f16.gguf");
        spec.write(path);
        GgufFile f = GgufFile.read(path);
        assertThat(f.getLong("general.file_type")).hasValue(1);
        assertThat(f.tensor("token_embd.weight").orElseThrow().type()).isEqualTo(GgmlType.F16);
        assertThat(f.tensor("blk.0.attn_norm.weight").orElseThrow().type()).isEqualTo(GgmlType.F32);
        assertThat(Files.size(path)).isEqualTo(spec.fileSizeBytes());

        float[] w = values(path, f, "token_embd.weight");
        double sum = 0;
        double sumSq = 0;
        for (float v : w) {
            sum += v;
            sumSq += v * v;
        }
        double mean = sum / w.length;
        assertThat(mean).isCloseTo(0, within(0.001));
        assertThat(Math.sqrt(sumSq / w.length - mean * mean)).isCloseTo(0.02, within(0.001));
        assertThat(values(path, f, "output_norm.weight")).containsOnly(1f);
        assertThat(values(path, f, "token_embd.weight")).isNotEqualTo(values(path, f, "output.weight"));
    }

    @Test
    void sameSeedSameBytesDifferentSeedDifferentBytes() throws Exception {
        Path a = dir.resolve("a.gguf");
        Path b = dir.resolve("b.gguf");
        Path c = dir.resolve("c.gguf");
        SyntheticLlama.tiny().toBuilder().seed(7).build().write(a);
        SyntheticLlama.tiny().toBuilder().seed(7).build().write(b);
        SyntheticLlama.tiny().toBuilder().seed(8).build().write(c);
        assertThat(sha256(a)).isEqualTo(sha256(b)).isNotEqualTo(sha256(c));
        assertThat(Files.size(a)).isEqualTo(Files.size(c));
    }

    @Test
    void oddShapesArePaddedAndProgressRisesToOne() throws Exception {
        SyntheticLlama spec = SyntheticLlama.builder().width(6).heads(1).kvHeads(1).ffn(5).vocabSize(258).build();
        Path path = dir.resolve("odd.gguf");
        List<Double> seen = new ArrayList<>();
        spec.write(path, seen::add);
        assertThat(seen).isSorted().last().isEqualTo(1.0);
        assertThat(Files.size(path)).isEqualTo(spec.fileSizeBytes());
        assertThat(GgufFile.read(path).tensor("blk.1.ffn_down.weight").orElseThrow().byteSize()).isEqualTo(5 * 6 * 4);
    }

    @Test
    void llama1BShapeIsTinyLlamaSized() {
        SyntheticLlama spec = SyntheticLlama.llama1B();
        long perLayer = 2 * 2048 + 2L * 2048 * 2048 + 2L * 2048 * 256 + 3L * 2048 * 5632;
        long params = 2L * 32000 * 2048 + 2048 + 22 * perLayer;
        assertThat(spec.parameterCount()).isEqualTo(params).isBetween(1_000_000_000L, 1_200_000_000L);
        long normBytes = 4L * 2048 * (1 + 2 * 22);
        assertThat(spec.fileSizeBytes()).isBetween(2 * params + normBytes, 2 * params + normBytes + 2_000_000);
        assertThat(spec.headDim()).isEqualTo(64);
    }

    @Test
    void copiesTheTokenizerOfAnotherModel() throws Exception {
        Path stories = Fixtures.model("stories260K.gguf");
        SyntheticLlama spec = SyntheticLlama.builder().vocabSize(300).tokenizerFrom(stories).build();
        assertThat(spec.vocabSize()).isEqualTo(512);
        Path path = dir.resolve("copied.gguf");
        spec.write(path);

        GgufFile source = GgufFile.read(stories);
        GgufFile f = GgufFile.read(path);
        Map<String, GgufValue> expected = new LinkedHashMap<>();
        source.metadataEntries().forEach((k, v) -> {
            if (k.startsWith("tokenizer.")) {
                expected.put(k, v);
            }
        });
        Map<String, GgufValue> actual = new LinkedHashMap<>(f.metadataEntries());
        actual.keySet().removeIf(k -> !k.startsWith("tokenizer."));
        assertThat(actual).containsExactlyEntriesOf(expected).containsKey("tokenizer.ggml.scores");
        assertThat(f.getLong("llama.vocab_size")).hasValue(512);
        assertThat(f.tensor("output.weight").orElseThrow().dims()).containsExactly(64, 512);
        assertThat(spec.toBuilder().byteLevelTokenizer().build().tokenizer())
                .containsEntry("tokenizer.ggml.model", GgufValue.string("gpt2"));
    }

    @Test
    void rejectsInconsistentShapes() {
        assertThatThrownBy(() -> SyntheticLlama.builder().width(60).heads(8).build())
                .hasMessageContaining("multiple of heads");
        assertThatThrownBy(() -> SyntheticLlama.builder().width(60).heads(4).build())
                .hasMessageContaining("must be even");
        assertThatThrownBy(() -> SyntheticLlama.builder().heads(4).kvHeads(3).build())
                .hasMessageContaining("kvHeads must divide heads");
        assertThatThrownBy(() -> SyntheticLlama.builder().tensorType(GgmlType.Q8_0).build())
                .hasMessageContaining("F32 or F16");
        assertThatThrownBy(() -> SyntheticLlama.builder().vocabSize(100).build()).hasMessageContaining(">= 258");
        assertThatThrownBy(() -> SyntheticLlama.builder().layers(0).build()).hasMessageContaining("layers");
    }
}

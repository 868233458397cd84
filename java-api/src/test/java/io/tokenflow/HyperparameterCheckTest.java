package io.tokenflow;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokenflow.gguf.GgmlType;
import io.tokenflow.gguf.GgufFile;
import io.tokenflow.gguf.GgufValue;
import io.tokenflow.gguf.GgufWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each value llama.cpp asserts on (found by the fuzz suite) is refused in Java, naming the key and the range. */
class HyperparameterCheckTest {
    @TempDir
    Path tmp;

    private GgufFile model(Map<String, GgufValue> changes, GgmlType normType) throws IOException {
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put("general.architecture", GgufValue.string("llama"));
        kv.put("llama.block_count", GgufValue.uint32(2));
        kv.put("llama.embedding_length", GgufValue.uint32(8));
        kv.put("llama.attention.head_count", GgufValue.uint32(2));
        kv.put("llama.attention.head_count_kv", GgufValue.uint32(1));
        kv.put("llama.context_length", GgufValue.uint32(64));
        kv.put("llama.attention.layer_norm_rms_epsilon", GgufValue.float32(1e-5f));
        kv.put("tokenizer.ggml.model", GgufValue.string("llama"));
        kv.putAll(changes);
        Path p = tmp.resolve("m" + System.nanoTime() + ".gguf");
        try (GgufWriter w = GgufWriter.create(p)) {
            kv.forEach((k, v) -> { if (v != null) w.put(k, v); });
            w.addTensor("output_norm.weight", normType, 8);
            w.writeTensorData(ByteBuffer.allocate(normType == GgmlType.F16 ? 16 : 32));
        }
        return GgufFile.read(p);
    }

    private void refused(Map<String, GgufValue> changes, String... words) throws IOException {
        GgufFile g = model(changes, GgmlType.F32);
        var a = assertThatThrownBy(() -> HyperparameterCheck.check(g)).isInstanceOf(InvalidModelException.class);
        for (String w : words) a.hasMessageContaining(w);
    }

    @Test
    void aWellFormedModelPasses() throws IOException {
        GgufFile g = model(Map.of(), GgmlType.F32);
        assertThatCode(() -> HyperparameterCheck.check(g)).doesNotThrowAnyException();
    }

    @Test
    void layerCountsOutsideLlamaCppsLimitsAreRefused() throws IOException {
        refused(Map.of("llama.block_count", GgufValue.uint32(0)), "llama.block_count", "[1, 512]");
        refused(Map.of("llama.block_count", GgufValue.uint32(4096)), "llama.block_count", "4096");
    }

    @Test
    void expertCountsAreChecked() throws IOException {
        refused(Map.of("llama.expert_count", GgufValue.uint32(2000)), "llama.expert_count");
        refused(Map.of("llama.expert_count", GgufValue.uint32(2), "llama.expert_used_count", GgufValue.uint32(3)),
                "llama.expert_used_count", "[1, 2]");
        refused(Map.of("llama.expert_used_count", GgufValue.uint32(1)), "llama.expert_used_count", "[0, 0]");
        refused(Map.of("llama.expert_count", GgufValue.uint32(4)), "expert_used_count is missing");
    }

    @Test
    void normalisationEpsilonMustBeFiniteAndNonNegative() throws IOException {
        refused(Map.of("llama.attention.layer_norm_rms_epsilon", GgufValue.float32(Float.NaN)), "layer_norm_rms_epsilon", "NaN");
        refused(Map.of("llama.attention.layer_norm_rms_epsilon", GgufValue.float32(-1f)), "layer_norm_rms_epsilon");
        refused(Map.of("llama.attention.layer_norm_epsilon", GgufValue.float32(Float.POSITIVE_INFINITY)), "layer_norm_epsilon");
    }

    @Test
    void tokenizerModelsTokenflowCannotGenerateWithAreRefused() throws IOException {
        refused(Map.of("tokenizer.ggml.model", GgufValue.string("bert")), "tokenizer.ggml.model", "bert");
    }

    @Test
    void alignmentBelowTensorAlignmentIsRefused() throws IOException {
        refused(Map.of("general.alignment", GgufValue.uint32(8)), "general.alignment", "32");
    }

    @Test
    void integerTensorTypesAreRefused() throws IOException {
        GgufFile g = model(Map.of(), GgmlType.I32);
        assertThatThrownBy(() -> HyperparameterCheck.check(g)).isInstanceOf(InvalidModelException.class)
                .hasMessageContaining("I32");
    }

    @Test
    void normWeightsMustBeF32() throws IOException {
        GgufFile g = model(Map.of(), GgmlType.F16);
        assertThatThrownBy(() -> HyperparameterCheck.check(g)).isInstanceOf(InvalidModelException.class)
                .hasMessageContaining("output_norm.weight").hasMessageContaining("F16");
    }
}

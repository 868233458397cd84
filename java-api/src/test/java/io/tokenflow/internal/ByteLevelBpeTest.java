package io.tokenflow.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokenflow.gguf.GgufArray;
import io.tokenflow.gguf.GgufValue;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ByteLevelBpeTest {

    @SuppressWarnings("unchecked")
    private static List<String> strings(Map<String, GgufValue> kv, String key) {
        return (List<String>) ((GgufArray) kv.get(key).value()).elements();
    }

    /** The structural rules llama.cpp's BPE tokenizer relies on. */
    private static void assertWellFormed(int vocabSize) {
        Map<String, GgufValue> kv = ByteLevelBpe.generate(vocabSize);
        List<String> tokens = strings(kv, "tokenizer.ggml.tokens");
        List<String> merges = strings(kv, "tokenizer.ggml.merges");
        List<Object> types = List.copyOf(((GgufArray) kv.get("tokenizer.ggml.token_type").value()).elements());

        assertThat(tokens).hasSize(vocabSize).doesNotHaveDuplicates();
        assertThat(types).hasSize(vocabSize);
        assertThat(merges).hasSize(vocabSize - 258);
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < tokens.size(); i++) {
            ids.put(tokens.get(i), i);
        }
        for (int m = 0; m < merges.size(); m++) {
            String[] parts = merges.get(m).split(" ");
            assertThat(parts).as("merge %d", m).hasSize(2);
            int id = 256 + m;
            assertThat(tokens.get(id)).isEqualTo(parts[0] + parts[1]);
            assertThat(ids.get(parts[0])).isLessThan(id);
            assertThat(ids.get(parts[1])).isLessThan(id);
        }
        assertThat(tokens.subList(vocabSize - 2, vocabSize)).containsExactly("<|bos|>", "<|endoftext|>");
        assertThat(types.subList(0, vocabSize - 2)).containsOnly((Object) 1);
        assertThat(types.subList(vocabSize - 2, vocabSize)).containsOnly((Object) 3);
        assertThat(kv.get("tokenizer.ggml.bos_token_id")).isEqualTo(GgufValue.uint32(vocabSize - 2));
        assertThat(kv.get("tokenizer.ggml.eos_token_id")).isEqualTo(GgufValue.uint32(vocabSize - 1));
    }

    @Test
    void wellFormedAtEverySize() {
        assertWellFormed(258);
        assertWellFormed(512);
        assertWellFormed(32_000);
    }

    @Test
    void bytesMapLikeGpt2() {
        List<String> tokens = strings(ByteLevelBpe.generate(258), "tokenizer.ggml.tokens");
        assertThat(tokens.get(' ')).isEqualTo("Ġ");
        assertThat(tokens.get('\n')).isEqualTo("Ċ");
        assertThat(tokens.get('A')).isEqualTo("A");
        assertThat(tokens.get(0xAD)).isEqualTo("Ń");
        assertThat(tokens.subList(0, 256)).doesNotHaveDuplicates().allSatisfy(t -> assertThat(t).hasSize(1));
        assertThat(String.join("", tokens.subList(0, 256)).getBytes(StandardCharsets.UTF_8)).hasSizeGreaterThan(256);
    }

    @Test
    void learnsEnglishFirstAndIsDeterministic() {
        Map<String, GgufValue> kv = ByteLevelBpe.generate(512);
        assertThat(strings(kv, "tokenizer.ggml.tokens")).contains("Ġthe", "Ġand", "Ġgirl");
        assertThat(kv).isEqualTo(ByteLevelBpe.generate(512));
        assertThat(kv.get("tokenizer.ggml.model")).isEqualTo(GgufValue.string("gpt2"));
        assertThatThrownBy(() -> ByteLevelBpe.generate(257)).hasMessageContaining("at least 258");
    }
}

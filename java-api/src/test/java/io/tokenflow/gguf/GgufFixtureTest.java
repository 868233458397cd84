package io.tokenflow.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** A real converted model: stories260K.gguf, the file llama.cpp's own CI uses. */
class GgufFixtureTest {

    @Test
    void readsStories260K() throws Exception {
        Path path = Fixtures.model("stories260K.gguf");
        GgufFile f = GgufFile.read(path);

        assertThat(f.architecture()).isEqualTo("llama");
        assertThat(f.tensors()).hasSize(48).allSatisfy(t -> assertThat(t.type()).isEqualTo(GgmlType.F32));
        assertThat(f.getStringList("tokenizer.ggml.tokens").orElseThrow()).hasSize(512);
        assertThat(f.getLong("llama.context_length")).hasValue(2048);
        assertThat(f.getInt("llama.embedding_length")).hasValue(64);
        assertThat(f.getInt("llama.block_count")).hasValue(5);
        assertThat(f.getString("tokenizer.ggml.model")).contains("llama");
        assertThat(f.fileSize()).isEqualTo(Files.size(path));

        GgufTensorInfo embd = f.tensor("token_embd.weight").orElseThrow();
        assertThat(embd.dims()).containsExactly(64, 512);
        long params = f.tensors().stream().mapToLong(GgufTensorInfo::elementCount).sum();
        assertThat(params).isEqualTo(292_800);
    }
}

package io.tokenflow.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenflow.Model;
import io.tokenflow.ModelInfo;
import io.tokenflow.ModelOptions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Load progress reporting and the model facts llama.cpp and the GGUF header give for stories260K. */
class LoadProgressTest {
    @Test
    void progressIsNonDecreasingAndEndsAtOne() {
        List<Float> seen = Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = Collections.synchronizedList(new ArrayList<>());
        ModelOptions o = ModelOptions.builder().progress(f -> {
            seen.add(f);
            threads.add(Thread.currentThread());
        }).build();
        try (Model model = Model.load(ItEnv.stories(), o)) {
            System.out.println("[LoadProgressTest] progress: " + seen);
            assertThat(seen).isNotEmpty();
            assertThat(seen.get(seen.size() - 1)).isEqualTo(1.0f);
            for (int i = 1; i < seen.size(); i++) {
                assertThat(seen.get(i)).as("progress[%d] after %s", i, seen.get(i - 1)).isGreaterThanOrEqualTo(seen.get(i - 1));
            }
            assertThat(seen).allSatisfy(f -> assertThat(f).isBetween(0f, 1f));
            assertThat(threads).as("called on the loading thread").containsOnly(Thread.currentThread());
            assertThat(model.isClosed()).isFalse();
        }
    }

    @Test
    void failingListenerDoesNotBreakTheLoad() {
        ModelOptions o = ModelOptions.builder().progress(f -> { throw new IllegalStateException("listener bug"); }).build();
        try (Model model = Model.load(ItEnv.stories(), o)) {
            assertThat(model.info().vocabularySize()).isEqualTo(512);
        }
    }

    @Test
    void storiesInfoAndMetadata() {
        try (Model model = Model.load(ItEnv.stories())) {
            ModelInfo info = model.info();
            assertThat(info.architecture()).isEqualTo("llama");
            assertThat(info.vocabularySize()).isEqualTo(512);
            assertThat(info.layerCount()).isEqualTo(5);
            assertThat(info.embeddingLength()).isEqualTo(64);
            assertThat(info.headCount()).isEqualTo(8);
            assertThat(info.kvHeadCount()).isEqualTo(4);
            assertThat(info.contextLengthTrained()).isEqualTo(2048);
            assertThat(info.parameterCount()).isEqualTo(292_800L);
            assertThat(info.sizeBytes()).isEqualTo(292_800L * 4); // all F32
            assertThat(info.description()).startsWith("llama");
            assertThat(info.chatTemplate()).isEmpty();
            assertThat(model.metadata()).containsEntry("general.architecture", "llama");
            assertThat(model.metadata()).containsKeys("llama.block_count", "tokenizer.ggml.tokens");
            assertThat((List<?>) model.metadata().get("tokenizer.ggml.tokens")).hasSize(512);
            assertThat(model.gguf().tensors()).hasSize(48);
            assertThat(model.tokenizer().specialTokens().bos()).isEqualTo(1);
            assertThat(model.tokenizer().specialTokens().eos()).isEqualTo(2);
        }
    }
}

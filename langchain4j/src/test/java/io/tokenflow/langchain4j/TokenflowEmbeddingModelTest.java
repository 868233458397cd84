package io.tokenflow.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.embedding.listener.EmbeddingModelErrorContext;
import dev.langchain4j.model.embedding.listener.EmbeddingModelListener;
import dev.langchain4j.model.embedding.listener.EmbeddingModelResponseContext;
import dev.langchain4j.model.embedding.request.EmbeddingRequest;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.store.embedding.CosineSimilarity;
import io.tokenflow.Model;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TokenflowEmbeddingModelTest {
    static Model model;
    static TokenflowEmbeddingModel embeddings;

    @BeforeAll
    static void load() {
        model = Model.loadDefault();
        embeddings = TokenflowEmbeddingModel.builder().model(model).build();
    }

    @AfterAll
    static void close() {
        if (embeddings != null) embeddings.close();
        if (model != null) model.close();
    }

    static double norm(float[] v) {
        double s = 0;
        for (float x : v) s += (double) x * x;
        return Math.sqrt(s);
    }

    @Test
    void vectorsHaveTheModelsWidthAndUnitLength() {
        assertThat(embeddings.dimension()).isEqualTo(model.info().embeddingLength());
        Embedding e = embeddings.embed("The cat sat on the mat.").content();
        assertThat(e.dimension()).isEqualTo(embeddings.dimension());
        assertThat(norm(e.vector())).isCloseTo(1.0, within(1e-4));
        assertThat(embeddings.modelName()).isEqualTo("tokenflow-stories");
    }

    @Test
    void sameTextSameVectorOtherTextOtherVector() {
        Embedding a = embeddings.embed("Lily went to the park.").content();
        Embedding again = embeddings.embed("Lily went to the park.").content();
        Embedding b = embeddings.embed("The big dog ate a red apple.").content();
        assertThat(again.vector()).containsExactly(a.vector());
        assertThat(b.vector()).isNotEqualTo(a.vector());
        assertThat(CosineSimilarity.between(a, a)).isCloseTo(1.0, within(1e-5));
        assertThat(CosineSimilarity.between(a, b)).isLessThan(0.9999);
    }

    @Test
    void embedAllKeepsOrderAndCountsTheTokensEmbedded() {
        List<String> texts = List.of("One day, a boy found a ball.", "The sun was hot.", "Mom made a cake.");
        Response<List<Embedding>> all = embeddings.embedAll(texts.stream().map(TextSegment::from).toList());
        assertThat(all.content()).hasSize(3);
        int tokens = 0;
        for (int i = 0; i < texts.size(); i++) {
            assertThat(all.content().get(i).vector()).containsExactly(embeddings.embed(texts.get(i)).content().vector());
            tokens += model.tokenizer().encode(texts.get(i)).length;
        }
        assertThat(all.tokenUsage().inputTokenCount()).isEqualTo(tokens);
        assertThat(embeddings.embedAll(List.of()).content()).isEmpty();
    }

    @Test
    void badInputsFailClearly() {
        String tooLong = "the cat and the dog ".repeat(400);
        assertThatThrownBy(() -> embeddings.embed(tooLong)).isInstanceOf(io.tokenflow.ContextOverflowException.class)
                .hasMessageContaining("tokens");
        // per-call parameters this model cannot honour are refused (by LangChain4j, from supportedParameters())
        assertThatThrownBy(() -> embeddings.embed(EmbeddingRequest.builder().input("a cat").dimensions(64).build()))
                .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("dimensions");
        assertThatThrownBy(() -> embeddings.embed(EmbeddingRequest.builder()
                .input(ImageContent.from("https://example.invalid/cat.png")).build()))
                .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("IMAGE");
        assertThatThrownBy(() -> embeddings.doEmbed(null)).isInstanceOf(IllegalArgumentException.class);
        assertThat(embeddings.embed("a cat").content().dimension()).isEqualTo(embeddings.dimension());
    }

    @Test
    void listenersSeeEachEmbeddingCall() {
        List<String> events = new CopyOnWriteArrayList<>();
        EmbeddingModelListener listener = new EmbeddingModelListener() {
            @Override
            public void onResponse(EmbeddingModelResponseContext ctx) {
                events.add("response " + ctx.embeddingResponse().embeddings().size() + " " + ctx.embeddingResponse().tokenUsage().inputTokenCount());
            }

            @Override
            public void onError(EmbeddingModelErrorContext ctx) {
                events.add("error " + ctx.error().getClass().getSimpleName());
            }
        };
        try (TokenflowEmbeddingModel observed = TokenflowEmbeddingModel.builder().model(model).contextSize(32)
                .listeners(List.of(listener)).build()) {
            observed.embedAll(List.of(TextSegment.from("a cat"), TextSegment.from("a dog")));
            assertThatThrownBy(() -> observed.embed("the cat and the dog ".repeat(20)))
                    .isInstanceOf(io.tokenflow.ContextOverflowException.class);
            int tokens = model.tokenizer().encode("a cat").length + model.tokenizer().encode("a dog").length;
            assertThat(events).containsExactly("response 2 " + tokens, "error ContextOverflowException");
        }
    }

    @Test
    void closingFreesOnlyWhatTheModelLoaded() {
        TokenflowEmbeddingModel own = TokenflowEmbeddingModel.builder().build();
        assertThat(own.embed("hello").content().dimension()).isEqualTo(own.dimension());
        Model loaded = own.model();
        own.close();
        assertThat(loaded.isClosed()).isTrue();

        TokenflowEmbeddingModel borrowed = TokenflowEmbeddingModel.builder().model(model).build();
        borrowed.close();
        assertThat(model.isClosed()).isFalse();
        assertThat(embeddings.embed("hello").content().dimension()).isEqualTo(model.info().embeddingLength());
    }
}

package io.tokenflow.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.service.TokenStream;
import io.tokenflow.Model;
import io.tokenflow.speculative.Speculation;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The README's LangChain4j example, verbatim between the markers: it must compile and run. */
class ReadmeExampleTest {

    // README:begin-interface
    interface Storyteller {
        @SystemMessage("You tell short stories.")
        String tell(String request);

        @SystemMessage("You tell short stories.")
        TokenStream tellStreaming(String request);
    }
    // README:end-interface

    @Test
    void readmeExampleRuns() throws Exception {
        String story;
        String streamed;
        float[] vector;
        // README:begin-example
        try (Model model = Model.loadDefault();                       // or Model.load(Path.of("model.gguf"))
             TokenflowChatModel chat = TokenflowChatModel.builder()
                     .model(model)
                     .chatTemplate("chatml")                           // the default model has no template of its own
                     .maxTokens(64)
                     .speculation(Speculation.AUTO)                    // lossless: same answer, fewer decode steps
                     .build();
             TokenflowStreamingChatModel streaming = TokenflowStreamingChatModel.builder()
                     .model(model).chatTemplate("chatml").maxTokens(64).build();
             TokenflowEmbeddingModel embeddings = TokenflowEmbeddingModel.builder().model(model).build()) {

            Storyteller teller = AiServices.builder(Storyteller.class)
                    .chatModel(chat)
                    .streamingChatModel(streaming)
                    .build();
            story = teller.tell("Tell me about a cat.");

            CompletableFuture<String> done = new CompletableFuture<>();
            teller.tellStreaming("Tell me about a cat.")
                    .onPartialResponse(System.out::print)
                    .onCompleteResponse(response -> done.complete(response.aiMessage().text()))
                    .onError(done::completeExceptionally)
                    .start();
            streamed = done.get(60, TimeUnit.SECONDS);

            Embedding embedding = embeddings.embed(story).content();  // L2-normalized, model.info().embeddingLength() wide
            vector = embedding.vector();
        }
        // README:end-example
        assertThat(story).isNotBlank();
        assertThat(streamed).isEqualTo(story);
        assertThat(vector).hasSize(128);
    }
}

package io.tokenflow.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.SystemMessage;
import dev.langchain4j.service.TokenStream;
import dev.langchain4j.store.embedding.CosineSimilarity;
import io.tokenflow.Model;
import io.tokenflow.speculative.Speculation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The README's LangChain4j example, verbatim between the markers (less the checks between pause and resume). */
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
            String story = teller.tell("Tell me about a cat.");

            CompletableFuture<String> done = new CompletableFuture<>();
            teller.tellStreaming("Tell me about a cat.")
                    .onPartialResponse(System.out::print)
                    .onCompleteResponse(response -> done.complete(response.aiMessage().text()))
                    .onError(done::completeExceptionally)
                    .start();
            String streamed = done.get(60, TimeUnit.SECONDS);         // the same text: greedy, lossless speculation

            Embedding embedding = embeddings.embed(story).content();  // unit length, model.info().embeddingLength() wide
            // README:pause
            assertThat(story).isNotBlank();
            assertThat(streamed).isEqualTo(story);
            assertThat(embedding.dimension()).isEqualTo(model.info().embeddingLength());
            assertThat(CosineSimilarity.between(embedding, embeddings.embed(streamed).content())).isCloseTo(1.0, within(1e-5));
            // README:resume
        }
        // README:end-example
    }

    /** The README shows exactly the code above (so the snippet there compiles and runs). */
    @Test
    void readmeShowsThisCode() throws IOException {
        String source = Files.readString(Path.of("src/test/java/io/tokenflow/langchain4j/ReadmeExampleTest.java"));
        String readme = Files.readString(Path.of("../README.md"));
        String iface = region(source, "// README:begin-interface\n", "// README:end-interface");
        String body = region(source, "// README:begin-example\n", "// README:end-example")
                .replaceAll("(?s)\n[ \t]*// README:pause\n.*?// README:resume", "");
        assertThat(readme).contains("```java\n" + iface + "\n\n" + body + "\n```");
    }

    /** The lines between two markers, with their common indentation removed. */
    private static String region(String source, String begin, String end) {
        String block = source.substring(source.indexOf(begin) + begin.length(), source.indexOf(end));
        List<String> lines = block.stripTrailing().lines().toList();
        int indent = lines.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
        return lines.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).collect(Collectors.joining("\n"));
    }
}

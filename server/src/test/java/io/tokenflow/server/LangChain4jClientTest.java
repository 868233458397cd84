package io.tokenflow.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** LangChain4j's OpenAI models pointed at the server (with an API key, so its bearer header is exercised too). */
class LangChain4jClientTest {
    private static final String KEY = "lc4j-test-key";
    private static TokenflowServer server;

    @BeforeAll
    static void start() {
        server = TestServers.start(b -> b.apiKey(KEY));
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    void chatAndStreamingChatGiveTheSameGreedyAnswer() throws Exception {
        OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(server.url() + "/v1").apiKey(KEY).modelName("tokenflow")
                .temperature(0.0).maxTokens(32).timeout(Duration.ofSeconds(60)).build();
        ChatResponse r = chat.chat(dev.langchain4j.data.message.UserMessage.from("Once upon a time, there was a girl named Lily"));
        String text = r.aiMessage().text();
        assertThat(text).isNotBlank();
        assertThat(r.tokenUsage().outputTokenCount()).isBetween(1, 32);
        assertThat(r.metadata().modelName()).isEqualTo(TestServers.model().info().name());

        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(server.url() + "/v1").apiKey(KEY)
                .modelName("tokenflow").temperature(0.0).maxTokens(32).timeout(Duration.ofSeconds(60)).build();
        StringBuilder partial = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat("Once upon a time, there was a girl named Lily", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String s) { partial.append(s); }

            @Override
            public void onCompleteResponse(ChatResponse response) { done.complete(response); }

            @Override
            public void onError(Throwable error) { done.completeExceptionally(error); }
        });
        ChatResponse sr = done.get(60, TimeUnit.SECONDS);
        assertThat(partial.toString()).isEqualTo(text);
        assertThat(sr.aiMessage().text()).isEqualTo(text);
    }

    @Test
    void wrongKeyIsRefused() {
        OpenAiChatModel chat = OpenAiChatModel.builder().baseUrl(server.url() + "/v1").apiKey("wrong").modelName("tokenflow")
                .maxTokens(4).maxRetries(0).build();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> chat.chat("hi"))
                .hasMessageContaining("invalid API key");
    }
}

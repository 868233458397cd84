package io.tokenflow.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Streams that wait in the queue get SSE comment lines (the server's way to notice a vanished client before it has
 * tokens to send): real clients must read past them and get the same text as without waiting.
 */
class QueuedStreamClientsTest {
    @Test
    void clientsReadPastTheWaitingComments() throws Exception {
        String prompt = "One day, a boy named Tom went to the park";
        try (TokenflowServer s = TestServers.start(b -> b.parallel(1).queue(4).contextSize(4096))) {
            OpenAIClient openai = OpenAIOkHttpClient.builder().baseUrl(s.url() + "/v1").apiKey("x").maxRetries(0).build();
            // each client once without waiting (this also loads their classes, so the queued runs below start at once)
            String expected = openAiStream(openai, prompt);
            assertThat(expected).isNotEmpty();
            assertThat(lc4jStream(s, prompt).get(60, TimeUnit.SECONDS)).isEqualTo(expected);

            // occupy the only slot with a long stream on a socket of our own
            Socket hog = new Socket("127.0.0.1", s.port());
            byte[] body = TestServers.chatBody("Once upon a time", 3900, true, "\"ignore_eos\": true").getBytes(StandardCharsets.UTF_8);
            OutputStream out = hog.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(body);
            out.flush();
            long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (TestServers.metric(TestServers.get(s, "/metrics").body(), "llamacpp:requests_processing") != 1) {
                assertThat(System.nanoTime()).isLessThan(end);
                Thread.sleep(10);
            }

            CompletableFuture<String> viaOpenAi = CompletableFuture.supplyAsync(() -> openAiStream(openai, prompt));
            CompletableFuture<String> viaLc4j = lc4jStream(s, prompt);
            CompletableFuture<TestServers.SseResult> raw = CompletableFuture.supplyAsync(
                    () -> TestServers.stream(s, "/v1/chat/completions", TestServers.chatBody(prompt, 24, true, null)));
            while (TestServers.metric(TestServers.get(s, "/metrics").body(), "llamacpp:requests_deferred") != 3) {
                assertThat(System.nanoTime()).isLessThan(end);
                Thread.sleep(10);
            }
            Thread.sleep(2500); // at least one ": waiting" comment reaches each of them
            hog.close();         // the slot frees; the queued streams run

            assertThat(viaOpenAi.get(60, TimeUnit.SECONDS)).isEqualTo(expected);
            assertThat(viaLc4j.get(60, TimeUnit.SECONDS)).isEqualTo(expected);
            TestServers.SseResult r = raw.get(60, TimeUnit.SECONDS);
            assertThat(r.rawLines()).as("the wait was long enough for a comment").contains(": waiting");
            assertThat(r.text()).isEqualTo(expected);
            openai.close();
        }
    }

    private static String openAiStream(OpenAIClient openai, String prompt) {
        StringBuilder sb = new StringBuilder();
        try (StreamResponse<ChatCompletionChunk> st = openai.chat().completions().createStreaming(ChatCompletionCreateParams.builder()
                .model("m").addUserMessage(prompt).maxCompletionTokens(24).temperature(0.0).build())) {
            st.stream().forEach(c -> c.choices().forEach(ch -> ch.delta().content().ifPresent(sb::append)));
        }
        return sb.toString();
    }

    /** LangChain4j's streaming model: completes with the concatenated partial responses. */
    private static CompletableFuture<String> lc4jStream(TokenflowServer s, String prompt) {
        OpenAiStreamingChatModel lc4j = OpenAiStreamingChatModel.builder().baseUrl(s.url() + "/v1").apiKey("x").modelName("m")
                .temperature(0.0).maxTokens(24).timeout(Duration.ofSeconds(60)).build();
        StringBuilder partial = new StringBuilder();
        CompletableFuture<String> done = new CompletableFuture<>();
        lc4j.chat(prompt, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String p) { partial.append(p); }

            @Override
            public void onCompleteResponse(ChatResponse r) { done.complete(partial.toString()); }

            @Override
            public void onError(Throwable t) { done.completeExceptionally(t); }
        });
        return done;
    }
}

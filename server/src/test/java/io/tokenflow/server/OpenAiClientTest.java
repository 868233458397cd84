package io.tokenflow.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.models.Model;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The official openai-java client against the server: what an OpenAI user would run, unchanged but for the URL. */
class OpenAiClientTest {
    private static TokenflowServer server;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        server = TestServers.start(b -> b);
        client = OpenAIOkHttpClient.builder().baseUrl(server.url() + "/v1").apiKey("not-checked").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        if (client != null) client.close();
        if (server != null) server.close();
    }

    private static ChatCompletionCreateParams.Builder greedy(String prompt, int maxTokens) {
        return ChatCompletionCreateParams.builder().model("tokenflow").addUserMessage(prompt).maxCompletionTokens(maxTokens)
                .temperature(0.0);
    }

    @Test
    void chatCompletionAndStreamAgree() {
        ChatCompletion c = client.chat().completions().create(greedy("Once upon a time, there was a little dog", 40).build());
        String text = c.choices().get(0).message().content().orElseThrow();
        assertThat(text).isNotBlank();
        assertThat(c.model()).isEqualTo(server.options().modelId() == null ? TestServers.model().info().name() : server.options().modelId());
        assertThat(c.usage().orElseThrow().completionTokens()).isBetween(1L, 40L);
        assertThat(c.choices().get(0).finishReason().asString()).isIn("stop", "length");
        Map<String, JsonValue> extra = c._additionalProperties();
        assertThat(extra).containsKey("tokenflow");

        StringBuilder streamed = new StringBuilder();
        Set<String> ids = new HashSet<>();
        List<String> finishReasons = new ArrayList<>();
        boolean[] sawRole = {false};
        long[] usageTokens = {-1};
        int[] chunksWithTokenflow = {0};
        try (StreamResponse<ChatCompletionChunk> s = client.chat().completions().createStreaming(greedy("Once upon a time, there was a little dog", 40)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            s.stream().forEach(chunk -> {
                ids.add(chunk.id());
                if (chunk._additionalProperties().containsKey("tokenflow")) chunksWithTokenflow[0]++;
                chunk.usage().ifPresent(u -> usageTokens[0] = u.completionTokens());
                for (ChatCompletionChunk.Choice ch : chunk.choices()) {
                    if (ch.delta().role().isPresent()) sawRole[0] = true;
                    ch.delta().content().ifPresent(streamed::append);
                    ch.finishReason().ifPresent(f -> finishReasons.add(f.asString()));
                }
            });
        }
        assertThat(streamed.toString()).isEqualTo(text); // greedy: the stream is the same text
        assertThat(ids).hasSize(1);
        assertThat(sawRole[0]).isTrue();
        assertThat(finishReasons).containsExactly(c.choices().get(0).finishReason().asString());
        assertThat(usageTokens[0]).isEqualTo(c.usage().orElseThrow().completionTokens());
        assertThat(chunksWithTokenflow[0]).isGreaterThanOrEqualTo(1);
    }

    @Test
    void textCompletion() {
        Completion c = client.completions().create(CompletionCreateParams.builder().model("tokenflow").prompt("Once upon a time")
                .maxTokens(16).temperature(0.0).build());
        assertThat(c.choices()).hasSize(1);
        assertThat(c.choices().get(0).text()).isNotEmpty();
        assertThat(c.usage().orElseThrow().completionTokens()).isBetween(1L, 16L);
        // same request again: greedy, so the same text (and the slot's cache now holds the prompt)
        Completion again = client.completions().create(CompletionCreateParams.builder().model("tokenflow").prompt("Once upon a time")
                .maxTokens(16).temperature(0.0).build());
        assertThat(again.choices().get(0).text()).isEqualTo(c.choices().get(0).text());
        assertThat(again.id()).isNotEqualTo(c.id());
    }

    @Test
    void embeddings() {
        CreateEmbeddingResponse r = client.embeddings().create(EmbeddingCreateParams.builder().model("tokenflow")
                .inputOfArrayOfStrings(List.of("The cat sat on the mat.", "A dog ran in the park.", "The cat sat on the mat.")).build());
        assertThat(r.data()).hasSize(3);
        int dim = TestServers.model().info().embeddingLength();
        List<Float> a = r.data().get(0).embedding();
        List<Float> b = r.data().get(1).embedding();
        List<Float> c = r.data().get(2).embedding();
        assertThat(a).hasSize(dim);
        double norm = 0;
        for (float x : a) norm += x * x;
        assertThat(Math.sqrt(norm)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-3));
        assertThat(c).isEqualTo(a);     // identical input, identical vector
        assertThat(b).isNotEqualTo(a);
        assertThat(r.usage().promptTokens()).isPositive();
    }

    @Test
    void models() {
        List<Model> models = client.models().list().data();
        assertThat(models).hasSize(1);
        assertThat(models.get(0).id()).isEqualTo(TestServers.model().info().name());
        assertThat(models.get(0).ownedBy()).isEqualTo("tokenflow");
    }
}

package io.tokenflow.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bad input is a 400 with OpenAI's error body, never a 500 and never a stuck slot; auth is a 401. */
class ErrorsTest {
    private static final String KEY = "secret-key";
    private static final String AUTH = "Bearer " + KEY;
    private static TokenflowServer server;

    @BeforeAll
    static void start() {
        server = TestServers.start(b -> b.apiKey(KEY).parallel(2).contextSize(1024));
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    private static TestServers.Response chat(String body) {
        return TestServers.post(server, "/v1/chat/completions", body, "Authorization", AUTH);
    }

    private static void assertError(TestServers.Response r, int status, String param) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        JsonNode err = r.json().path("error");
        assertThat(err.path("message").asText()).isNotBlank();
        assertThat(err.has("type")).isTrue();
        assertThat(err.has("param")).isTrue();
        assertThat(err.has("code")).isTrue();
        if (status == 400) assertThat(err.path("type").asText()).isEqualTo("invalid_request_error");
        if (param != null) assertThat(err.path("param").asText()).isEqualTo(param);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "malformed JSON|{\"messages\": [|",
        "not an object|[1, 2, 3]|",
        "empty body|''|",
        "trailing garbage|{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]} x|",
        "messages missing|{\"model\":\"m\"}|messages",
        "messages wrong type|{\"messages\":\"hi\"}|messages",
        "messages empty|{\"messages\":[]}|messages",
        "role unknown|{\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}|messages[0].role",
        "content wrong type|{\"messages\":[{\"role\":\"user\",\"content\":5}]}|messages[0].content",
        "max_tokens zero|{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":0}|max_tokens",
        "max_tokens string|{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":\"ten\"}|max_tokens",
        "max_tokens beyond context|{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":100000}|max_tokens",
        "max_tokens fraction|{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2.5}|max_tokens",
        "temperature too high|{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":3}|temperature",
        "temperature negative|{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":-0.1}|temperature",
        "temperature string|{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":\"hot\"}|temperature",
        "top_p zero|{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"top_p\":0}|top_p",
        "top_p above one|{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"top_p\":1.5}|top_p",
        "top_logprobs 21|{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"logprobs\":true,\"top_logprobs\":21}|top_logprobs",
        "top_logprobs without logprobs|{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"top_logprobs\":2}|top_logprobs",
        "n two|{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"n\":2}|n",
        "stream not boolean|{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stream\":\"yes\"}|stream",
        "stop wrong type|{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stop\":7}|stop",
        "stop empty string|{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"stop\":[\"\"]}|stop",
        "response_format unknown|{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"response_format\":{\"type\":\"yaml\"}}|response_format",
        "speculation unknown|{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"speculation\":\"telepathy\"}|speculation",
        "kv_compression malformed|{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"kv_compression\":\"windowkv:abc\"}|kv_compression",
        "sparse unknown|{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"sparse_attention\":\"fuzzy:3\"}|sparse_attention",
        "presence_penalty non-zero|{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"presence_penalty\":0.5}|presence_penalty",
        "tools|{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"tools\":[{\"type\":\"function\"}]}|tools",
        "logprobs with speculation|{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"logprobs\":true,\"speculation\":\"ngram\"}|logprobs",
    })
    void badChatRequestsAre400(String name, String body, String param) {
        assertError(chat(body), 400, param == null || param.isEmpty() ? null : param);
    }

    @Test
    void badCompletionsEmbeddingsAndTokenIdsAre400() {
        assertError(TestServers.post(server, "/v1/completions", "{\"prompt\": 12}", "Authorization", AUTH), 400, "prompt");
        assertError(TestServers.post(server, "/v1/completions", "{\"prompt\": [1, -4]}", "Authorization", AUTH), 400, "prompt[1]");
        assertError(TestServers.post(server, "/v1/completions", "{\"prompt\": \"hi\", \"logprobs\": 50}", "Authorization", AUTH), 400, "logprobs");
        assertError(TestServers.post(server, "/v1/embeddings", "{\"input\": \"\"}", "Authorization", AUTH), 400, "input");
        assertError(TestServers.post(server, "/v1/embeddings", "{\"input\": {\"a\": 1}}", "Authorization", AUTH), 400, "input");
        int vocab = TestServers.model().tokenizer().vocabularySize();
        assertError(TestServers.post(server, "/detokenize", "{\"tokens\": [1, " + vocab + "]}", "Authorization", AUTH), 400, "tokens[1]");
        assertError(TestServers.post(server, "/detokenize", "{\"tokens\": \"abc\"}", "Authorization", AUTH), 400, "tokens");
        assertError(TestServers.post(server, "/tokenize", "{\"content\": 3}", "Authorization", AUTH), 400, "content");
    }

    @Test
    void unknownFieldsAreIgnoredAndNoSlotIsLeftBusy() {
        TestServers.Response r = chat("{\"model\":\"whatever\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],"
                + "\"max_tokens\":4,\"temperature\":0,\"user\":\"u1\",\"metadata\":{\"x\":[1,2]},\"mirostat\":0,\"store\":false}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("choices").get(0).path("message").path("content").isTextual()).isTrue();
        String metrics = TestServers.get(server, "/metrics", "Authorization", AUTH).body();
        assertThat(TestServers.metric(metrics, "llamacpp:requests_processing")).isZero();
        assertThat(TestServers.metric(metrics, "tokenflow:requests_failed_total")).isZero();
    }

    @Test
    void missingOrWrongKeyIs401AndHealthStaysOpen() {
        assertError(TestServers.post(server, "/v1/chat/completions", TestServers.chatBody("hi", 2, false, null)), 401, null);
        assertError(TestServers.post(server, "/v1/chat/completions", TestServers.chatBody("hi", 2, false, null),
                "Authorization", "Bearer nope"), 401, null);
        assertError(TestServers.get(server, "/v1/models"), 401, null);
        assertError(TestServers.post(server, "/tokenize", "{\"content\":\"hi\"}"), 401, null);
        assertError(TestServers.get(server, "/metrics"), 401, null);
        assertThat(TestServers.get(server, "/health").status()).isEqualTo(200);
        assertThat(TestServers.get(server, "/").status()).isEqualTo(200);
        assertThat(TestServers.get(server, "/v1/models", "Authorization", AUTH).status()).isEqualTo(200);
    }

    @Test
    void unknownRoutesAndModelsAre404WithTheErrorBody() {
        TestServers.Response r = TestServers.post(server, "/v1/no-such-route", "{}", "Authorization", AUTH);
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.json().path("error").path("code").asText()).isEqualTo("unknown_url");
        TestServers.Response m = TestServers.get(server, "/v1/models/no-such-model", "Authorization", AUTH);
        assertThat(m.status()).isEqualTo(404);
        assertThat(m.json().path("error").path("code").asText()).isEqualTo("model_not_found");
        TestServers.Response ok = TestServers.get(server, "/v1/models/" + TestServers.model().info().name(), "Authorization", AUTH);
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.json().path("id").asText()).isEqualTo(TestServers.model().info().name());
    }

    @Test
    void tokenizeDetokenizeRoundTrip() {
        String text = "Once upon a time, there was a little cat.";
        TestServers.Response t = TestServers.post(server, "/tokenize", "{\"content\": \"" + text + "\"}", "Authorization", AUTH);
        assertThat(t.status()).isEqualTo(200);
        JsonNode tokens = t.json().path("tokens");
        assertThat(tokens.size()).isGreaterThan(3);
        TestServers.Response d = TestServers.post(server, "/detokenize", "{\"tokens\": " + tokens + "}", "Authorization", AUTH);
        assertThat(d.status()).isEqualTo(200);
        assertThat(d.json().path("content").asText()).isEqualTo(text);
        TestServers.Response withBos = TestServers.post(server, "/tokenize", "{\"content\": \"" + text + "\", \"add_special\": true}",
                "Authorization", AUTH);
        assertThat(withBos.json().path("tokens").size()).isGreaterThanOrEqualTo(tokens.size());
    }

    @Test
    void logprobsInBothShapes() {
        TestServers.Response r = chat("{\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":5,"
                + "\"temperature\":0,\"logprobs\":true,\"top_logprobs\":3}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode content = r.json().path("choices").get(0).path("logprobs").path("content");
        assertThat(content.size()).isBetween(1, 5);
        for (JsonNode e : content) {
            assertThat(e.path("logprob").asDouble()).isLessThanOrEqualTo(0.0);
            assertThat(e.path("bytes").isArray()).isTrue();
            assertThat(e.path("top_logprobs").size()).isEqualTo(3);
            // greedy: the chosen token is the most likely one
            assertThat(e.path("logprob").asDouble()).isCloseTo(e.path("top_logprobs").get(0).path("logprob").asDouble(),
                    org.assertj.core.data.Offset.offset(1e-5));
        }
        TestServers.Response c = TestServers.post(server, "/v1/completions", "{\"prompt\":\"Once upon a time\",\"max_tokens\":5,"
                + "\"temperature\":0,\"logprobs\":2}", "Authorization", AUTH);
        assertThat(c.status()).as(c.body()).isEqualTo(200);
        JsonNode lp = c.json().path("choices").get(0).path("logprobs");
        assertThat(lp.path("tokens").size()).isEqualTo(lp.path("token_logprobs").size());
        assertThat(lp.path("top_logprobs").get(0).size()).isBetween(1, 2);
        assertThat(lp.path("text_offset").get(0).asInt()).isZero();
    }

    @Test
    void jsonObjectIsShapeChecked() {
        TestServers.Response r = chat("{\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":4,"
                + "\"temperature\":0,\"response_format\":{\"type\":\"json_object\"}}");
        assertThat(r.status()).isEqualTo(200);
        // the story model writes prose, not JSON: the flag says so
        assertThat(r.json().path("tokenflow").path("json_valid").asBoolean(true)).isFalse();
    }
}

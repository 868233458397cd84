package io.tokenflow.langchain4j;

import static io.tokenflow.langchain4j.Stories.MAX_TOKENS;
import static io.tokenflow.langchain4j.Stories.SYSTEM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.listener.ChatModelErrorContext;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import io.tokenflow.GenerationResult;
import io.tokenflow.Model;
import io.tokenflow.StopReason;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TokenflowChatModelTest {
    static Model model;
    static TokenflowChatModel chatModel;

    interface Storyteller {
        @dev.langchain4j.service.SystemMessage(SYSTEM)
        String tell(@dev.langchain4j.service.UserMessage String request);
    }

    static final class Clock {
        @Tool("the current time")
        String now() { return "noon"; }
    }

    @BeforeAll
    static void load() {
        model = Model.loadDefault();
        chatModel = Stories.chatModel(model);
    }

    @AfterAll
    static void close() {
        if (chatModel != null) chatModel.close();
        if (model != null) model.close();
    }

    @Test
    void aiServiceAnswerIsWhatTheSessionGeneratesForTheTemplatedPrompt() {
        Storyteller teller = AiServices.builder(Storyteller.class).chatModel(chatModel).build();
        String user = "Tell me about a cat.";
        GenerationResult expected = Stories.reference(model, user, MAX_TOKENS);
        assertThat(expected.text()).isNotBlank();
        assertThat(teller.tell(user)).isEqualTo(expected.text());
    }

    @Test
    void responseCarriesUsageFinishReasonAndTokenflowMetadata() {
        String user = "Tell me about a dog.";
        ChatResponse r = chatModel.chat(ChatRequest.builder().messages(SystemMessage.from(SYSTEM), UserMessage.from(user)).build());
        GenerationResult expected = Stories.reference(model, user, MAX_TOKENS);
        assertThat(r.aiMessage().text()).isEqualTo(expected.text());
        assertThat(r.modelName()).isEqualTo("tokenflow-stories");
        assertThat(r.tokenUsage().inputTokenCount()).isEqualTo(model.tokenizer().encode(Stories.prompt(model, user)).length);
        assertThat(r.tokenUsage().outputTokenCount()).isEqualTo(expected.tokens().length);
        assertThat(r.tokenUsage().totalTokenCount()).isEqualTo(r.tokenUsage().inputTokenCount() + expected.tokens().length);
        assertThat(r.finishReason()).isEqualTo(expected.stopReason() == StopReason.MAX_TOKENS ? FinishReason.LENGTH : FinishReason.STOP);
        assertThat(r.metadata()).isInstanceOf(TokenflowChatResponseMetadata.class);
        TokenflowChatResponseMetadata m = (TokenflowChatResponseMetadata) r.metadata();
        assertThat(m.stopReason()).isEqualTo(expected.stopReason());
        assertThat(m.stats().generatedTokens()).isEqualTo(expected.tokens().length);
    }

    @Test
    void maxOutputTokensOfTheRequestOverridesTheDefaultAndEndsWithLength() {
        ChatResponse r = chatModel.chat(ChatRequest.builder()
                .messages(SystemMessage.from(SYSTEM), UserMessage.from("Tell me about a bird."))
                .parameters(ChatRequestParameters.builder().maxOutputTokens(5).build())
                .build());
        assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(r.tokenUsage().outputTokenCount()).isEqualTo(5);
        GenerationResult full = Stories.reference(model, "Tell me about a bird.", MAX_TOKENS);
        assertThat(full.text()).startsWith(r.aiMessage().text());
        assertThat(r.aiMessage().text()).isNotEmpty().isNotEqualTo(full.text());
    }

    @Test
    void stopSequenceEndsTheAnswerBeforeIt() {
        String user = "Tell me about a fox.";
        String full = Stories.reference(model, user, MAX_TOKENS).text();
        String stop = secondWord(full);
        ChatResponse r = chatModel.chat(ChatRequest.builder()
                .messages(SystemMessage.from(SYSTEM), UserMessage.from(user))
                .parameters(ChatRequestParameters.builder().stopSequences(stop).build())
                .build());
        assertThat(r.aiMessage().text()).isEqualTo(full.substring(0, full.indexOf(stop)));
        assertThat(r.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(((TokenflowChatResponseMetadata) r.metadata()).stopReason()).isEqualTo(StopReason.STOP_STRING);
    }

    /** The second whitespace-separated word of {@code text}, which starts after index 0. */
    static String secondWord(String text) {
        String[] words = text.strip().split("\\s+");
        assertThat(words.length).as("answer has two words: %s", text).isGreaterThan(1);
        assertThat(text.indexOf(words[1])).isPositive();
        return words[1];
    }

    @Test
    void builderDefaultsAreTheDefaultRequestParametersAndRequestsOverrideThem() {
        try (TokenflowChatModel m = TokenflowChatModel.builder().model(model).chatTemplate("chatml").maxTokens(7)
                .temperature(0.0).topK(20).seed(42L).build()) {
            TokenflowChatRequestParameters d = m.defaultRequestParameters();
            assertThat(d.maxOutputTokens()).isEqualTo(7);
            assertThat(d.topK()).isEqualTo(20);
            assertThat(d.seed()).isEqualTo(42L);
            assertThat(d.modelName()).isEqualTo("tokenflow-stories");
            assertThat(m.provider()).isEqualTo(ModelProvider.OTHER);
            assertThat(m.supportedCapabilities()).isEmpty();
            ChatResponse r = m.chat(UserMessage.from("Tell me about a frog."));
            assertThat(r.tokenUsage().outputTokenCount()).isEqualTo(7);
            ChatResponse longer = m.chat(ChatRequest.builder().messages(UserMessage.from("Tell me about a frog."))
                    .parameters(TokenflowChatRequestParameters.builder().maxOutputTokens(9).build()).build());
            assertThat(longer.tokenUsage().outputTokenCount()).isEqualTo(9);
            assertThat(longer.aiMessage().text()).startsWith(r.aiMessage().text());
        }
    }

    @Test
    void sampledAnswersRepeatWithTheSameSeed() {
        TokenflowChatRequestParameters sampled = TokenflowChatRequestParameters.builder()
                .temperature(1.0).topK(0).topP(1.0).minP(0.0).seed(7L).build();
        ChatRequest request = ChatRequest.builder().messages(UserMessage.from("Tell me about a whale.")).parameters(sampled).build();
        String first = chatModel.chat(request).aiMessage().text();
        assertThat(chatModel.chat(request).aiMessage().text()).isEqualTo(first);
        ChatRequest otherSeed = ChatRequest.builder().messages(UserMessage.from("Tell me about a whale."))
                .parameters(sampled.overrideWith(TokenflowChatRequestParameters.builder().seed(8L).build())).build();
        assertThat(chatModel.chat(otherSeed).aiMessage().text()).isNotEqualTo(first);
    }

    @Test
    void concurrentCallsEachGetTheirSequentialAnswer() throws Exception {
        List<String> users = List.of("Tell me about a king.", "Tell me about a tree.", "Tell me about the sea.",
                "Tell me about a ball.");
        List<String> sequential = new ArrayList<>();
        for (String u : users) sequential.add(Stories.reference(model, u, MAX_TOKENS).text());
        Storyteller teller = AiServices.builder(Storyteller.class).chatModel(chatModel).build();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> answers = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (String u : users) answers.add(pool.submit(() -> teller.tell(u)));
            }
            for (int i = 0; i < answers.size(); i++) {
                assertThat(answers.get(i).get(120, TimeUnit.SECONDS)).as("answer %d", i).isEqualTo(sequential.get(i % users.size()));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void laterTurnsOfAConversationReuseTheCachedPrefix() {
        List<ChatResponse> seen = new CopyOnWriteArrayList<>();
        ChatModelListener listener = new ChatModelListener() {
            @Override
            public void onResponse(ChatModelResponseContext ctx) { seen.add(ctx.chatResponse()); }
        };
        try (TokenflowChatModel observed = TokenflowChatModel.builder().model(model).chatTemplate("chatml")
                .maxTokens(12).listeners(List.of(listener)).build()) {
            Storyteller teller = AiServices.builder(Storyteller.class).chatModel(observed)
                    .chatMemory(MessageWindowChatMemory.withMaxMessages(10)).build();
            teller.tell("Tell me about a cat.");
            teller.tell("And then?");
            assertThat(seen).hasSize(2);
            TokenflowChatResponseMetadata second = (TokenflowChatResponseMetadata) seen.get(1).metadata();
            // the second prompt starts with the first prompt and answer, which the session's cache still holds
            assertThat(second.stats().cachedPromptTokens()).isGreaterThan(seen.get(0).tokenUsage().inputTokenCount() / 2);
        }
    }

    @Test
    void listenersSeeRequestsResponsesAndErrors() {
        List<String> events = new CopyOnWriteArrayList<>();
        ChatModelListener listener = new ChatModelListener() {
            @Override
            public void onRequest(ChatModelRequestContext ctx) {
                events.add("request " + ctx.chatRequest().parameters().maxOutputTokens());
            }

            @Override
            public void onResponse(ChatModelResponseContext ctx) {
                events.add("response " + ctx.chatResponse().finishReason());
            }

            @Override
            public void onError(ChatModelErrorContext ctx) {
                events.add("error " + ctx.error().getClass().getSimpleName());
            }
        };
        try (TokenflowChatModel m = TokenflowChatModel.builder().model(model).chatTemplate("chatml").maxTokens(3)
                .listeners(List.of(listener)).build()) {
            m.chat("Tell me about a hat.");
            assertThatThrownBy(() -> m.chat(ChatRequest.builder().messages(UserMessage.from("hi"))
                    .parameters(ChatRequestParameters.builder().frequencyPenalty(0.5).build()).build()))
                    .isInstanceOf(UnsupportedFeatureException.class);
        }
        assertThat(events).containsExactly("request 3", "response LENGTH", "request 3", "error UnsupportedFeatureException");
    }

    @Test
    void toolsAreRefusedClearly() {
        Storyteller withTools = AiServices.builder(Storyteller.class).chatModel(chatModel).tools(new Clock()).build();
        assertThatThrownBy(() -> withTools.tell("What time is it?"))
                .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("tools");
        assertThatThrownBy(() -> chatModel.chat(UserMessage.from("hi"),
                AiMessage.from(List.of(dev.langchain4j.agent.tool.ToolExecutionRequest.builder().id("1").name("now").arguments("{}").build())),
                ToolExecutionResultMessage.from("1", "now", "noon")))
                .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("tool");
        assertThatThrownBy(() -> chatModel.chat(UserMessage.from("hi"), ToolExecutionResultMessage.from("1", "now", "noon")))
                .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("tool execution result");
    }

    @Test
    void badRequestsFailWithClearExceptions() {
        assertThatThrownBy(() -> chatModel.chat(ChatRequest.builder().messages(List.of()).build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("messages");
        assertThatThrownBy(() -> chatModel.doChat(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> chatModel.chat(UserMessage.from(TextContent.from("look"), ImageContent.from("https://example.invalid/x.png"))))
                .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("text only");
        assertThatThrownBy(() -> chatModel.chat(ChatRequest.builder().messages(UserMessage.from("hi"))
                .responseFormat(ResponseFormat.JSON).build()))
                .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("JSON");
        assertThatThrownBy(() -> chatModel.chat(ChatRequest.builder().messages(UserMessage.from("hi")).modelName("gpt-4o").build()))
                .isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("gpt-4o");
        assertThatThrownBy(() -> chatModel.chat(ChatRequest.builder().messages(UserMessage.from("hi")).temperature(-1.0).build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("temperature");
        assertThatThrownBy(() -> chatModel.chat(ChatRequest.builder().messages(UserMessage.from("hi")).maxOutputTokens(0).build()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxTokens");
        // the model still answers after refusals
        assertThat(chatModel.chat("Tell me about a cat.")).isNotEmpty();
    }

    @Test
    void badBuilderSettingsFailAtBuild() {
        assertThatThrownBy(() -> TokenflowChatModel.builder().model(model).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no chat template");
        assertThatThrownBy(() -> TokenflowChatModel.builder().model(model).chatTemplate("no-such-template").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no-such-template");
        assertThatThrownBy(() -> TokenflowChatModel.builder().model(model).modelPath(Path.of("x.gguf")).chatTemplate("chatml").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not both");
        assertThatThrownBy(() -> TokenflowChatModel.builder().model(model).chatTemplate("chatml").topP(2.0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("topP");
        assertThatThrownBy(() -> TokenflowChatModel.builder().modelPath(Path.of("missing.gguf")).chatTemplate("chatml").build())
                .isInstanceOf(io.tokenflow.ModelLoadException.class);
    }

    @Test
    void closingFreesOnlyWhatTheModelLoaded() {
        TokenflowChatModel own = TokenflowChatModel.builder().chatTemplate("chatml").maxTokens(4).build();
        Model loaded = own.model();
        assertThat(own.chat("Tell me about a cat.")).isNotEmpty();
        own.close();
        assertThat(loaded.isClosed()).isTrue();
        assertThatThrownBy(() -> own.chat("again")).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        own.close(); // twice is harmless

        TokenflowChatModel borrowed = Stories.chatModel(model);
        borrowed.close();
        assertThat(model.isClosed()).isFalse();
        assertThat(chatModel.chat("Tell me about a cat.")).isNotEmpty();
    }
}

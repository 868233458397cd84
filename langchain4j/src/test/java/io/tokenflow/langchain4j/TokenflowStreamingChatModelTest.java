package io.tokenflow.langchain4j;

import static io.tokenflow.langchain4j.Stories.MAX_TOKENS;
import static io.tokenflow.langchain4j.Stories.SYSTEM;
import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.agent.tool.Tool;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.TokenStream;
import io.tokenflow.GenerationResult;
import io.tokenflow.Model;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TokenflowStreamingChatModelTest {
    static Model model;
    static TokenflowStreamingChatModel streamingModel;

    interface StreamingStoryteller {
        @dev.langchain4j.service.SystemMessage(SYSTEM)
        TokenStream tell(@dev.langchain4j.service.UserMessage String request);
    }

    static final class Clock {
        @Tool("the current time")
        String now() { return "noon"; }
    }

    /** Everything a handler heard. */
    static class Recorder implements StreamingChatResponseHandler {
        final List<String> partials = new CopyOnWriteArrayList<>();
        final List<ChatResponse> completes = new CopyOnWriteArrayList<>();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final List<String> threads = new CopyOnWriteArrayList<>();
        final CountDownLatch done = new CountDownLatch(1);

        @Override
        public void onPartialResponse(String partialResponse) {
            partials.add(partialResponse);
            threads.add(Thread.currentThread().getName());
        }

        @Override
        public void onCompleteResponse(ChatResponse completeResponse) {
            completes.add(completeResponse);
            done.countDown();
        }

        @Override
        public void onError(Throwable error) {
            errors.add(error);
            done.countDown();
        }

        Recorder await() throws InterruptedException {
            assertThat(done.await(120, TimeUnit.SECONDS)).as("handler finished").isTrue();
            return this;
        }
    }

    @BeforeAll
    static void load() {
        model = Model.loadDefault();
        streamingModel = Stories.streamingModel(model);
    }

    @AfterAll
    static void close() {
        if (streamingModel != null) streamingModel.close();
        if (model != null) model.close();
    }

    @Test
    void tokenStreamOfAnAiServiceAddsUpToTheNonStreamingAnswer() throws Exception {
        String user = "Tell me about a cat.";
        String expected;
        try (TokenflowChatModel chatModel = Stories.chatModel(model)) {
            expected = chatModel.chat(ChatRequest.builder().messages(SystemMessage.from(SYSTEM), UserMessage.from(user)).build())
                    .aiMessage().text();
        }
        GenerationResult reference = Stories.reference(model, user, MAX_TOKENS);
        assertThat(expected).isEqualTo(reference.text());

        StreamingStoryteller teller = AiServices.builder(StreamingStoryteller.class).streamingChatModel(streamingModel).build();
        StringBuilder streamed = new StringBuilder();
        AtomicInteger partials = new AtomicInteger();
        AtomicInteger completions = new AtomicInteger();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        teller.tell(user)
                .onPartialResponse(text -> {
                    streamed.append(text);
                    partials.incrementAndGet();
                })
                .onCompleteResponse(r -> {
                    completions.incrementAndGet();
                    done.complete(r);
                })
                .onError(done::completeExceptionally)
                .start();
        ChatResponse r = done.get(120, TimeUnit.SECONDS);
        assertThat(streamed.toString()).isEqualTo(expected);
        assertThat(r.aiMessage().text()).isEqualTo(expected);
        assertThat(partials.get()).isGreaterThan(1);
        assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(r.tokenUsage().outputTokenCount()).isEqualTo(reference.tokens().length);
        assertThat(r.tokenUsage().inputTokenCount()).isEqualTo(model.tokenizer().encode(Stories.prompt(model, user)).length);
        Thread.sleep(200); // a second completion would come right after the first
        assertThat(completions.get()).isEqualTo(1);
    }

    @Test
    void chatReturnsAtOnceAndStreamsOnTheModelsThread() throws Exception {
        Recorder rec = new Recorder();
        streamingModel.chat(ChatRequest.builder().messages(UserMessage.from("Tell me about a dog.")).build(), rec);
        rec.await();
        assertThat(rec.errors).isEmpty();
        assertThat(rec.completes).hasSize(1);
        assertThat(String.join("", rec.partials)).isEqualTo(rec.completes.get(0).aiMessage().text());
        assertThat(rec.threads).allMatch(t -> t.startsWith("tokenflow-langchain4j-stream-"));
    }

    @Test
    void stopSequencesAndMaxTokensApplyToStreams() throws Exception {
        Recorder rec = new Recorder();
        streamingModel.chat(ChatRequest.builder().messages(UserMessage.from("Tell me about a bird."))
                .parameters(ChatRequestParameters.builder().maxOutputTokens(6).build()).build(), rec);
        ChatResponse r = rec.await().completes.get(0);
        assertThat(r.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(r.tokenUsage().outputTokenCount()).isEqualTo(6);

        String user = "Tell me about a fox.";
        String full = Stories.reference(model, user, MAX_TOKENS).text();
        String stop = TokenflowChatModelTest.secondWord(full);
        Recorder stopped = new Recorder();
        streamingModel.chat(ChatRequest.builder().messages(SystemMessage.from(SYSTEM), UserMessage.from(user))
                .parameters(ChatRequestParameters.builder().stopSequences(stop).build()).build(), stopped);
        ChatResponse s = stopped.await().completes.get(0);
        assertThat(s.finishReason()).isEqualTo(FinishReason.STOP);
        assertThat(s.aiMessage().text()).isEqualTo(full.substring(0, full.indexOf(stop)));
        assertThat(String.join("", stopped.partials)).isEqualTo(s.aiMessage().text());
    }

    @Test
    void cancellingThroughTheHandleStopsTheGenerationAndTheNextRequestIsUnaffected() throws Exception {
        ExecutorService worker = Executors.newSingleThreadExecutor();
        try (TokenflowStreamingChatModel m = TokenflowStreamingChatModel.builder().model(model).chatTemplate("chatml")
                .maxTokens(200).executor(worker).build()) {
            List<String> partials = new CopyOnWriteArrayList<>();
            AtomicInteger ends = new AtomicInteger();
            AtomicBoolean cancelledSeen = new AtomicBoolean();
            String user = "Tell me about a ship.";
            m.chat(ChatRequest.builder().messages(SystemMessage.from(SYSTEM), UserMessage.from(user)).build(),
                    new StreamingChatResponseHandler() {
                        @Override
                        public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
                            partials.add(partial.text());
                            context.streamingHandle().cancel();
                            cancelledSeen.set(context.streamingHandle().isCancelled());
                        }

                        @Override
                        public void onPartialResponse(String partialResponse) {
                            partials.add("(without context) " + partialResponse);
                        }

                        @Override
                        public void onCompleteResponse(ChatResponse completeResponse) { ends.incrementAndGet(); }

                        @Override
                        public void onError(Throwable error) { ends.incrementAndGet(); }
                    });
            worker.submit(() -> { }).get(60, TimeUnit.SECONDS); // the worker runs in order: the cancelled stream is over
            assertThat(partials).hasSize(1);
            assertThat(cancelledSeen).isTrue();
            assertThat(ends.get()).isZero();
            // the cache holds the prompt and the few tokens decoded before the cancel took effect, not 200
            int prompt = model.tokenizer().encode(Stories.prompt(model, user)).length;
            assertThat(m.cachedTokens()).isBetween(prompt, prompt + 8);

            Recorder next = new Recorder();
            m.chat(ChatRequest.builder().messages(SystemMessage.from(SYSTEM), UserMessage.from("Tell me about a cat."))
                    .maxOutputTokens(MAX_TOKENS).build(), next);
            next.await();
            assertThat(next.errors).isEmpty();
            assertThat(next.completes.get(0).aiMessage().text())
                    .isEqualTo(Stories.reference(model, "Tell me about a cat.", MAX_TOKENS).text());
        } finally {
            worker.shutdownNow();
        }
    }

    @Test
    void refusedRequestsReachOnErrorAndAreNotThrown() throws Exception {
        Recorder rec = new Recorder();
        streamingModel.chat(ChatRequest.builder().messages(UserMessage.from("hi"))
                .parameters(ChatRequestParameters.builder().presencePenalty(1.0).build()).build(), rec);
        rec.await();
        assertThat(rec.completes).isEmpty();
        assertThat(rec.errors).singleElement().isInstanceOf(UnsupportedFeatureException.class);

        StreamingStoryteller withTools = AiServices.builder(StreamingStoryteller.class).streamingChatModel(streamingModel)
                .tools(new Clock()).build();
        CompletableFuture<Throwable> error = new CompletableFuture<>();
        withTools.tell("What time is it?").onPartialResponse(t -> { }).onCompleteResponse(r -> error.complete(null))
                .onError(error::complete).start();
        assertThat(error.get(60, TimeUnit.SECONDS)).isInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("tools");
    }

    @Test
    void aHandlerThatThrowsIsToldThroughOnErrorAndStreamingGoesOn() throws Exception {
        Recorder rec = new Recorder() {
            @Override
            public void onPartialResponse(String partialResponse) {
                super.onPartialResponse(partialResponse);
                if (partials.size() == 1) throw new IllegalStateException("handler bug");
            }

            @Override
            public void onError(Throwable error) { errors.add(error); }
        };
        streamingModel.chat(ChatRequest.builder().messages(UserMessage.from("Tell me about a dog.")).build(), rec);
        rec.await();
        assertThat(rec.errors).singleElement(InstanceOfAssertFactories.THROWABLE).hasMessage("handler bug");
        assertThat(rec.completes).hasSize(1);
        assertThat(String.join("", rec.partials)).isEqualTo(rec.completes.get(0).aiMessage().text());
    }

    @Test
    void closingFailsTheRunningAndQueuedStreamsAndNothingHangs() throws Exception {
        TokenflowStreamingChatModel own = TokenflowStreamingChatModel.builder().chatTemplate("chatml").maxTokens(200).build();
        CountDownLatch started = new CountDownLatch(1);
        Recorder running = new Recorder() {
            @Override
            public void onPartialResponse(String partialResponse) {
                super.onPartialResponse(partialResponse);
                started.countDown();
                try {
                    Thread.sleep(20); // keep the generation going while the test closes the model
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        Recorder queued = new Recorder();
        own.chat(ChatRequest.builder().messages(UserMessage.from("Tell me about a ship.")).build(), running);
        own.chat(ChatRequest.builder().messages(UserMessage.from("Tell me about a cat.")).build(), queued);
        assertThat(started.await(60, TimeUnit.SECONDS)).isTrue();
        own.close();
        running.await();
        queued.await();
        assertThat(running.completes).isEmpty();
        assertThat(running.errors).singleElement().isInstanceOf(IllegalStateException.class);
        assertThat(queued.errors).singleElement().isInstanceOf(IllegalStateException.class);
        assertThat(own.model().isClosed()).isTrue();

        Recorder after = new Recorder();
        own.chat(ChatRequest.builder().messages(UserMessage.from("hi")).build(), after);
        after.await();
        assertThat(after.errors).singleElement().isInstanceOf(IllegalStateException.class);
    }
}

package io.tokenflow.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokenflow.Chat;
import io.tokenflow.ChatMessage;
import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.Model;
import io.tokenflow.Session;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Multi-turn chat with an explicit template on a model without one; prefix reuse across turns. */
class ChatTest {
    static final String CHATML_TEXT = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content']"
            + " + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
    static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(ItEnv.stories());
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    @Test
    void storiesHasNoTemplate() {
        assertThat(model.info().chatTemplate()).isEmpty();
    }

    @Test
    void twoTurnsWithChatmlReuseThePrefix() {
        GenerationOptions o = GenerationOptions.builder().maxTokens(24).stop("<|im_end|>", "\n\n").build();
        try (Session s = model.newSession(ItEnv.sessionOptions(1024).build())) {
            Chat chat = new Chat(s, "chatml").system("You tell short stories.");
            GenerationResult first = chat.send("Tell me about a dog.", o, (t, x) -> { });
            assertThat(first.stats().generatedTokens()).isPositive();
            int firstPrompt = first.stats().promptTokens();

            GenerationResult second = chat.send("And a cat?", o, (t, x) -> { });
            System.out.printf("[ChatTest] turn 1: %d prompt tokens -> \"%s\"; turn 2: %d prompt tokens, %d cached -> \"%s\"%n",
                    firstPrompt, first.text(), second.stats().promptTokens(), second.stats().cachedPromptTokens(), second.text());
            assertThat(second.stats().cachedPromptTokens()).as("prefix reused from turn 1").isPositive();
            // everything up to the first reply is rendered identically, so at least the first prompt is reused
            assertThat(second.stats().cachedPromptTokens()).isGreaterThanOrEqualTo(firstPrompt - 1);
            assertThat(second.stats().promptTokens()).isGreaterThan(firstPrompt);

            List<ChatMessage> messages = chat.messages();
            assertThat(messages).extracting(ChatMessage::role).containsExactly("system", "user", "assistant", "user", "assistant");
            assertThat(messages.get(2).content()).isEqualTo(first.text().strip());
        }
    }

    @Test
    void applyChatTemplateByNameAndByText() {
        List<ChatMessage> messages = List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi there"));
        String byName = model.applyChatTemplate(messages, true, "chatml");
        assertThat(byName).contains("<|im_start|>user").contains("Hi there")
                .isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n");
        assertThat(model.applyChatTemplate(messages, false, "chatml")).doesNotEndWith("<|im_start|>assistant\n");
        // llama.cpp recognises the chatml Jinja text as the same template
        assertThat(model.applyChatTemplate(messages, true, CHATML_TEXT)).isEqualTo(byName);
    }

    @Test
    void noTemplateAndNoneGivenIsAClearIllegalStateException() {
        try (Session s = model.newSession(ItEnv.sessionOptions(128).build())) {
            assertThatThrownBy(() -> new Chat(s)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("no chat template").hasMessageContaining("chatml");
        }
        assertThatThrownBy(() -> model.applyChatTemplate(List.of(ChatMessage.user("hi")), true))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no chat template");
    }

    @Test
    void unknownTemplateNameIsRefused() {
        assertThatThrownBy(() -> model.applyChatTemplate(List.of(ChatMessage.user("hi")), true, "no-such-template"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not supported");
    }
}

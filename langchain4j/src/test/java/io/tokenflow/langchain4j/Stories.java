package io.tokenflow.langchain4j;

import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.Model;
import io.tokenflow.Session;
import java.util.List;

/** What the tests share: the packaged default model (a story model without a chat template) and its reference answers. */
final class Stories {
    static final String TEMPLATE = "chatml";
    static final String SYSTEM = "You tell short stories.";
    static final int MAX_TOKENS = 40;

    private Stories() {}

    /** A chat model on {@code model} with the test settings (greedy, {@value #MAX_TOKENS} tokens). */
    static TokenflowChatModel chatModel(Model model) {
        return TokenflowChatModel.builder().model(model).chatTemplate(TEMPLATE).maxTokens(MAX_TOKENS).build();
    }

    static TokenflowStreamingChatModel streamingModel(Model model) {
        return TokenflowStreamingChatModel.builder().model(model).chatTemplate(TEMPLATE).maxTokens(MAX_TOKENS).build();
    }

    /** The prompt tokenflow's template gives for a system and a user message. */
    static String prompt(Model model, String user) {
        return model.applyChatTemplate(List.of(io.tokenflow.ChatMessage.system(SYSTEM), io.tokenflow.ChatMessage.user(user)),
                true, TEMPLATE);
    }

    /** The answer straight from a fresh tokenflow session: what the adapters must reproduce. */
    static GenerationResult reference(Model model, String user, int maxTokens) {
        try (Session s = model.newSession()) {
            return s.generate(prompt(model, user), GenerationOptions.builder().maxTokens(maxTokens).build());
        }
    }
}

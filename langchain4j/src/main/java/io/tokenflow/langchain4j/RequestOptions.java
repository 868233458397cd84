package io.tokenflow.langchain4j;

import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import io.tokenflow.GenerationOptions;

/**
 * A request's LangChain4j parameters (already merged with the model's defaults) as tokenflow
 * {@link GenerationOptions}. What tokenflow cannot honour is refused with {@link UnsupportedFeatureException}
 * instead of being ignored: tools, JSON response formats, frequency and presence penalties (tokenflow has a
 * repetition penalty instead: {@link TokenflowChatRequestParameters#repeatPenalty()}), another model's name.
 * Out-of-range values fail with {@link IllegalArgumentException} from {@link GenerationOptions}.
 */
final class RequestOptions {
    private RequestOptions() {}

    static GenerationOptions toGenerationOptions(ChatRequestParameters p, String modelName, boolean addSpecial) {
        checkSupported(p, modelName);
        GenerationOptions.Builder b = GenerationOptions.builder().addSpecial(addSpecial).parseSpecial(true);
        if (p.maxOutputTokens() != null) b.maxTokens(p.maxOutputTokens());
        if (p.temperature() != null) b.temperature(p.temperature().floatValue());
        if (p.topP() != null) b.topP(p.topP().floatValue());
        if (p.topK() != null) b.topK(p.topK());
        if (p.stopSequences() != null) b.stopStrings(p.stopSequences());
        if (p instanceof TokenflowChatRequestParameters t) {
            if (t.seed() != null) b.seed(t.seed());
            if (t.minP() != null) b.minP(t.minP().floatValue());
            if (t.repeatPenalty() != null) b.repeatPenalty(t.repeatPenalty().floatValue());
            if (t.speculation() != null) b.speculation(t.speculation());
        }
        return b.build();
    }

    private static void checkSupported(ChatRequestParameters p, String modelName) {
        if (p.modelName() != null && !p.modelName().equals(modelName)) {
            throw new UnsupportedFeatureException("this chat model runs " + modelName + " in-process; the request asks for model '"
                    + p.modelName() + "' (leave modelName unset, or build another chat model for that file)");
        }
        if (p.toolSpecifications() != null && !p.toolSpecifications().isEmpty()) {
            throw new UnsupportedFeatureException("tokenflow chat models do not support tools; the request specifies "
                    + p.toolSpecifications().size() + " tool(s)");
        }
        if (p.toolChoice() == ToolChoice.REQUIRED) {
            throw new UnsupportedFeatureException("tokenflow chat models do not support tools; the request requires a tool call");
        }
        ResponseFormat format = p.responseFormat();
        if (format != null && format.type() != ResponseFormatType.TEXT) {
            throw new UnsupportedFeatureException("tokenflow chat models answer in plain text; response format " + format.type()
                    + " cannot be enforced");
        }
        if (p.frequencyPenalty() != null && p.frequencyPenalty() != 0) {
            throw new UnsupportedFeatureException("tokenflow has no frequency penalty (got " + p.frequencyPenalty()
                    + "); use TokenflowChatRequestParameters.repeatPenalty");
        }
        if (p.presencePenalty() != null && p.presencePenalty() != 0) {
            throw new UnsupportedFeatureException("tokenflow has no presence penalty (got " + p.presencePenalty()
                    + "); use TokenflowChatRequestParameters.repeatPenalty");
        }
    }
}

package io.tokenflow.langchain4j;

import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import io.tokenflow.GenerationOptions;
import io.tokenflow.Model;
import io.tokenflow.ModelOptions;
import io.tokenflow.SessionOptions;
import io.tokenflow.speculative.Speculation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Settings shared by {@link TokenflowChatModel.Builder} and {@link TokenflowStreamingChatModel.Builder}.
 *
 * <p>Which model: {@link #model(Model)} (yours; closing the chat model leaves it open), or {@link #modelPath(Path)}
 * (loaded by {@code build()}, closed with the chat model), or neither: the packaged default model
 * ({@code Model.loadDefault()}, needs {@code io.tokenflow:tokenflow-model-stories} on the class path; also closed
 * with the chat model).
 *
 * <p>Default request parameters: {@link #defaultRequestParameters(ChatRequestParameters)} first, then the single
 * setters ({@link #maxTokens}, {@link #temperature}, ...) on top; what neither sets keeps tokenflow's
 * {@link GenerationOptions} defaults (greedy, 128 tokens). Each request's own parameters override these.
 * {@code build()} checks every value, so a bad one fails there and not at the first chat.
 *
 * @param <B> the concrete builder
 */
public abstract class TokenflowChatModelBuilder<B extends TokenflowChatModelBuilder<B>> {
    Model model;
    Path modelPath;
    ModelOptions modelOptions;
    SessionOptions sessionOptions;
    String chatTemplate;
    ChatRequestParameters defaultRequestParameters;
    Integer maxTokens;
    Double temperature;
    Double topP;
    Integer topK;
    Double minP;
    Double repeatPenalty;
    List<String> stopSequences;
    Long seed;
    Speculation speculation;
    List<ChatModelListener> listeners = List.of();

    TokenflowChatModelBuilder() {}

    @SuppressWarnings("unchecked")
    private B self() { return (B) this; }

    /** A model you loaded; the chat model does not close it. */
    public B model(Model model) { this.model = model; return self(); }

    /** A GGUF file to load at {@code build()}; closed with the chat model. */
    public B modelPath(Path modelPath) { this.modelPath = modelPath; return self(); }

    /** How {@link #modelPath} or the default model is loaded (not for a model passed with {@link #model}). */
    public B modelOptions(ModelOptions modelOptions) { this.modelOptions = modelOptions; return self(); }

    /** The session (llama.cpp context) the chat model generates in: context size, threads, KV policies. */
    public B sessionOptions(SessionOptions sessionOptions) { this.sessionOptions = sessionOptions; return self(); }

    /**
     * The chat template: a name llama.cpp knows (e.g. {@code "chatml"}) or a template text; null (the default) uses
     * the model's own. Required for a model without a template (the packaged default model has none).
     */
    public B chatTemplate(String chatTemplate) { this.chatTemplate = chatTemplate; return self(); }

    /** Defaults for every request, common or {@link TokenflowChatRequestParameters}. */
    public B defaultRequestParameters(ChatRequestParameters parameters) {
        this.defaultRequestParameters = parameters;
        return self();
    }

    /** Tokens to generate at most per answer. */
    public B maxTokens(Integer maxTokens) { this.maxTokens = maxTokens; return self(); }

    /** 0 = greedy (the default). */
    public B temperature(Double temperature) { this.temperature = temperature; return self(); }

    public B topP(Double topP) { this.topP = topP; return self(); }

    /** 0 = off. */
    public B topK(Integer topK) { this.topK = topK; return self(); }

    /** 0 = off. */
    public B minP(Double minP) { this.minP = minP; return self(); }

    /** 1 = off. */
    public B repeatPenalty(Double repeatPenalty) { this.repeatPenalty = repeatPenalty; return self(); }

    /** Generation stops before the first of these; it is not part of the answer. */
    public B stopSequences(List<String> stopSequences) {
        this.stopSequences = stopSequences == null ? null : new ArrayList<>(stopSequences);
        return self();
    }

    /** Sampling seed (0 .. 2^32-2); unset: a fresh seed per request. */
    public B seed(Long seed) { this.seed = seed; return self(); }

    /** Lossless speculative decoding, e.g. {@code Speculation.AUTO}. */
    public B speculation(Speculation speculation) { this.speculation = speculation; return self(); }

    /** Observers of every request, response and error (LangChain4j calls them around each chat). */
    public B listeners(List<ChatModelListener> listeners) {
        this.listeners = listeners == null ? List.of() : List.copyOf(listeners);
        return self();
    }

    /** The merged defaults this builder describes, for a model named {@code modelName}. */
    TokenflowChatRequestParameters requestDefaults(String modelName) {
        GenerationOptions g = GenerationOptions.defaults();
        TokenflowChatRequestParameters.Builder b = TokenflowChatRequestParameters.builder()
                .modelName(modelName)
                .maxOutputTokens(g.maxTokens())
                .temperature(exact(g.temperature()))
                .topP(exact(g.topP()))
                .topK(g.topK())
                .minP(exact(g.minP()))
                .repeatPenalty(exact(g.repeatPenalty()))
                .stopSequences(g.stopStrings())
                .speculation(g.speculation());
        if (defaultRequestParameters != null) b.overrideWith(defaultRequestParameters);
        if (maxTokens != null) b.maxOutputTokens(maxTokens);
        if (temperature != null) b.temperature(temperature);
        if (topP != null) b.topP(topP);
        if (topK != null) b.topK(topK);
        if (minP != null) b.minP(minP);
        if (repeatPenalty != null) b.repeatPenalty(repeatPenalty);
        if (stopSequences != null) b.stopSequences(stopSequences);
        if (seed != null) b.seed(seed);
        if (speculation != null) b.speculation(speculation);
        return b.build();
    }

    /** The float as written (0.95f as 0.95, not 0.949999988). */
    private static double exact(float f) { return Double.parseDouble(Float.toString(f)); }
}

package io.tokenflow.server;

import io.tokenflow.ChatMessage;
import io.tokenflow.kv.KvCompression;
import io.tokenflow.sparse.SparseAttention;
import io.tokenflow.speculative.Speculation;
import java.util.List;

/**
 * A validated {@code /v1/chat/completions} or {@code /v1/completions} body ({@link RequestParser} builds it).
 *
 * @param chat true for chat completions (the prompt is {@code messages}), false for text completions
 * @param messages the chat turns (chat only; empty otherwise)
 * @param promptText the completion prompt as text, or null when given as token ids
 * @param promptTokens the completion prompt as token ids, or null
 * @param stream answer with server-sent events
 * @param includeUsage {@code stream_options.include_usage}: a last chunk with {@code usage}
 * @param maxTokens tokens to generate at most, or 0 for "until the end or the context is full"
 * @param temperature 0 = greedy
 * @param topP nucleus sampling (1 = off)
 * @param topK top-k (0 = off; llama.cpp extra field {@code top_k})
 * @param minP min-p (0 = off; llama.cpp extra field {@code min_p})
 * @param repeatPenalty repetition penalty (1 = off; llama.cpp extra field {@code repeat_penalty})
 * @param ignoreEos keep generating past end-of-generation tokens (llama.cpp extra field {@code ignore_eos})
 * @param seed sampling seed, or {@code GenerationOptions.RANDOM_SEED}
 * @param stop stop strings
 * @param topLogprobs -1 without logprobs; otherwise alternatives per token (0..20)
 * @param jsonObject {@code response_format: {"type": "json_object"}}: the reply is checked to be a JSON object
 * @param speculation the request's own {@code speculation}, or null for the server default
 * @param kvCompression the request's own {@code kv_compression}, or null for the server default
 * @param sparseAttention the request's own {@code sparse_attention}, or null for the server default
 */
record CompletionRequest(boolean chat, List<ChatMessage> messages, String promptText, int[] promptTokens, boolean stream,
        boolean includeUsage, int maxTokens, float temperature, float topP, int topK, float minP, float repeatPenalty, boolean ignoreEos, long seed,
        List<String> stop, int topLogprobs, boolean jsonObject, Speculation speculation, KvCompression kvCompression,
        SparseAttention sparseAttention) {

    CompletionRequest {
        messages = List.copyOf(messages);
        stop = List.copyOf(stop);
        promptTokens = promptTokens == null ? null : promptTokens.clone();
    }

    boolean logprobs() { return topLogprobs >= 0; }
}

package io.tokenflow;

import java.util.Optional;

/**
 * What a loaded model is.
 *
 * @param architecture GGUF {@code general.architecture}, e.g. "llama"
 * @param name GGUF {@code general.name}, or the file name
 * @param description llama.cpp's one-line description, e.g. "llama 260K all F32"
 * @param parameterCount parameters as llama.cpp counts them
 * @param sizeBytes bytes of weights
 * @param contextLengthTrained the context the model was trained with (metadata)
 * @param vocabularySize tokens in the vocabulary
 * @param embeddingLength width of the residual stream
 * @param layerCount transformer blocks
 * @param headCount attention heads
 * @param kvHeadCount key/value heads (GQA when smaller than headCount)
 * @param chatTemplate the model's own chat template, if it has one
 */
public record ModelInfo(String architecture, String name, String description, long parameterCount, long sizeBytes,
        int contextLengthTrained, int vocabularySize, int embeddingLength, int layerCount, int headCount,
        int kvHeadCount, Optional<String> chatTemplate) {}

package io.tokenflow.langchain4j.spi;

import io.tokenflow.langchain4j.TokenflowEmbeddingModel;
import java.util.function.Supplier;

/**
 * LangChain4j's builder-factory SPI for {@link TokenflowEmbeddingModel}: an implementation registered in
 * {@code META-INF/services/io.tokenflow.langchain4j.spi.TokenflowEmbeddingModelBuilderFactory} supplies the builder
 * that {@link TokenflowEmbeddingModel#builder()} returns.
 */
public interface TokenflowEmbeddingModelBuilderFactory extends Supplier<TokenflowEmbeddingModel.Builder> {}

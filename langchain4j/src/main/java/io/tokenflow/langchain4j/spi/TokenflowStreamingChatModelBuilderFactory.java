package io.tokenflow.langchain4j.spi;

import io.tokenflow.langchain4j.TokenflowStreamingChatModel;
import java.util.function.Supplier;

/**
 * LangChain4j's builder-factory SPI for {@link TokenflowStreamingChatModel}: an implementation registered in
 * {@code META-INF/services/io.tokenflow.langchain4j.spi.TokenflowStreamingChatModelBuilderFactory} supplies the
 * builder that {@link TokenflowStreamingChatModel#builder()} returns.
 */
public interface TokenflowStreamingChatModelBuilderFactory extends Supplier<TokenflowStreamingChatModel.Builder> {}

package io.tokenflow.langchain4j.spi;

import io.tokenflow.langchain4j.TokenflowChatModel;
import java.util.function.Supplier;

/**
 * LangChain4j's builder-factory SPI for {@link TokenflowChatModel}: an implementation registered in
 * {@code META-INF/services/io.tokenflow.langchain4j.spi.TokenflowChatModelBuilderFactory} supplies the builder that
 * {@link TokenflowChatModel#builder()} returns (frameworks use it to pre-configure builders).
 */
public interface TokenflowChatModelBuilderFactory extends Supplier<TokenflowChatModel.Builder> {}

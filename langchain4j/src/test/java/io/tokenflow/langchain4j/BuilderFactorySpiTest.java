package io.tokenflow.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenflow.langchain4j.spi.TokenflowChatModelBuilderFactory;
import io.tokenflow.langchain4j.spi.TokenflowEmbeddingModelBuilderFactory;
import io.tokenflow.langchain4j.spi.TokenflowStreamingChatModelBuilderFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** builder() asks the factories registered in META-INF/services (this module's test resources register these). */
class BuilderFactorySpiTest {
    static final AtomicInteger CHAT = new AtomicInteger();
    static final AtomicInteger STREAMING = new AtomicInteger();
    static final AtomicInteger EMBEDDING = new AtomicInteger();

    public static final class ChatFactory implements TokenflowChatModelBuilderFactory {
        @Override
        public TokenflowChatModel.Builder get() {
            CHAT.incrementAndGet();
            return new TokenflowChatModel.Builder();
        }
    }

    public static final class StreamingFactory implements TokenflowStreamingChatModelBuilderFactory {
        @Override
        public TokenflowStreamingChatModel.Builder get() {
            STREAMING.incrementAndGet();
            return new TokenflowStreamingChatModel.Builder();
        }
    }

    public static final class EmbeddingFactory implements TokenflowEmbeddingModelBuilderFactory {
        @Override
        public TokenflowEmbeddingModel.Builder get() {
            EMBEDDING.incrementAndGet();
            return new TokenflowEmbeddingModel.Builder();
        }
    }

    @Test
    void buildersComeFromTheRegisteredFactories() {
        int chat = CHAT.get();
        int streaming = STREAMING.get();
        int embedding = EMBEDDING.get();
        assertThat(TokenflowChatModel.builder()).isNotNull();
        assertThat(TokenflowStreamingChatModel.builder()).isNotNull();
        assertThat(TokenflowEmbeddingModel.builder()).isNotNull();
        assertThat(CHAT.get()).isEqualTo(chat + 1);
        assertThat(STREAMING.get()).isEqualTo(streaming + 1);
        assertThat(EMBEDDING.get()).isEqualTo(embedding + 1);
    }
}

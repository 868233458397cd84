package io.tokenflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Options are bounded by what the machine allows, and nulls are typed errors, not bare NullPointerExceptions. */
class OptionBoundsTest {
    @Test
    void threadsAreBoundedByTheCores() {
        int max = SessionOptions.maxThreads();
        assertThat(max).isEqualTo(SessionOptions.MAX_THREADS_PER_CORE * Runtime.getRuntime().availableProcessors());
        assertThat(SessionOptions.builder().threads(max).build().threads()).isEqualTo(max);
        assertThatThrownBy(() -> SessionOptions.builder().threads(max + 1).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("per core");
        assertThatThrownBy(() -> SessionOptions.builder().batchThreads(max + 1).build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nullSessionOptionsAreIllegalArguments() {
        assertThatThrownBy(() -> SessionOptions.builder().flashAttention(null).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SessionOptions.builder().kvCacheType(null).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SessionOptions.builder().kvCompression(null).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SessionOptions.builder().batchCostSeconds((List<Double>) null).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SessionOptions.builder().batchCostSeconds(Arrays.asList(1e-3, null)).build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nullGenerationOptionsAreIllegalArguments() {
        assertThatThrownBy(() -> GenerationOptions.builder().stop((String[]) null).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stop");
        assertThatThrownBy(() -> GenerationOptions.builder().stop("a", null).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("null");
        assertThatThrownBy(() -> GenerationOptions.builder().stopStrings(null).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GenerationOptions.builder().speculation(null).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("speculation");
        assertThat(GenerationOptions.builder().stop("x", "y").build().stopStrings()).containsExactly("x", "y");
    }
}

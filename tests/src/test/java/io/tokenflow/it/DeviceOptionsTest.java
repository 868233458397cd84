package io.tokenflow.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokenflow.GenerationOptions;
import io.tokenflow.Model;
import io.tokenflow.ModelOptions;
import io.tokenflow.ModelOptions.SplitMode;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Where the layers go (issue 16): gpuLayers, splitMode, mainGpu and tensorSplit are checked before native code, and on
 * a machine without an offload device they change nothing (the CPU's answer). GpuOffloadTest covers a GPU.
 */
class DeviceOptionsTest {
    @Test
    void badDeviceOptionsAreRefusedBeforeNativeCode() {
        assertThatThrownBy(() -> ModelOptions.builder().mainGpu(-2).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mainGpu");
        assertThatThrownBy(() -> ModelOptions.builder().mainGpu(64).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ModelOptions.builder().tensorSplit(1f, Float.NaN).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("finite");
        assertThatThrownBy(() -> ModelOptions.builder().tensorSplit(-1f).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ModelOptions.builder().tensorSplit(0f, 0f).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("all 0");
        assertThatThrownBy(() -> ModelOptions.builder().tensorSplit(new float[65]).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ModelOptions.builder().splitMode(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> ModelOptions.builder().gpuLayers(-2).build()).isInstanceOf(IllegalArgumentException.class);
        ModelOptions o = ModelOptions.builder().tensorSplit(3f, 1f).splitMode(SplitMode.ROW).mainGpu(1).build();
        assertThat(o.tensorSplit()).containsExactly(3f, 1f);
        assertThat(o.toBuilder().build()).isEqualTo(o);
        assertThatThrownBy(() -> o.tensorSplit().add(2f)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void withoutAnOffloadDeviceTheOptionsKeepTheCpuAnswer() {
        GenerationOptions g = GenerationOptions.builder().maxTokens(12).temperature(0).build();
        String prompt = "Once upon a time";
        List<ModelOptions> variants = List.of(ModelOptions.defaults(),
                ModelOptions.builder().gpuLayers(-1).splitMode(SplitMode.ROW).tensorSplit(1f, 1f).build(),
                ModelOptions.builder().gpuLayers(99).splitMode(SplitMode.NONE).mainGpu(-1).build());
        String reference = null;
        for (ModelOptions o : variants) {
            if (io.tokenflow.Tokenflow.devices().stream().anyMatch(io.tokenflow.Device::offloadable)) break;  // GpuOffloadTest's case
            try (Model m = Model.load(ItEnv.stories(), o); Session s = m.newSession(SessionOptions.defaults())) {
                String text = s.generate(prompt, g).text();
                if (reference == null) reference = text;
                assertThat(text).as("options %s", o).isEqualTo(reference);
            }
        }
        // split mode none naming a device that does not exist: with no offload device llama.cpp has nothing to choose
        // from and runs the model on the CPU (with one, its refusal would be a ModelLoadException)
        if (reference != null) {
            ModelOptions none = ModelOptions.builder().gpuLayers(-1).splitMode(SplitMode.NONE).mainGpu(5).build();
            try (Model m = Model.load(ItEnv.stories(), none); Session s = m.newSession(SessionOptions.defaults())) {
                assertThat(s.generate(prompt, g).text()).isEqualTo(reference);
            }
        }
    }
}

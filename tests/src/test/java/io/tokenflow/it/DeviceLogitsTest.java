package io.tokenflow.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import io.tokenflow.speculative.Speculation;
import org.junit.jupiter.api.Test;

/**
 * {@code SessionOptions.deviceLogits}, tested both ways on the CPU: speculative trees verified on llama.cpp's output
 * tensor in place (on) and on its host copy (off) emit the same tokens and accept the same drafts, greedy and sampled.
 * With a GPU the same switch picks the CUDA kernels; {@link GpuOffloadTest} compares those.
 */
class DeviceLogitsTest {
    private static final String PROMPT = "Once upon a time, there was a little girl named Lily. She";

    @Test
    void bothPathsEmitTheSameTokens() {
        try (Model m = Model.load(ItEnv.stories());
                Session inPlace = m.newSession(opts(true));
                Session hostCopy = m.newSession(opts(false))) {
            assertThat(SessionOptions.defaults().deviceLogits()).isTrue();
            long accepted = 0;
            for (int round = 0; round < 4; round++) {
                GenerationOptions.Builder o = GenerationOptions.builder().maxTokens(40).ignoreEos(true)
                        .speculation(Speculation.RECYCLING).draftBudget(16).seed(7 + round);
                // greedy, then the sampled chain (sample-and-match verification with the same uniforms)
                GenerationOptions g = (round % 2 == 0 ? o.temperature(0) : o.temperature(0.8f).topK(40).topP(0.95f)).build();
                GenerationResult a = inPlace.generate(PROMPT, g);
                GenerationResult b = hostCopy.generate(PROMPT, g);
                assertThat(a.tokens()).as("round %d", round).containsExactly(b.tokens());
                long acc = a.stats().speculation().orElseThrow().acceptedTokens();
                assertThat(acc).isEqualTo(b.stats().speculation().orElseThrow().acceptedTokens());
                accepted += acc;
                inPlace.reset();
                hostCopy.reset();
            }
            assertThat(accepted).as("drafts accepted (else only the bonus path ran)").isGreaterThan(10);
        }
    }

    static SessionOptions opts(boolean deviceLogits) {
        return SessionOptions.builder().contextSize(256).threads(2).deviceLogits(deviceLogits).build();
    }
}

package io.tokenflow.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokenflow.KvCacheType;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.FlashAttention;
import org.junit.jupiter.api.Test;

/** Session.scoring(): prefill / evaluate / cachedPositions and the decode-cost measurement on a real model. */
class ScoringTest {
    private static final int[] PROMPT = {1, 403, 407, 261, 378, 442, 365, 267, 9, 286, 363, 283};

    @Test
    void batchCostMeasuresEverySizeAndLeavesTheCacheAsItWas() {
        try (Model model = Model.load(ItEnv.stories());
             Session s = model.newSession(ItEnv.sessionOptions(64).kvCacheType(KvCacheType.F32)
                     .flashAttention(FlashAttention.OFF).build());
             Session fresh = model.newSession(ItEnv.sessionOptions(64).kvCacheType(KvCacheType.F32)
                     .flashAttention(FlashAttention.OFF).build())) {
            s.scoring().prefill(PROMPT);
            int tooMany = Math.min(256, s.contextSize() - PROMPT.length);  // llama.cpp may round the context up
            for (double[] cost : new double[][] {s.scoring().batchCostSeconds(2, 1, 4, 16, 48, tooMany),
                    s.scoring().treeCostSeconds(2, 1, 4, 16, 48, tooMany)}) {
                assertThat(cost).hasSize(5);
                // 12 cached + 1..48 fit; a batch filling every free cell does not (one must stay free)
                assertThat(cost[0]).isPositive();
                assertThat(cost[1]).isPositive();
                assertThat(cost[2]).isPositive();
                assertThat(cost[3]).isPositive();
                assertThat(cost[4]).isZero();
            }
            assertThat(s.cachedTokens()).isEqualTo(PROMPT.length);
            assertThat(s.scoring().cachedPositions()).hasSize(PROMPT.length);
            // the cache holds exactly the prompt: the next token's logits equal a session that never measured
            fresh.scoring().prefill(PROMPT);
            assertThat(s.scoring().evaluate(new int[] {400})).containsExactly(fresh.scoring().evaluate(new int[] {400}));
        }
    }

    @Test
    void batchCostRejectsBadArguments() {
        try (Model model = Model.load(ItEnv.stories()); Session s = model.newSession(ItEnv.sessionOptions(64).build())) {
            assertThatThrownBy(() -> s.scoring().batchCostSeconds(0, 1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> s.scoring().batchCostSeconds(1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> s.scoring().batchCostSeconds(1, 0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> s.scoring().batchCostSeconds(1, 257)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}

package io.tokenflow.speculative;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SpeculationStatsTest {

    @Test
    void accumulates() {
        DraftTree tree = DraftTree.of(new int[] {1, 2, 3, 4}, new int[] {-1, 0, 1, 0});
        SpeculationStats s = SpeculationStats.accumulator("ngram")
                .step(new Verification(tree, new int[] {0, 1, 2}, 9, new int[0], 0), 1_000_000, 2_000_000, 3_000_000)
                .step(new Verification(tree, new int[] {0}, 9, new int[0], 0), 1_000_000, 0, 1_000_000)
                .step(new Verification(tree, new int[] {0, 3}, 9, new int[0], 0), 0, 0, 0)
                .build();
        assertThat(s.policy()).isEqualTo("ngram");
        assertThat(s.steps()).isEqualTo(3);
        assertThat(s.draftedNodes()).isEqualTo(9);
        assertThat(s.acceptedTokens()).isEqualTo(3);
        assertThat(s.meanAcceptedPerStep()).isEqualTo(1.0);
        assertThat(s.depthHitRate()).containsExactly(2 / 3.0, 1 / 3.0);
        assertThat(s.draftMillis()).isEqualTo(2.0);
        assertThat(s.verifyMillis()).isEqualTo(2.0);
        assertThat(s.decodeMillis()).isEqualTo(4.0);
        assertThat(s.acceptanceRate()).isEqualTo(1 / 3.0);
        assertThat(s.toString()).contains("ngram", "3 steps");
        // Two steps with a 3-node tree and one more: priced on a curve, 3 batches of 4 tokens.
        DraftTree one = DraftTree.chain(1, 2);
        SpeculationStats mixed = SpeculationStats.accumulator("auto")
                .step(new Verification(tree, new int[] {0}, 9, new int[0], 0), 0, 0, 0)
                .step(new Verification(one, new int[] {0, 1}, 9, new int[0], 0), 0, 0, 0)
                .step(new Verification(DraftTree.rootOnly(1), new int[] {0}, 9, new int[0], 0), 0, 0, 0)
                .build();
        assertThat(mixed.stepsByDraftedNodes()).containsExactly(1, 1, 0, 1);
        assertThat(s.stepsByDraftedNodes()).containsExactly(0, 0, 0, 3);
        double[] curve = {1, 1.5, 2, 4};
        assertThat(mixed.batchSeconds(curve)).isEqualTo(1 + 1.5 + 4);
        assertThat(s.batchSeconds(curve)).isEqualTo(12);
        assertThatThrownBy(() -> s.batchSeconds(new double[] {1, 2})).hasMessageContaining("covers 2");
        assertThat(SpeculationStats.accumulator("x").build().meanAcceptedPerStep()).isZero();
        assertThat(SpeculationStats.accumulator("x").build().stepsByDraftedNodes()).isEmpty();
    }

    @Test
    void validation() {
        assertThatThrownBy(() -> new SpeculationStats("a", -1, 0, 0, 0, new double[0], 0, 0, 0, new long[0], true)).hasMessageContaining("counts");
        assertThatThrownBy(() -> new SpeculationStats("a", 1, 1, 2, 0, new double[0], 0, 0, 0, new long[] {0, 1}, true)).hasMessageContaining("exceeds");
        assertThatThrownBy(() -> new SpeculationStats("a", 1, 1, 1, 0, new double[0], -1, 0, 0, new long[] {0, 1}, true)).hasMessageContaining("times");
        assertThatThrownBy(() -> new SpeculationStats("a", 2, 1, 1, 0, new double[0], 0, 0, 0, new long[] {0, 1}, true))
                .hasMessageContaining("counts 1 steps and 1 nodes, expected 2 and 1");
    }
}

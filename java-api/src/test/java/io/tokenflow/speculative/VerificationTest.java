package io.tokenflow.speculative;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class VerificationTest {

    private static final DraftTree TREE = DraftTree.of(new int[] {10, 11, 12, 13}, new int[] {-1, 0, 0, 1});

    private static int[] cands(int k) {
        int[] c = new int[TREE.size() * k];
        for (int i = 0; i < c.length; i++) c[i] = 100 + i;
        return c;
    }

    @Test
    void accessors() {
        Verification v = new Verification(TREE, new int[] {0, 1, 3}, 42, cands(2), 2);
        assertThat(v.acceptedLength()).isEqualTo(2);
        assertThat(v.acceptedTokens()).containsExactly(11, 13);
        assertThat(v.emittedTokens()).containsExactly(11, 13, 42);
        assertThat(v.candidate(3, 1)).isEqualTo(107);
        assertThat(v.candidateRow(1)).containsExactly(102, 103);
        assertThat(v).isEqualTo(new Verification(TREE, new int[] {0, 1, 3}, 42, cands(2), 2));
    }

    @Test
    void plainStep() {
        Verification v = Verification.plain(5, 6, new int[] {6, 7, 8});
        assertThat(v.tree().size()).isEqualTo(1);
        assertThat(v.emittedTokens()).containsExactly(6);
        assertThat(v.k()).isEqualTo(3);
    }

    @Test
    void validation() {
        assertThatThrownBy(() -> new Verification(TREE, new int[] {}, 1, cands(2), 2)).hasMessageContaining("start with the root");
        assertThatThrownBy(() -> new Verification(TREE, new int[] {1}, 1, cands(2), 2)).hasMessageContaining("start with the root");
        assertThatThrownBy(() -> new Verification(TREE, new int[] {0, 2, 3}, 1, cands(2), 2)).hasMessageContaining("not a child of node 2");
        assertThatThrownBy(() -> new Verification(TREE, new int[] {0, 9}, 1, cands(2), 2)).hasMessageContaining("node 9");
        assertThatThrownBy(() -> new Verification(TREE, new int[] {0}, 1, new int[7], 2)).hasMessageContaining("4 x 2");
        assertThatThrownBy(() -> new Verification(TREE, new int[] {0}, -1, cands(2), 2)).hasMessageContaining("bonusToken");
        int[] bad = cands(2);
        bad[5] = -4;
        assertThatThrownBy(() -> new Verification(TREE, new int[] {0}, 1, bad, 2)).hasMessageContaining("candidate 1 of node 2");
    }
}

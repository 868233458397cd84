package io.tokenflow.speculative;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DraftTreeTest {

    /** root 10 -> {11 -> {13, 14}, 12 -> {15 -> 16}} */
    private static DraftTree sample() {
        DraftTree.Builder b = DraftTree.builder(10);
        int a = b.add(0, 11);
        int c = b.add(0, 12);
        b.add(a, 13);
        b.add(a, 14);
        int d = b.add(c, 15);
        b.add(d, 16);
        return b.build();
    }

    @Test
    void structure() {
        DraftTree t = sample();
        assertThat(t.size()).isEqualTo(7);
        assertThat(t.draftedCount()).isEqualTo(6);
        assertThat(t.tokens()).containsExactly(10, 11, 12, 13, 14, 15, 16);
        assertThat(t.parents()).containsExactly(-1, 0, 0, 1, 1, 2, 5);
        assertThat(t.depths()).containsExactly(0, 1, 1, 2, 2, 2, 3);
        assertThat(t.maxDepth()).isEqualTo(3);
        assertThat(t.children(0)).containsExactly(1, 2);
        assertThat(t.children(1)).containsExactly(3, 4);
        assertThat(t.children(6)).isEmpty();
        assertThat(t.child(1, 14)).isEqualTo(4);
        assertThat(t.child(1, 99)).isEqualTo(-1);
        assertThat(t.leaves()).containsExactly(3, 4, 6);
        assertThat(t.paths()).containsExactly(new int[] {0, 1, 3}, new int[] {0, 1, 4}, new int[] {0, 2, 5, 6});
        assertThat(t.pathTo(6)).containsExactly(0, 2, 5, 6);
        assertThat(t.tokensAlong(t.pathTo(6))).containsExactly(12, 15, 16);
        assertThat(t.isAncestor(2, 6)).isTrue();
        assertThat(t.isAncestor(6, 6)).isTrue();
        assertThat(t.isAncestor(1, 6)).isFalse();
        assertThat(t.isAncestor(0, 4)).isTrue();
        assertThat(DraftTree.of(t.tokens(), t.parents())).isEqualTo(t).hasSameHashCodeAs(t);
    }

    @Test
    void rootOnlyAndChain() {
        DraftTree r = DraftTree.rootOnly(5);
        assertThat(r.size()).isEqualTo(1);
        assertThat(r.leaves()).containsExactly(0);
        assertThat(r.paths()).containsExactly(new int[] {0});
        assertThat(r.maxDepth()).isZero();
        DraftTree c = DraftTree.chain(1, 2, 3, 2);
        assertThat(c.parents()).containsExactly(-1, 0, 1, 2);
        assertThat(c.maxDepth()).isEqualTo(3);
    }

    @Test
    void truncatedToDepth() {
        DraftTree t = sample();
        assertThat(t.truncatedToDepth(3)).isSameAs(t);
        assertThat(t.truncatedToDepth(9)).isSameAs(t);
        DraftTree two = t.truncatedToDepth(2);
        assertThat(two.tokens()).containsExactly(10, 11, 12, 13, 14, 15);
        assertThat(two.parents()).containsExactly(-1, 0, 0, 1, 1, 2);
        assertThat(t.truncatedToDepth(1).tokens()).containsExactly(10, 11, 12);
        assertThat(t.truncatedToDepth(0)).isEqualTo(DraftTree.rootOnly(10));
        assertThatThrownBy(() -> t.truncatedToDepth(-1)).hasMessageContaining("depth");
    }

    @Test
    void builderRejectsDuplicateSiblingsButFindsThem() {
        DraftTree.Builder b = DraftTree.builder(1);
        int a = b.add(0, 7);
        assertThatThrownBy(() -> b.add(0, 7)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already has a child with token 7");
        assertThat(b.find(0, 7)).isEqualTo(a);
        assertThat(b.addOrGet(0, 7)).isEqualTo(a);
        assertThat(b.add(a, 7)).isEqualTo(2);  // same token under another parent is fine
        assertThatThrownBy(() -> b.add(5, 1)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("parent 5");
        assertThatThrownBy(() -> b.add(0, -3)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
        assertThatThrownBy(() -> DraftTree.builder(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void builderStopsAt256Nodes() {
        DraftTree.Builder b = DraftTree.builder(0);
        for (int t = 1; t < DraftTree.MAX_NODES; t++) b.add(0, t);
        assertThat(b.isFull()).isTrue();
        assertThatThrownBy(() -> b.add(0, 9999)).isInstanceOf(IllegalStateException.class).hasMessageContaining("256");
        assertThat(b.build().size()).isEqualTo(256);
    }

    @Test
    void validation() {
        assertThatThrownBy(() -> DraftTree.of(new int[0], new int[0])).hasMessageContaining("at least the root");
        assertThatThrownBy(() -> DraftTree.of(new int[] {1, 2}, new int[] {-1})).hasMessageContaining("differ in length");
        assertThatThrownBy(() -> DraftTree.of(new int[] {1, 2}, new int[] {0, 0})).hasMessageContaining("parents[0] must be -1");
        assertThatThrownBy(() -> DraftTree.of(new int[] {1, 2, 3}, new int[] {-1, 2, 0})).hasMessageContaining("parent of node 1 must be in [0, 1)");
        assertThatThrownBy(() -> DraftTree.of(new int[] {1, 2, 2}, new int[] {-1, 0, 0})).hasMessageContaining("siblings with the same token 2");
        assertThatThrownBy(() -> DraftTree.of(new int[] {1, -2}, new int[] {-1, 0})).hasMessageContaining("negative");
        assertThatThrownBy(() -> DraftTree.of(new int[257], new int[257])).hasMessageContaining("at most 256");
        assertThatThrownBy(() -> sample().children(7)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void arraysAreCopied() {
        int[] tokens = {1, 2};
        int[] parents = {-1, 0};
        DraftTree t = DraftTree.of(tokens, parents);
        tokens[1] = 9;
        t.tokens()[1] = 9;
        assertThat(t.token(1)).isEqualTo(2);
    }
}

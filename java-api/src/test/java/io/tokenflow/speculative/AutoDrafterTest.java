package io.tokenflow.speculative;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AutoDrafterTest {

    /** A drafter that proposes a fixed set of token paths and records what it is told. */
    private static final class Fixed implements Drafter {
        final String name;
        final int[][] paths;
        final List<Integer> budgets = new ArrayList<>();
        int observed;
        int starts;
        int ends;

        Fixed(String name, int[]... paths) {
            this.name = name;
            this.paths = paths;
        }

        @Override public String name() { return name; }
        @Override public void startGeneration(int[] prompt) { starts++; }
        @Override public void endGeneration() { ends++; }
        @Override public void observe(Verification v, TokenHistory history) { observed++; }

        @Override
        public DraftTree draft(TokenHistory history, int budget) {
            budgets.add(budget);
            DraftTree.Builder b = DraftTree.builder(history.last());
            for (int[] p : paths) {
                int node = 0;
                for (int t : p) {
                    int next = b.find(node, t);
                    if (next < 0) {
                        if (b.size() > budget) break;
                        next = b.add(node, t);
                    }
                    node = next;
                }
            }
            return b.build();
        }
    }

    private static Set<String> tokenPaths(DraftTree t) {
        Set<String> out = new HashSet<>();
        for (int[] p : t.paths()) assertThat(out.add(Arrays.toString(t.tokensAlong(p)))).as("duplicate path").isTrue();
        return out;
    }

    @Test
    void mergesAsATrieUnderTheBudget() {
        Fixed a = new Fixed("a", new int[] {1, 2, 3}, new int[] {4, 5});
        Fixed b = new Fixed("b", new int[] {1, 2, 6}, new int[] {7});
        AutoDrafter auto = new AutoDrafter(List.of(a, b));
        DraftTree t = auto.draft(TokenHistory.of(9), 20);
        assertThat(t.draftedCount()).isEqualTo(7);  // 1 2 3 4 5 + 6 7: the shared prefix "1 2" counted once
        assertThat(tokenPaths(t)).containsExactlyInAnyOrder("[1, 2, 3]", "[4, 5]", "[1, 2, 6]", "[7]");
        // Every drafter proposes a tree of the whole budget.
        assertThat(a.budgets).containsExactly(20);
        assertThat(b.budgets).containsExactly(20);

        for (int budget = 0; budget <= 8; budget++) {
            DraftTree small = auto.draft(TokenHistory.of(9), budget);
            assertThat(small.draftedCount()).isLessThanOrEqualTo(budget);
            tokenPaths(small);
        }
        assertThat(auto.depthAt(5)).isEqualTo(5);
    }

    /** One step: the target continues 9 with {@code target}; the accepted path is the longest prefix of it in the tree. */
    private static Verification verify(DraftTree t, int... target) {
        List<Integer> path = new ArrayList<>(List.of(0));
        int node = 0, j = 0;
        while (j < target.length - 1) {
            int c = t.child(node, target[j]);
            if (c < 0) break;
            path.add(c);
            node = c;
            j++;
        }
        return new Verification(t, path.stream().mapToInt(Integer::intValue).toArray(), target[j], new int[0], 0);
    }

    @Test
    void valuesFollowAcceptanceAndTheBudgetGoesToTheBestNextNode() {
        Fixed good = new Fixed("good", new int[] {1, 2, 3, 4});
        Fixed bad = new Fixed("bad", new int[] {5}, new int[] {6}, new int[] {7}, new int[] {8});
        AutoDrafter auto = new AutoDrafter(List.of(bad, good));
        // Equal priors: breadth first, construction order — bad's first node, good's first node, ...
        DraftTree first = auto.draft(TokenHistory.of(9), 2);
        assertThat(tokenPaths(first)).containsExactlyInAnyOrder("[5]", "[1]");
        for (int s = 0; s < 40; s++) {
            DraftTree t = auto.draft(TokenHistory.of(9), 4);
            auto.observe(verify(t, 1, 2, 3, 4, 0), TokenHistory.of(9, 1, 2, 3, 4, 0));
        }
        for (int r = 0; r < 4; r++) {
            assertThat(auto.value(1, r)).as("good rank %d", r).isGreaterThan(0.95);
            assertThat(auto.value(0, r)).as("bad rank %d", r).isLessThan(0.05);
        }
        assertThat(good.observed).isEqualTo(40);
        assertThat(bad.observed).isEqualTo(40);
        // With a small budget the reliable chain gets every node, not a share.
        assertThat(tokenPaths(auto.draft(TokenHistory.of(9), 4))).containsExactly("[1, 2, 3, 4]");
        // Past the chain, what is left goes to the other drafter.
        assertThat(tokenPaths(auto.draft(TokenHistory.of(9), 6))).containsExactlyInAnyOrder("[1, 2, 3, 4]", "[5]", "[6]");
        auto.startGeneration(new int[] {1});
        auto.endGeneration();
        assertThat(good.starts).isEqualTo(1);
        assertThat(bad.ends).isEqualTo(1);
    }

    @Test
    void nodesLeftOutOfTheMergedTreeAreStillJudged() {
        Fixed wrong = new Fixed("wrong", new int[] {5, 6, 7});
        Fixed right = new Fixed("right", new int[] {1, 2, 3});
        AutoDrafter auto = new AutoDrafter(List.of(wrong, right));
        DraftTree t = auto.draft(TokenHistory.of(9), 2);
        assertThat(tokenPaths(t)).containsExactlyInAnyOrder("[5]", "[1]");  // right's 2 and 3 are left out
        auto.observe(verify(t, 1, 2), TokenHistory.of(9, 1, 2));  // target path 1 2: token 2 is the bonus
        double p = AutoDrafter.PRIOR_VALUE, w = AutoDrafter.EMA_WEIGHT;
        assertThat(auto.value(1, 0)).isCloseTo((1 - w) * p + w, within(1e-12));  // 1: accepted
        assertThat(auto.value(1, 1)).isCloseTo((1 - w) * p + w, within(1e-12));  // 2: not drafted, but equals the bonus
        assertThat(auto.value(1, 2)).isEqualTo(p);                               // 3: beyond the known path, unknown
        for (int r = 0; r < 2; r++) assertThat(auto.value(0, r)).isCloseTo((1 - w) * p, within(1e-12));  // 5 6: missed
        assertThat(auto.value(0, 2)).isEqualTo(p);  // a budget of 2 gave wrong's tree no third node
        // Now right's second node outranks wrong's first.
        assertThat(tokenPaths(auto.draft(TokenHistory.of(9), 2))).containsExactly("[1, 2]");
        assertThatThrownBy(() -> auto.value(2, 0)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> auto.value(0, -1)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void standardDraftersMergedOnRealHistories() {
        AutoDrafter auto = AutoDrafter.standard(50);
        Random rnd = new Random(5);
        int[] prompt = new int[200];
        for (int i = 0; i < prompt.length; i++) prompt[i] = rnd.nextInt(8);
        auto.startGeneration(prompt);
        TokenBuffer h = TokenBuffer.of(prompt);
        for (int step = 0; step < 50; step++) {
            h.append(rnd.nextInt(8));
            int budget = rnd.nextInt(80);
            DraftTree t = auto.draft(h, budget);
            assertThat(t.draftedCount()).isLessThanOrEqualTo(budget);
            assertThat(t.rootToken()).isEqualTo(h.last());
            tokenPaths(t);
            int[] cands = new int[t.size() * 8];
            for (int i = 0; i < cands.length; i++) cands[i] = (i * 7 + step) % 50;
            h.append(3);
            auto.observe(new Verification(t, new int[] {0}, 3, cands, 8), h);
        }
        auto.endGeneration();
    }

    @Test
    void generationsAreLossless() {
        ToyModel model = new ToyModel(40, 2, 11);
        AutoDrafter auto = AutoDrafter.standard(40);
        int[] prompt = model.greedy(new int[] {3, 4}, 100);
        for (int round = 0; round < 2; round++) {
            ToyModel.Run run = model.generate(auto, new int[] {3, 4}, 150, 48);
            assertThat(run.tokens()).containsExactly(model.greedy(new int[] {3, 4}, 150));
        }
        int[] primed = Arrays.copyOf(prompt, prompt.length + 2);
        primed[prompt.length] = 3;
        primed[prompt.length + 1] = 4;
        ToyModel.Run run = model.generate(auto, primed, 80, 48);
        assertThat(run.tokens()).containsExactly(model.greedy(primed, 80));
        assertThat(run.stats().meanAcceptedPerStep()).isGreaterThan(1.0);
    }

    @Test
    void validation() {
        assertThatThrownBy(() -> new AutoDrafter(List.of())).hasMessageContaining("at least one");
        Drafter wrongRoot = new Drafter() {
            @Override public String name() { return "w"; }
            @Override public DraftTree draft(TokenHistory history, int budget) { return DraftTree.rootOnly(history.last() + 1); }
        };
        assertThatThrownBy(() -> new AutoDrafter(List.of(wrongRoot)).draft(TokenHistory.of(1), 4)).hasMessageContaining("rooted at 2");
    }
}

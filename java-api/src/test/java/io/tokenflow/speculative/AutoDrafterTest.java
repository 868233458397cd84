package io.tokenflow.speculative;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
        // Equal scores: a is offered half, b the rest of the budget.
        assertThat(a.budgets).containsExactly(10);
        assertThat(b.budgets).containsExactly(15);

        for (int budget = 0; budget <= 8; budget++) {
            DraftTree small = auto.draft(TokenHistory.of(9), budget);
            assertThat(small.draftedCount()).isLessThanOrEqualTo(budget);
            tokenPaths(small);
        }
        assertThat(auto.depthAt(5)).isEqualTo(5);
    }

    @Test
    void scoresFollowAcceptedTokensPerNodeAndReorderTheDrafters() {
        Fixed good = new Fixed("good", new int[] {1, 2});
        Fixed bad = new Fixed("bad", new int[] {5}, new int[] {6}, new int[] {7}, new int[] {8});
        AutoDrafter auto = new AutoDrafter(List.of(bad, good));
        for (int s = 0; s < 30; s++) {
            DraftTree t = auto.draft(TokenHistory.of(9), 6);
            int n1 = t.child(0, 1);
            int n2 = t.child(n1, 2);
            auto.observe(new Verification(t, new int[] {0, n1, n2}, 3, new int[0], 0), TokenHistory.of(9, 1, 2, 3));
        }
        assertThat(auto.score(1)).isGreaterThan(0.9);   // good: 2 accepted of 2 drafted
        assertThat(auto.score(0)).isLessThan(0.05);     // bad: 0 of 4
        assertThat(good.observed).isEqualTo(30);
        assertThat(bad.observed).isEqualTo(30);
        good.budgets.clear();
        bad.budgets.clear();
        auto.draft(TokenHistory.of(9), 20);
        assertThat(good.budgets.get(0)).isGreaterThan(15);  // asked first, with most of the budget
        assertThat(bad.budgets.get(0)).isGreaterThan(0);    // never starved: it gets the floor plus what good left
        auto.startGeneration(new int[] {1});
        auto.endGeneration();
        assertThat(good.starts).isEqualTo(1);
        assertThat(bad.ends).isEqualTo(1);
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

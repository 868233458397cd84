package io.tokenflow.speculative;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NgramDrafterTest {

    /** The first chain by brute force: latest earlier occurrence of the last n tokens, n = maxN..1, self-extending. */
    private static int[] referenceChain(int[] h, int maxN, int length) {
        int size = h.length;
        for (int n = Math.min(maxN, size - 1); n >= 1; n--) {
            for (int e = size - 2; e >= n - 1; e--) {
                boolean match = true;
                for (int j = 0; j < n && match; j++) match = h[e - j] == h[size - 1 - j];
                if (!match) continue;
                int[] c = new int[length];
                for (int j = 0; j < length; j++) {
                    int pos = e + 1 + j;
                    c[j] = pos < size ? h[pos] : c[pos - size];
                }
                return c;
            }
        }
        return new int[0];
    }

    /** Tokens of the chain 1, 2, ... (the first continuation is inserted first, so it is nodes 1..L). */
    private static int[] firstChain(DraftTree t) {
        int node = 0;
        int[] out = new int[t.maxDepth()];
        int len = 0;
        while (node + 1 < t.size() && t.parent(node + 1) == node) {
            out[len++] = t.token(++node);
        }
        return Arrays.copyOf(out, len);
    }

    @Test
    void repetitiveSequenceDraftsTheTrueContinuation() {
        int[] period = {11, 12, 13, 14, 15, 16, 17};
        int[] seq = new int[3 * period.length + 3];
        for (int i = 0; i < seq.length; i++) seq[i] = period[i % period.length];
        NgramDrafter d = new NgramDrafter();
        DraftTree t = d.draft(TokenHistory.of(seq), 10);
        assertThat(t.rootToken()).isEqualTo(13);
        assertThat(t.size()).isEqualTo(11);
        assertThat(t.tokensAlong(t.pathTo(10))).containsExactly(14, 15, 16, 17, 11, 12, 13, 14, 15, 16);
        // Longer than the history holds after the match: the continuation copies itself.
        DraftTree longer = d.draft(TokenHistory.of(11, 12, 13, 11, 12), 8);
        assertThat(firstChain(longer)).containsExactly(13, 11, 12, 13, 11, 12, 13, 11);
    }

    @Test
    void respectsBudgetAndChainLength() {
        Random rnd = new Random(1);
        int[] seq = new int[400];
        for (int i = 0; i < seq.length; i++) seq[i] = rnd.nextInt(6);
        NgramDrafter d = new NgramDrafter(4, 5, 16);
        TokenHistory h = TokenHistory.of(seq);
        for (int budget = 0; budget <= 60; budget++) {
            DraftTree t = d.draft(h, budget);
            assertThat(t.draftedCount()).isLessThanOrEqualTo(budget);
            assertThat(t.maxDepth()).isLessThanOrEqualTo(5);
            assertThat(t.rootToken()).isEqualTo(seq[seq.length - 1]);
        }
        assertThat(d.draft(h, 60).draftedCount()).isEqualTo(60);  // many matches: the budget is filled
        assertThatThrownBy(() -> d.draft(h, -1)).hasMessageContaining("budget");
        assertThatThrownBy(() -> d.draft(h, 256)).hasMessageContaining("budget");
        assertThat(d.depthAt(3)).isEqualTo(3);
        assertThat(d.depthAt(30)).isEqualTo(5);
    }

    @Test
    void noMatchGivesTheRootOnly() {
        NgramDrafter d = new NgramDrafter();
        assertThat(d.draft(TokenHistory.of(1, 2, 3, 4), 10).size()).isEqualTo(1);
        assertThat(d.draft(TokenHistory.of(7), 10).size()).isEqualTo(1);
    }

    @Test
    void furtherMatchesBecomeDistinctBranches() {
        // "1 2 3" was followed by 40 then by 50; most recent first, then older; then shorter n-grams (3 -> 9).
        int[] seq = {1, 2, 3, 40, 41, 0, 1, 2, 3, 50, 51, 0, 3, 9, 0, 1, 2, 3};
        DraftTree t = new NgramDrafter(4, 2, 16).draft(TokenHistory.of(seq), 20);
        assertThat(firstChain(t)).containsExactly(50, 51);
        Set<Integer> firstTokens = new HashSet<>();
        for (int c : t.children(0)) firstTokens.add(t.token(c));
        assertThat(firstTokens).containsExactlyInAnyOrder(50, 40, 9);
        Set<String> paths = new HashSet<>();
        for (int[] p : t.paths()) assertThat(paths.add(Arrays.toString(t.tokensAlong(p)))).isTrue();
        assertThat(paths).contains("[50, 51]", "[40, 41]", "[9, 0]");
    }

    @Test
    void incrementalIndexMatchesBruteForceAsTokensAreAppended() {
        Random rnd = new Random(42);
        NgramDrafter d = new NgramDrafter(3, 6, 4);
        TokenBuffer h = TokenBuffer.of(rnd.nextInt(5));
        for (int step = 0; step < 600; step++) {
            int add = 1 + rnd.nextInt(3);
            for (int j = 0; j < add; j++) h.append(rnd.nextInt(step < 300 ? 5 : 40));
            DraftTree t = d.draft(h, 6);
            int[] want = referenceChain(h.toArray(), 3, 6);
            assertThat(firstChain(t)).as("step %d", step).containsExactly(want);
        }
        // A different history object: the index is rebuilt for it.
        int[] other = {9, 8, 9, 8, 9};
        assertThat(firstChain(d.draft(TokenHistory.of(other), 4))).containsExactly(referenceChain(other, 3, 4));
    }

    @Test
    void generationsAreLossless() {
        ToyModel model = new ToyModel(30, 2, 3);
        int[] prompt = new int[40];
        for (int i = 0; i < prompt.length; i++) prompt[i] = i % 30;
        NgramDrafter d = new NgramDrafter();
        ToyModel.Run run = model.generate(d, prompt, 200, 16);
        assertThat(run.tokens()).containsExactly(model.greedy(prompt, 200));
        assertThat(run.stats().meanAcceptedPerStep()).isGreaterThan(0.5);  // an order-2 model falls into a copyable cycle
    }
}

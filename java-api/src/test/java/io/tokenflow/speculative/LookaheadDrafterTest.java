package io.tokenflow.speculative;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LookaheadDrafterTest {

    private static final int[] PROMPT = {1, 2, 3, 4, 1, 2, 5, 6};

    private static int[] concat(int[] a, int... b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static LookaheadDrafter drafter(int decodingLength, int branchLength) {
        return new LookaheadDrafter(decodingLength, branchLength, 65536, 512);
    }

    @Test
    void promptIsInsertedWithBranchLengthPlusOneTokens() {
        LookaheadDrafter d = drafter(64, 3);
        d.startGeneration(PROMPT);
        LookaheadCache c = d.cache();
        // Under 1: "2 3 4 1" (from position 0) and "2 5 6" (from position 4, cut by the prompt's end).
        assertThat(c.find(1, 2).fi).isEqualTo(2);
        assertThat(c.find(1, 2, 3, 4, 1).fi).isEqualTo(1);
        assertThat(c.find(1, 2, 3, 4, 1).childCount()).isZero();
        assertThat(c.find(1, 2, 5, 6).fi).isEqualTo(1);
        assertThat(c.find(2, 3, 4, 1, 2).fi).isEqualTo(1);
        assertThat(c.find(6)).isNull();  // the last token has no successor
        assertThat(c.find(1, 2).fo).isZero();
    }

    @Test
    void retrievesTheContinuationOfTheLastTwoTokens() {
        LookaheadDrafter d = drafter(64, 3);
        d.startGeneration(PROMPT);
        DraftTree t = d.draft(TokenHistory.of(concat(PROMPT, 1, 2)), 64);
        // (1, 2) continues with "3 4 1" and "5 6"; depth-first, most frequent first (ties: insertion order).
        assertThat(t.tokens()).containsExactly(2, 3, 4, 1, 5, 6);
        assertThat(t.parents()).containsExactly(-1, 0, 1, 2, 0, 4);
    }

    @Test
    void fallsBackToTheLastTokenAlone() {
        LookaheadDrafter d = drafter(64, 3);
        d.startGeneration(PROMPT);
        // (9, 1) is unknown: the trie of 1 is used, depth <= 3.
        DraftTree t = d.draft(TokenHistory.of(concat(PROMPT, 9, 1)), 64);
        assertThat(t.tokens()).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(t.maxDepth()).isEqualTo(3);
        // (5, 6) is known but has no continuation, and 6 has no trie: the root alone.
        assertThat(d.draft(TokenHistory.of(concat(PROMPT, 5, 6)), 64).size()).isEqualTo(1);
    }

    @Test
    void prefersFrequentBranches() {
        LookaheadDrafter d = drafter(64, 4);
        d.startGeneration(new int[] {7, 1, 0, 7, 2, 0, 7, 2, 0, 7, 3});
        DraftTree t = d.draft(TokenHistory.of(8, 7), 1);
        assertThat(t.tokens()).containsExactly(7, 2);  // 2 followed 7 twice, 1 and 3 once
        DraftTree all = d.draft(TokenHistory.of(8, 7), 64);
        assertThat(all.token(all.children(0)[0])).isEqualTo(2);
    }

    @Test
    void limitsAreRespected() {
        int[] prompt = new int[300];
        Random rnd = new Random(3);
        for (int i = 0; i < prompt.length; i++) prompt[i] = rnd.nextInt(4);
        LookaheadDrafter d = drafter(20, 5);
        d.startGeneration(prompt);
        TokenHistory h = TokenHistory.of(concat(prompt, 1, 2));
        for (int budget = 0; budget < 40; budget++) {
            DraftTree t = d.draft(h, budget);
            assertThat(t.draftedCount()).isLessThanOrEqualTo(Math.min(budget, 19));
            assertThat(t.maxDepth()).isLessThanOrEqualTo(5);
        }
        assertThat(d.draft(h, 40).draftedCount()).isEqualTo(19);
        assertThat(d.depthAt(3)).isEqualTo(3);
        assertThat(d.depthAt(100)).isEqualTo(5);
        assertThat(new LookaheadDrafter().draft(h, 255).draftedCount()).isLessThanOrEqualTo(63);
        assertThatThrownBy(() -> drafter(0, 3)).hasMessageContaining("decodingLength");
        assertThatThrownBy(() -> drafter(10, 0)).hasMessageContaining("branchLength");
    }

    @Test
    void promptCountsAreZeroedAndPromptOnlyNodesDroppedAtTheEnd() {
        LookaheadDrafter d = drafter(64, 3);
        d.startGeneration(PROMPT);
        // The output repeats part of the prompt: "2 3 4" gains output counts.
        TokenBuffer h = TokenBuffer.of(PROMPT);
        for (int t : new int[] {1, 2, 3, 4, 9, 9, 9}) {
            h.append(t);
            d.observe(Verification.plain(h.get(h.size() - 2), t, new int[0]), h);
        }
        d.endGeneration();
        LookaheadCache c = d.cache();
        assertThat(c.find(1, 2).fi).isZero();
        assertThat(c.find(1, 2).fo).isEqualTo(1);
        assertThat(c.find(1, 2, 3, 4).fo).isEqualTo(1);
        assertThat(c.find(1, 2, 5)).as("prompt-only branch").isNull();
        assertThat(c.find(5)).as("prompt-only tree").isNull();
        assertThat(c.find(4, 1)).as("prompt-only continuation of 4").isNull();
        assertThat(c.find(4, 9, 9, 9).fo).isEqualTo(1);

        // The next request with another prompt: nothing of the old prompt is drafted, the outputs are.
        d.startGeneration(new int[] {20, 21});
        assertThat(d.draft(TokenHistory.of(20, 21, 5), 64).size()).isEqualTo(1);
        DraftTree t = d.draft(TokenHistory.of(20, 21, 1), 64);
        assertThat(t.tokensAlong(t.pathTo(t.size() - 1))).containsExactly(2, 3, 4);
        d.endGeneration();
    }

    @Test
    void outputsAreInsertedOnceTheirSuccessorsAreComplete() {
        LookaheadDrafter d = drafter(64, 2);
        d.startGeneration(new int[] {50});
        TokenBuffer h = TokenBuffer.of(50);
        h.appendAll(7, 8, 9);
        d.observe(Verification.plain(50, 9, new int[0]), h);
        assertThat(d.cache().find(7)).isNull();  // 7 has two successors, needs three
        h.append(10);
        d.observe(Verification.plain(9, 10, new int[0]), h);
        assertThat(d.cache().find(7, 8, 9, 10).fo).isEqualTo(1);
        assertThat(d.cache().find(8)).isNull();
        d.endGeneration();  // flushes the tails: 8 -> 9 10, 9 -> 10
        assertThat(d.cache().find(8, 9, 10).fo).isEqualTo(1);
        assertThat(d.cache().find(9, 10).fo).isEqualTo(1);
        assertThat(d.cache().find(10)).isNull();
    }

    @Test
    void squeezeHalvesFrequentOutputsAndDropsTheRest() {
        LookaheadCache c = new LookaheadCache(4, 512);
        int[] seq = {1, 2, 3, 4, 5};
        c.insert(0, seq, 0, 5, false);
        c.insert(0, seq, 0, 5, false);
        c.insert(0, new int[] {6, 7}, 0, 2, false);
        for (int key = 1; key < LookaheadCache.SQUEEZE_AFTER_UPDATED_TREES; key++) c.insert(key, new int[] {1}, 0, 1, false);
        assertThat(c.nodeCount(0)).isEqualTo(7);
        c.endRequest();
        assertThat(c.find(0, 6)).isNull();
        assertThat(c.find(0, 1, 2, 3, 4, 5).fo).isEqualTo(1);
        assertThat(c.nodeCount(0)).isEqualTo(5);
        assertThat(c.find(1, 1).fo).isEqualTo(1);  // within limits: untouched
    }

    @Test
    void generationsAreLossless() {
        ToyModel model = new ToyModel(30, 2, 5);
        LookaheadDrafter d = new LookaheadDrafter();
        int[] prompt = model.greedy(new int[] {1, 2}, 120);  // the prompt already holds the text to come
        ToyModel.Run run = model.generate(d, new int[] {1, 2}, 100, 32);
        assertThat(run.tokens()).containsExactly(model.greedy(new int[] {1, 2}, 100));
        ToyModel.Run primed = model.generate(d, concat(prompt, 1, 2), 60, 32);
        assertThat(primed.tokens()).containsExactly(model.greedy(concat(prompt, 1, 2), 60));
        assertThat(primed.stats().meanAcceptedPerStep()).isGreaterThan(1.0);
    }
}

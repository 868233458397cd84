package io.tokenflow.speculative;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A deterministic stand-in for the target model plus the engine's greedy tree verification (ALGORITHMS.md §2), so
 * drafters can be driven through the whole contract without native code.
 */
final class ToyModel {
    final int vocab;
    private final int order;
    private final long seed;

    /** Next-token ranking depends on the last {@code order} tokens only. */
    ToyModel(int vocab, int order, long seed) {
        this.vocab = vocab;
        this.order = order;
        this.seed = seed;
    }

    /** The top-k next tokens after {@code context} (distinct, best first). */
    int[] topK(int[] context, int length, int k) {
        long h = seed;
        for (int j = Math.max(0, length - order); j < length; j++) h = (h ^ (context[j] + 1)) * 0x9E3779B97F4A7C15L;
        int[] out = new int[k];
        for (int r = 0; r < k; r++) {
            h ^= h >>> 29;
            h *= 0xBF58476D1CE4E5B9L;
            h ^= h >>> 32;
            int t = (int) Math.floorMod(h, (long) vocab);
            while (contains(out, r, t)) t = (t + 1) % vocab;
            out[r] = t;
        }
        return out;
    }

    private static boolean contains(int[] a, int n, int t) {
        for (int j = 0; j < n; j++) if (a[j] == t) return true;
        return false;
    }

    /** Greedy verification of {@code tree} rooted at {@code history.last()}, with k candidates for every node. */
    Verification verify(DraftTree tree, TokenHistory history, int k) {
        int base = history.size();
        int[] context = new int[base + tree.maxDepth() + 1];
        for (int i = 0; i < base; i++) context[i] = history.get(i);
        int[] cands = new int[tree.size() * k];
        for (int i = 0; i < tree.size(); i++) {
            int[] path = tree.pathTo(i);
            for (int j = 1; j < path.length; j++) context[base + j - 1] = tree.token(path[j]);
            System.arraycopy(topK(context, base + path.length - 1, k), 0, cands, i * k, k);
        }
        List<Integer> accepted = new ArrayList<>();
        accepted.add(0);
        int node = 0;
        while (true) {
            int child = tree.child(node, cands[node * k]);
            if (child < 0) break;
            accepted.add(child);
            node = child;
        }
        return new Verification(tree, accepted.stream().mapToInt(Integer::intValue).toArray(), cands[node * k], cands, k);
    }

    /** Plain greedy continuation of {@code prompt}: {@code n} tokens. */
    int[] greedy(int[] prompt, int n) {
        int[] context = Arrays.copyOf(prompt, prompt.length + n);
        for (int i = 0; i < n; i++) context[prompt.length + i] = topK(context, prompt.length + i, 1)[0];
        return Arrays.copyOfRange(context, prompt.length, prompt.length + n);
    }

    /** Result of {@link #generate}: the tokens and the counters. */
    record Run(int[] tokens, SpeculationStats stats) {}

    /**
     * The engine loop: the first token by a plain step, then draft, verify, append, observe until {@code n} tokens.
     * Emitted tokens past {@code n} are cut, as an engine stopping at maxTokens would.
     */
    Run generate(Drafter drafter, int[] prompt, int n, int budget) {
        drafter.startGeneration(prompt);
        TokenBuffer history = TokenBuffer.of(prompt);
        SpeculationStats.Accumulator stats = SpeculationStats.accumulator(drafter.name());
        history.append(topK(prompt, prompt.length, 1)[0]);
        while (history.size() - prompt.length < n) {
            DraftTree tree = drafter.draft(history, budget);
            if (tree.rootToken() != history.last() || tree.draftedCount() > budget) throw new AssertionError("bad tree " + tree);
            Verification v = verify(tree, history, Verification.DEFAULT_K);
            for (int t : v.emittedTokens()) history.append(t);
            drafter.observe(v, history);
            stats.step(v, 0, 0, 0);
        }
        drafter.endGeneration();
        int[] all = history.toArray();
        return new Run(Arrays.copyOfRange(all, prompt.length, prompt.length + n), stats.build());
    }
}

package io.tokenflow.speculative;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Several drafters under one node budget. Their trees are merged as a trie (the same token path is one node), so
 * agreement costs nothing and the result never holds duplicate paths.
 *
 * <p>The budget rule. Each drafter has a score: an exponential moving average (weight {@value #EMA_WEIGHT}, prior
 * {@value #PRIOR_SCORE}) of its accepted tokens per drafted node, where "accepted" counts the leading accepted tokens
 * that its own tree held as a path from the root; a step in which it proposed nothing leaves the score alone. Every
 * step, drafters are asked in descending score order (ties: construction order). Drafter i is offered the share
 * {@code floor(budget * w_i / sum w)}, with {@code w_i = max(score_i, }{@value #MIN_RELATIVE_WEIGHT}{@code  * max score)}
 * so that no drafter starves and can recover, plus whatever the drafters before it left unused (a smaller tree, or
 * nodes that were already in the merged tree); the last one is offered all that remains. Its tree is merged in node
 * order until the budget is full. Observations go to every drafter.
 */
public final class AutoDrafter implements Drafter {

    public static final double EMA_WEIGHT = 0.1;
    public static final double PRIOR_SCORE = 0.25;
    public static final double MIN_RELATIVE_WEIGHT = 0.1;

    private final List<Drafter> drafters;
    private final double[] scores;
    /** Each drafter's own tree of the last step (null: it was not asked), for attribution in observe. */
    private final DraftTree[] own;
    private final int[] map = new int[DraftTree.MAX_NODES];

    public AutoDrafter(List<Drafter> drafters) {
        if (drafters == null || drafters.isEmpty()) throw new IllegalArgumentException("AutoDrafter needs at least one drafter");
        for (Drafter d : drafters) if (d == null) throw new IllegalArgumentException("drafters must not contain null");
        this.drafters = List.copyOf(drafters);
        this.scores = new double[drafters.size()];
        Arrays.fill(scores, PRIOR_SCORE);
        this.own = new DraftTree[drafters.size()];
    }

    /** N-gram, Lookahead and Token Recycling with their defaults. */
    public static AutoDrafter standard(int vocabSize) {
        return new AutoDrafter(List.of(new NgramDrafter(), new LookaheadDrafter(), new TokenRecyclingDrafter(vocabSize)));
    }

    @Override
    public String name() { return "auto"; }

    public List<Drafter> drafters() { return drafters; }

    /** The current score of drafter {@code i} (accepted tokens per drafted node, smoothed). */
    public double score(int i) { return scores[i]; }

    @Override
    public void startGeneration(int[] prompt) {
        Arrays.fill(own, null);
        for (Drafter d : drafters) d.startGeneration(prompt);
    }

    @Override
    public DraftTree draft(TokenHistory history, int budget) {
        Drafter.checkBudget(budget);
        Arrays.fill(own, null);
        DraftTree.Builder merged = DraftTree.builder(history.last());
        if (budget == 0) return merged.build();
        int[] order = order();
        int[] shares = shares(order, budget);
        int carry = 0;
        for (int r = 0; r < order.length; r++) {
            int remaining = budget - (merged.size() - 1);
            if (remaining <= 0) break;
            int i = order[r];
            int offer = r == order.length - 1 ? remaining : Math.min(remaining, shares[r] + carry);
            if (offer <= 0) continue;
            DraftTree t = drafters.get(i).draft(history, offer);
            if (t.rootToken() != history.last()) {
                throw new IllegalStateException(drafters.get(i).name() + " drafted a tree rooted at " + t.rootToken()
                        + " instead of the last token " + history.last());
            }
            own[i] = t;
            int added = merge(t, merged, budget);
            carry = offer - added;
        }
        return merged.build();
    }

    @Override
    public void observe(Verification v, TokenHistory history) {
        int[] accepted = v.acceptedTokens();
        for (int i = 0; i < drafters.size(); i++) {
            DraftTree t = own[i];
            if (t != null && t.draftedCount() > 0 && t.rootToken() == v.tree().rootToken()) {
                int hit = 0;
                for (int node = 0; hit < accepted.length; hit++) {
                    node = t.child(node, accepted[hit]);
                    if (node < 0) break;
                }
                scores[i] = (1 - EMA_WEIGHT) * scores[i] + EMA_WEIGHT * hit / t.draftedCount();
            }
            own[i] = null;
            drafters.get(i).observe(v, history);
        }
    }

    @Override
    public void endGeneration() {
        Arrays.fill(own, null);
        for (Drafter d : drafters) d.endGeneration();
    }

    @Override
    public int depthAt(int budget) {
        int depth = 0;
        for (Drafter d : drafters) depth = Math.max(depth, d.depthAt(budget));
        return depth;
    }

    /** Drafter indices by descending score, ties in construction order. */
    private int[] order() {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < drafters.size(); i++) idx.add(i);
        idx.sort((a, b) -> Double.compare(scores[b], scores[a]));
        return idx.stream().mapToInt(Integer::intValue).toArray();
    }

    /** shares[r] for the r-th drafter of {@code order}; they sum to {@code budget}. */
    private int[] shares(int[] order, int budget) {
        double max = 0;
        for (double s : scores) max = Math.max(max, s);
        double[] w = new double[order.length];
        double sum = 0;
        for (int r = 0; r < order.length; r++) {
            w[r] = Math.max(scores[order[r]], Math.max(MIN_RELATIVE_WEIGHT * max, 1e-9));
            sum += w[r];
        }
        int[] shares = new int[order.length];
        int given = 0;
        for (int r = 0; r < order.length; r++) {
            shares[r] = (int) Math.floor(budget * w[r] / sum);
            given += shares[r];
        }
        shares[0] += budget - given;
        return shares;
    }

    /** Inserts {@code t} into {@code merged} as a trie, in node order, up to {@code budget} drafted nodes; returns nodes added. */
    private int merge(DraftTree t, DraftTree.Builder merged, int budget) {
        int before = merged.size();
        map[0] = 0;
        for (int i = 1; i < t.size(); i++) {
            int parent = map[t.parent(i)];
            if (parent < 0) {
                map[i] = -1;
                continue;
            }
            int existing = merged.find(parent, t.token(i));
            if (existing >= 0) map[i] = existing;
            else map[i] = merged.size() <= budget ? merged.add(parent, t.token(i)) : -1;
        }
        return merged.size() - before;
    }
}

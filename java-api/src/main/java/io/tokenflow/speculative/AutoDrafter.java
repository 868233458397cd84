package io.tokenflow.speculative;

import java.util.Arrays;
import java.util.List;

/**
 * Several drafters under one node budget, allocated node by node to whichever drafter's next node is most likely to be
 * accepted. Their trees are merged as a trie (the same token path is one node), so agreement costs nothing and the
 * result never holds duplicate paths.
 *
 * <p>The budget rule. Every step each drafter proposes a tree of the whole budget. Drafter i's drafted nodes, in its
 * own order (parents before children, its best guesses first), have values {@code v_i[0], v_i[1], ...}: {@code v_i[r]}
 * is an exponential moving average (weight {@value #EMA_WEIGHT}, prior {@value #PRIOR_VALUE}) of whether its r-th node
 * lay on the path the target model took. The merged tree is built greedily: the next node is the next one of the
 * drafter whose next node has the highest value (ties: the shallower rank, then construction order); a node already
 * in the merged tree costs nothing; this repeats until the budget is full or every tree is used up. So a drafter whose
 * deep chain keeps being accepted gets the whole budget, and one that proposes nothing leaves it to the others.
 *
 * <p>Values are learned counterfactually, for every drafter's every node, not only the merged ones: after a step the
 * target's path is known to the bonus token (accepted tokens, then the bonus), so a node is a known hit when its token
 * path is a prefix of that path, a known miss when it leaves that path within its known length, and unknown (no update)
 * when it continues beyond the bonus. Hence no drafter starves: one that got no nodes is still judged on what it
 * proposed. (For T > 0 the target's path is one sample; the values are then estimates, which only the budget uses:
 * verification stays lossless whatever the tree.)
 */
final class AutoDrafter implements Drafter {

    public static final double EMA_WEIGHT = 0.1;
    public static final double PRIOR_VALUE = 0.25;

    private static final int MISS = 0, HIT = 1, UNKNOWN = 2;

    private final List<Drafter> drafters;
    /** values[i][r]: drafter i's r-th drafted node (node r + 1 of its tree). */
    private final double[][] values;
    /** Each drafter's own tree of the last step (null: none), judged in observe. */
    private final DraftTree[] own;
    /** Per step, reused: maps[i][node] = node's index in the merged tree (the root, never written, stays 0); next[i] = drafter i's next node. */
    private final int[][] maps;
    private final int[] next;
    private final int[] state = new int[DraftTree.MAX_NODES];

    public AutoDrafter(List<Drafter> drafters) {
        if (drafters == null || drafters.isEmpty()) throw new IllegalArgumentException("AutoDrafter needs at least one drafter");
        for (Drafter d : drafters) if (d == null) throw new IllegalArgumentException("drafters must not contain null");
        this.drafters = List.copyOf(drafters);
        this.values = new double[drafters.size()][DraftTree.MAX_NODES - 1];
        for (double[] v : values) Arrays.fill(v, PRIOR_VALUE);
        this.own = new DraftTree[drafters.size()];
        this.maps = new int[drafters.size()][DraftTree.MAX_NODES];
        this.next = new int[drafters.size()];
    }

    /** N-gram, Lookahead and Token Recycling with their defaults. */
    public static AutoDrafter standard(int vocabSize) {
        return new AutoDrafter(List.of(new NgramDrafter(), new LookaheadDrafter(), new TokenRecyclingDrafter(vocabSize)));
    }

    @Override
    public String name() { return "auto"; }

    public List<Drafter> drafters() { return drafters; }

    /** The learned value of drafter {@code i}'s {@code rank}-th drafted node: how often such a node was accepted (smoothed). */
    public double value(int i, int rank) {
        if (i < 0 || i >= drafters.size()) throw new IndexOutOfBoundsException("drafter " + i + " outside [0, " + drafters.size() + ")");
        if (rank < 0 || rank >= values[i].length) throw new IndexOutOfBoundsException("rank " + rank + " outside [0, " + values[i].length + ")");
        return values[i][rank];
    }

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
        int n = drafters.size();
        for (int i = 0; i < n; i++) {
            DraftTree t = drafters.get(i).draft(history, budget);
            if (t.rootToken() != history.last()) {
                throw new IllegalStateException(drafters.get(i).name() + " drafted a tree rooted at " + t.rootToken()
                        + " instead of the last token " + history.last());
            }
            own[i] = t;
        }
        Arrays.fill(next, 1);
        while (merged.size() - 1 < budget) {
            int pick = -1;
            for (int i = 0; i < n; i++) {
                if (next[i] >= own[i].size()) continue;
                if (pick < 0 || better(i, next[i] - 1, pick, next[pick] - 1)) pick = i;
            }
            if (pick < 0) break;
            DraftTree t = own[pick];
            int node = next[pick]++;
            int parent = maps[pick][t.parent(node)];
            int existing = merged.find(parent, t.token(node));
            maps[pick][node] = existing >= 0 ? existing : merged.add(parent, t.token(node));
        }
        return merged.build();
    }

    private boolean better(int i, int rankI, int j, int rankJ) {
        double vi = values[i][rankI], vj = values[j][rankJ];
        if (vi != vj) return vi > vj;
        return rankI < rankJ;  // equal value: breadth first; then construction order (i > j here)
    }

    @Override
    public void observe(Verification v, TokenHistory history) {
        int[] path = v.emittedTokens();  // the target's path: accepted tokens, then the bonus
        for (int i = 0; i < drafters.size(); i++) {
            DraftTree t = own[i];
            if (t != null && t.rootToken() == v.tree().rootToken()) judge(t, path, values[i]);
            own[i] = null;
            drafters.get(i).observe(v, history);
        }
    }

    /** Updates {@code value} from each node of {@code t} whose fate against {@code path} is known. */
    private void judge(DraftTree t, int[] path, double[] value) {
        state[0] = HIT;
        for (int node = 1; node < t.size(); node++) {
            int p = state[t.parent(node)];
            int d = t.depth(node);
            int s = p != HIT ? p : d > path.length ? UNKNOWN : t.token(node) == path[d - 1] ? HIT : MISS;
            state[node] = s;
            if (s != UNKNOWN) value[node - 1] = (1 - EMA_WEIGHT) * value[node - 1] + EMA_WEIGHT * (s == HIT ? 1 : 0);
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
}

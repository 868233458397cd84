package io.tokenflow.kv;

import io.tokenflow.internal.NativeKernels;
import io.tokenflow.internal.NativeSession;

import java.util.Arrays;

/**
 * WindowKV (ALGORITHMS §6): keep whole windows of {@code w} consecutive prompt tokens, scored by the observation
 * window (the last S prompt tokens, the "suffix", always kept), plus the suffix.
 *
 * <p>Deviation from the paper: it selects per layer group with per-group budgets. A llama.cpp KV cell holds every
 * layer of a token, so one selection serves all layers: the native kernel scores only the group leaders
 * ({@link #leaderLayers}), and {@link #select} merges their window scores, weighting each leader by its group's share
 * of the paper's budgets ({@link #groupBudgets}, {@link #leaderWeights}).
 */
final class WindowKvSelector implements CellSelector {
    private final KvCompression config;
    private final int nLayer;

    WindowKvSelector(KvCompression config, int nLayer) {
        this.config = config;
        this.nLayer = nLayer;
    }

    /** The group leaders. */
    @Override
    public int[] scoredLayers() { return leaderLayers(nLayer, config.layerGroups()); }

    /** Each leader's attention aggregated per window (average, or top-t mean for tasks that want it), then merged. */
    @Override
    public Selection choose(NativeSession session, int windowStart, int window, int budget) {
        int[] layers = scoredLayers();
        float[][] perLayer = new float[layers.length][];
        int[] positions = null;
        int w = config.windowSize();
        for (int slot = 0; slot < layers.length; slot++) {
            NativeSession.TapScores t = session.tapScores(slot, windowStart);
            int m = t.positions().length;
            if (positions == null) positions = t.positions();
            perLayer[slot] = new float[(m + w - 1) / w];
            if (m > 0) NativeKernels.windowAggregate(t.scores(), t.heads(), m, w, config.task().maxScoring(), perLayer[slot]);
        }
        int m = positions.length;
        return new Selection(positions, select(perLayer, m + window, budget, window, w,
                leaderWeights(budget, nLayer, config.layerGroups(), config.groupBeta())));
    }

    /**
     * The paper's per-group budgets for mean budget B: G = ceil(nLayers / groupSize) groups, {@code last = B·s // β},
     * {@code first = 2B − last}, {@code step = (first − last) // (G − 1)}, group g gets {@code first − g·step} and
     * the final group {@code last}; G = 1 gives [B]. When nLayers is not a multiple of s the remainder layers form
     * a smaller final group (so the layer-weighted mean is a little above B; the reference left them without a
     * budget). Values are clamped to >= 1: the formula reaches 0 for tiny B and goes negative when s >= 2β.
     */
    static int[] groupBudgets(int meanBudget, int nLayers, int groupSize, int beta) {
        if (meanBudget < 1) throw new IllegalArgumentException("meanBudget must be >= 1, got " + meanBudget);
        if (nLayers < 1) throw new IllegalArgumentException("nLayers must be >= 1, got " + nLayers);
        if (groupSize < 1) throw new IllegalArgumentException("groupSize must be >= 1, got " + groupSize);
        if (beta < 1) throw new IllegalArgumentException("beta must be >= 1, got " + beta);
        int groups = ceilDiv(nLayers, groupSize);
        if (groups == 1) return new int[] {meanBudget};
        long last = (long) meanBudget * groupSize / beta;
        long first = 2L * meanBudget - last;
        long step = Math.floorDiv(first - last, groups - 1);
        int[] out = new int[groups];
        for (int g = 0; g < groups; g++) {
            long b = g == groups - 1 ? last : first - g * step;
            out[g] = (int) Math.max(1, Math.min(Integer.MAX_VALUE, b));
        }
        return out;
    }

    /**
     * The layers the native kernel scores ("group-wise layer index sharing"): with group size
     * s = ceil(nLayers / groups), the layers ℓ with ℓ % s == 0. There are ceil(nLayers / s) of them, which can be
     * fewer than {@code groups} (5 layers in 4 groups: s = 2, leaders 0, 2, 4).
     */
    static int[] leaderLayers(int nLayers, int groups) {
        if (nLayers < 1) throw new IllegalArgumentException("nLayers must be >= 1, got " + nLayers);
        if (groups < 1) throw new IllegalArgumentException("groups must be >= 1, got " + groups);
        int s = groupSize(nLayers, groups);
        int[] out = new int[ceilDiv(nLayers, s)];
        for (int g = 0; g < out.length; g++) out[g] = g * s;
        return out;
    }

    /** Layers per group, ceil(nLayers / groups). */
    static int groupSize(int nLayers, int groups) {
        if (nLayers < 1 || groups < 1) throw new IllegalArgumentException("nLayers and groups must be >= 1, got " + nLayers + ", " + groups);
        return ceilDiv(nLayers, groups);
    }

    /**
     * Default weights for {@link #select}: leader g's weight is proportional to its group budget times the layers in
     * its group, i.e. to the cells that group would have kept in the paper. Earlier groups (bigger budgets) weigh more.
     */
    static double[] leaderWeights(int meanBudget, int nLayers, int groups, int beta) {
        int s = groupSize(nLayers, groups);
        int[] budgets = groupBudgets(meanBudget, nLayers, s, beta);
        double[] w = new double[budgets.length];
        double sum = 0;
        for (int g = 0; g < w.length; g++) {
            int layers = Math.min(s, nLayers - g * s);
            w[g] = (double) budgets[g] * layers;
            sum += w[g];
        }
        for (int g = 0; g < w.length; g++) w[g] /= sum;
        return w;
    }

    /**
     * Chooses the kept positions. Review region R = positions [0, n − suffix), cut into windows
     * [m·w, min((m+1)·w, |R|)) (the last may be partial); the suffix [n − suffix, n) is always kept.
     *
     * <p>Each leader's window scores are normalised to sum 1 (a leader whose sum is not finite and positive is
     * skipped), then averaged with {@code leaderWeights}. If R fits in {@code budget − suffix} everything is kept;
     * otherwise the lowest windows are dropped until the kept review tokens fit. That is the paper's
     * ceil((|R| − (budget − suffix)) / w) windows, or one more when the partial last window is among them (the
     * paper's count could then overshoot the budget). Hence {@code budget − w + 1 <= kept <= budget} when compressing
     * (keeping the suffix only if all windows go). Ties drop the later window first: the earliest windows hold the
     * attention sinks, and it matches SnapKV's tie rule.
     *
     * @param windowScoresPerLeader [leader][window], ceil(|R| / w) aggregated scores each (AVG or MAX per task, from
     *     the native kernel); unread when {@code budget >= n}
     * @param leaderWeights one non-negative finite weight per leader, or null for equal weights
     * @throws IllegalArgumentException on bad sizes or weights, or a compressing budget smaller than the suffix
     */
    static KeptSet select(float[][] windowScoresPerLeader, int n, int budget, int suffix, int w, double[] leaderWeights) {
        if (n < 0) throw new IllegalArgumentException("n must be >= 0, got " + n);
        if (budget < 1) throw new IllegalArgumentException("budget must be >= 1, got " + budget);
        if (suffix < 0 || suffix > n) throw new IllegalArgumentException("suffix must be in [0, " + n + "], got " + suffix);
        if (w < 1) throw new IllegalArgumentException("window size w must be >= 1, got " + w);
        if (budget >= n) return KeptSet.all(n);
        if (budget < suffix) {
            throw new IllegalArgumentException("budget " + budget + " tokens is smaller than the observation window of " + suffix);
        }
        int review = n - suffix;
        int windows = ceilDiv(review, w);
        double[] combined = combine(windowScoresPerLeader, windows, leaderWeights);

        // Windows in drop order: lowest score first, later window first on ties.
        Integer[] order = new Integer[windows];
        for (int m = 0; m < windows; m++) order[m] = m;
        Arrays.sort(order, (a, b) -> {
            int c = Double.compare(combined[a], combined[b]);
            return c != 0 ? c : Integer.compare(b, a);
        });
        boolean[] dropped = new boolean[windows];
        int keptReview = review;
        int allowed = budget - suffix;
        for (int i = 0; i < windows && keptReview > allowed; i++) {
            int m = order[i];
            dropped[m] = true;
            keptReview -= Math.min((m + 1) * w, review) - m * w;
        }

        int[] kept = new int[keptReview + suffix];
        int k = 0;
        for (int m = 0; m < windows; m++) {
            if (dropped[m]) continue;
            for (int p = m * w, end = Math.min((m + 1) * w, review); p < end; p++) kept[k++] = p;
        }
        for (int p = review; p < n; p++) kept[k++] = p;
        return new KeptSet(kept, n);
    }

    // Weighted average of the leaders' normalised window scores.
    private static double[] combine(float[][] scores, int windows, double[] weights) {
        if (scores == null || scores.length == 0) throw new IllegalArgumentException("need window scores of at least one leader");
        if (weights != null && weights.length != scores.length) {
            throw new IllegalArgumentException("expected " + scores.length + " leader weights, got " + weights.length);
        }
        double[] out = new double[windows];
        double used = 0;
        for (int g = 0; g < scores.length; g++) {
            float[] s = scores[g];
            if (s == null || s.length != windows) {
                throw new IllegalArgumentException("leader " + g + ": expected " + windows + " window scores (ceil((n - suffix) / w)), got "
                        + (s == null ? "null" : s.length));
            }
            double wt = weights == null ? 1 : weights[g];
            if (!(wt >= 0) || Double.isInfinite(wt)) {
                throw new IllegalArgumentException("leader weights must be finite and >= 0, got " + wt + " for leader " + g);
            }
            double sum = 0;
            for (float x : s) sum += x;
            // NaN, infinite or all-zero scores carry no ranking; skipping keeps them from swamping the others.
            if (!(sum > 0) || Double.isInfinite(sum) || wt == 0) continue;
            for (int m = 0; m < windows; m++) out[m] += wt * s[m] / sum;
            used += wt;
        }
        if (used > 0) for (int m = 0; m < windows; m++) out[m] /= used;
        return out;
    }

    private static int ceilDiv(int a, int b) { return a / b + (a % b == 0 ? 0 : 1); }
}

package io.tokenflow.speculative;

import java.util.Objects;
import java.util.function.IntUnaryOperator;

/**
 * Hardware-aware tree size: picks the draft budget that maximises expected tokens per second, or 0 (plain decoding)
 * when no size pays for itself.
 *
 * <p>Model. The engine measures once per model and thread count {@code cost[n - 1]} = seconds to decode a batch of n
 * tokens. A step with budget b decodes b + 1 tokens (root + drafted) and emits {@code 1 + E[accepted](b)} tokens, with
 * {@code E[accepted](b) = sum of reach(d) for d = 1..D(b)} from the {@link AcceptanceProfile}, where {@code D(b)} is the
 * depth to which the drafter's tree of b nodes is complete ({@link Drafter#depthAt}: b for a chain, the complete
 * template levels for Token Recycling, whose depth-1 acceptance is measured on 8 candidates, not 1). Rate(b) =
 * {@code (1 + E[accepted](b)) / (cost[b] + overhead)} against plain decoding's {@code 1 / cost[0]}, where overhead is
 * the host work of a step (the constructor's fixed part plus what the caller measured, e.g. the session's moving
 * average of drafting + verification time); speculation is chosen only when the best rate beats plain decoding by
 * {@code minGain} (default {@value #DEFAULT_MIN_GAIN}: noise, and host work not measured). Extra width beyond {@code D(b)} earns nothing in this model, so
 * the smallest budget reaching a depth wins. Ties go to the smaller budget.
 */
final class TreeSizer {

    public static final double DEFAULT_MIN_GAIN = 1.10;

    private final double[] cost;
    private final double overhead;
    private final double minGain;

    /** @param batchSeconds {@code batchSeconds[n - 1]} = seconds to decode n tokens in one batch, n = 1..N */
    public TreeSizer(double[] batchSeconds) { this(batchSeconds, 0, DEFAULT_MIN_GAIN); }

    /**
     * @param batchSeconds {@code batchSeconds[n - 1]} = seconds to decode n tokens in one batch, n = 1..N
     * @param stepOverheadSeconds extra seconds a speculative step costs beyond its batch (drafting, verification), >= 0
     * @param minGain speculate only when expected tokens per second beat plain decoding by this factor, >= 1
     */
    public TreeSizer(double[] batchSeconds, double stepOverheadSeconds, double minGain) {
        Objects.requireNonNull(batchSeconds, "batchSeconds");
        if (batchSeconds.length == 0) throw new IllegalArgumentException("batchSeconds needs at least the cost of one token");
        for (int i = 0; i < batchSeconds.length; i++) {
            double s = batchSeconds[i];
            if (!(s > 0) || Double.isInfinite(s)) {
                throw new IllegalArgumentException("batchSeconds[" + i + "] (a batch of " + (i + 1) + " tokens) must be finite and > 0, got " + s);
            }
        }
        if (!(stepOverheadSeconds >= 0) || Double.isInfinite(stepOverheadSeconds)) {
            throw new IllegalArgumentException("stepOverheadSeconds must be finite and >= 0, got " + stepOverheadSeconds);
        }
        if (!(minGain >= 1) || Double.isInfinite(minGain)) throw new IllegalArgumentException("minGain must be finite and >= 1, got " + minGain);
        this.cost = batchSeconds.clone();
        this.overhead = stepOverheadSeconds;
        this.minGain = minGain;
    }

    /** {@link SpeculationStats#interpolateCurve}. */
    static double[] interpolate(int[] sizes, double[] seconds, int maxSize) {
        return SpeculationStats.interpolateCurve(sizes, seconds, maxSize);
    }

    /** The largest budget the curve covers: batch N = budget + 1, at most {@code DraftTree.MAX_NODES}. */
    public int maxBudget() { return Math.min(cost.length, DraftTree.MAX_NODES) - 1; }

    public double plainTokensPerSecond() { return 1 / cost[0]; }

    /** Expected tokens per second with this budget (0 = plain decoding). */
    public double tokensPerSecond(int budget, AcceptanceProfile profile, IntUnaryOperator depthAt) {
        return tokensPerSecond(budget, profile, depthAt, 0);
    }

    /** As {@link #tokensPerSecond(int, AcceptanceProfile, IntUnaryOperator)} with {@code extraOverhead} more seconds per step. */
    public double tokensPerSecond(int budget, AcceptanceProfile profile, IntUnaryOperator depthAt, double extraOverhead) {
        if (budget < 0 || budget > maxBudget()) throw new IllegalArgumentException("budget must be in [0, " + maxBudget() + "], got " + budget);
        if (!(extraOverhead >= 0) || Double.isInfinite(extraOverhead)) throw new IllegalArgumentException("extraOverhead must be finite and >= 0, got " + extraOverhead);
        if (budget == 0) return plainTokensPerSecond();
        int depth = Math.max(0, Math.min(budget, depthAt.applyAsInt(budget)));
        return (1 + profile.expectedAccepted(depth)) / (cost[budget] + overhead + extraOverhead);
    }

    /** The best budget for a drafter whose tree depth at budget b is {@code depthAt(b)}; 0 = do not speculate. */
    public int choose(AcceptanceProfile profile, IntUnaryOperator depthAt) { return choose(profile, depthAt, 0); }

    /**
     * As {@link #choose(AcceptanceProfile, IntUnaryOperator)} with {@code extraOverhead} more seconds per speculative
     * step: the host work of drafting and verification as measured so far, which the batch-cost curve leaves out and
     * which matters where a token costs well under a millisecond.
     */
    public int choose(AcceptanceProfile profile, IntUnaryOperator depthAt, double extraOverhead) {
        Objects.requireNonNull(profile, "profile");
        Objects.requireNonNull(depthAt, "depthAt");
        double plain = plainTokensPerSecond();
        int best = 0;
        double bestRate = plain * minGain;
        for (int b = 1; b <= maxBudget(); b++) {
            double rate = tokensPerSecond(b, profile, depthAt, extraOverhead);
            if (rate > bestRate) {
                bestRate = rate;
                best = b;
            }
        }
        return best;
    }

    public int choose(AcceptanceProfile profile, Drafter drafter) { return choose(profile, drafter::depthAt); }
}

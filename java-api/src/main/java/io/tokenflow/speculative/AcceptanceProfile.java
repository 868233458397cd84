package io.tokenflow.speculative;

/**
 * How deep verified paths get, per depth, for {@link TreeSizer}. For depth d it counts the steps that could reach d
 * (the tree had depth >= d and the path reached d - 1) and those that did; the continuation rate {@code c_d} is their
 * ratio shrunk toward a pooled rate (all depths together, itself shrunk toward {@code prior}), so depths never tried
 * borrow the pooled rate. {@code reach(d) = c_1 * ... * c_d} is the probability that a tree deep enough accepts at least
 * d tokens. Counts decay by {@code decay} per step so the profile follows the text. Not thread-safe.
 *
 * <p>Optimism. The pooled rate also holds {@code optimism} pseudo-hits (default {@value #DEFAULT_OPTIMISM}):
 * {@code (hits + priorWeight * prior + optimism) / (tried + priorWeight + optimism)}, 0.83 before any data. Only trees
 * teach the profile, so a profile that is pessimistic before any tree has run can choose plain decoding for good and
 * never learn that trees pay (seen: the copying induction model on 2 CPU cores, where 8-node trees pay 2-3x, was sized
 * to plain decoding by a 0.5 prior). With the bonus, trees are tried wherever a well-accepted tree could pay; where
 * drafts miss, every tried depth adds evidence and the bonus fades as {@code optimism / tried}, so exploring costs a
 * bounded number of steps, and fewer the further the true rate is below break-even.
 */
final class AcceptanceProfile {

    public static final double DEFAULT_PRIOR = 0.5;
    public static final double DEFAULT_PRIOR_WEIGHT = 2.0;
    public static final double DEFAULT_DECAY = 0.995;
    public static final double DEFAULT_OPTIMISM = 4.0;

    private static final int MAX_DEPTH = DraftTree.MAX_NODES - 1;

    private final double prior;
    private final double priorWeight;
    private final double decay;
    private final double optimism;
    private final double[] tried = new double[MAX_DEPTH + 1];
    private final double[] hits = new double[MAX_DEPTH + 1];
    private double steps;
    private int deepest;

    public AcceptanceProfile() { this(DEFAULT_PRIOR, DEFAULT_PRIOR_WEIGHT, DEFAULT_OPTIMISM, DEFAULT_DECAY); }

    /** A neutral profile (no optimism bonus). */
    public AcceptanceProfile(double prior, double priorWeight, double decay) { this(prior, priorWeight, 0, decay); }

    /**
     * @param prior continuation rate assumed before any data, in (0, 1)
     * @param priorWeight pseudo-steps behind the prior (and behind the pooled rate at each depth), > 0
     * @param optimism pseudo-hits added to the pooled rate (exploration before evidence), >= 0
     * @param decay factor applied to all counts per recorded step, in (0, 1] (1 = never forget)
     */
    public AcceptanceProfile(double prior, double priorWeight, double optimism, double decay) {
        if (!(prior > 0 && prior < 1)) throw new IllegalArgumentException("prior must be in (0, 1), got " + prior);
        if (!(priorWeight > 0) || Double.isInfinite(priorWeight)) throw new IllegalArgumentException("priorWeight must be finite and > 0, got " + priorWeight);
        if (!(decay > 0 && decay <= 1)) throw new IllegalArgumentException("decay must be in (0, 1], got " + decay);
        if (!(optimism >= 0) || Double.isInfinite(optimism)) throw new IllegalArgumentException("optimism must be finite and >= 0, got " + optimism);
        this.optimism = optimism;
        this.prior = prior;
        this.priorWeight = priorWeight;
        this.decay = decay;
    }

    /** One verified step: the tree's depth and the accepted path's depth (accepted drafted tokens). */
    public void record(int treeDepth, int acceptedDepth) {
        if (treeDepth < 0 || treeDepth > MAX_DEPTH) throw new IllegalArgumentException("treeDepth must be in [0, " + MAX_DEPTH + "], got " + treeDepth);
        if (acceptedDepth < 0 || acceptedDepth > treeDepth) {
            throw new IllegalArgumentException("acceptedDepth must be in [0, treeDepth = " + treeDepth + "], got " + acceptedDepth);
        }
        if (treeDepth == 0) return;  // a plain step says nothing about drafts
        if (decay < 1) {
            for (int d = 1; d <= deepest; d++) {
                tried[d] *= decay;
                hits[d] *= decay;
            }
            steps *= decay;
        }
        steps += 1;
        deepest = Math.max(deepest, treeDepth);
        // Depths 1..accepted were reached; depth accepted + 1 was tried and missed, when the tree went that deep.
        for (int d = 1; d <= acceptedDepth; d++) {
            tried[d] += 1;
            hits[d] += 1;
        }
        if (acceptedDepth < treeDepth) tried[acceptedDepth + 1] += 1;
    }

    public void record(Verification v) { record(v.tree().maxDepth(), v.acceptedLength()); }

    /**
     * {@code plainSteps} tokens were decoded without trees: the counts fade by {@code decay} per token, as they do
     * per tree step. Only trees add evidence, so without this a verdict against trees would stand for good even when
     * the text changes (a session that starts with prose and turns to copying); with it, the optimism bonus regains
     * weight and trees are retried after a while (about {@code 1 / (1 - decay)} = 200 plain tokens by default).
     */
    public void age(long plainSteps) {
        if (plainSteps < 0) throw new IllegalArgumentException("plainSteps must be >= 0, got " + plainSteps);
        if (plainSteps == 0 || decay == 1) return;
        double f = Math.pow(decay, plainSteps);
        for (int d = 1; d <= deepest; d++) {
            tried[d] *= f;
            hits[d] *= f;
        }
        steps *= f;
    }

    /** Steps recorded (decayed). */
    public double steps() { return steps; }

    /** The pooled continuation rate over all depths (with the optimism bonus). */
    public double pooledRate() {
        double h = 0, t = 0;
        for (int d = 1; d <= deepest; d++) {
            h += hits[d];
            t += tried[d];
        }
        return (h + priorWeight * prior + optimism) / (t + priorWeight + optimism);
    }

    /** P(path reaches depth d | it reached d - 1 and the tree has depth d), d >= 1. */
    public double continuation(int d) {
        if (d < 1 || d > MAX_DEPTH) throw new IllegalArgumentException("depth must be in [1, " + MAX_DEPTH + "], got " + d);
        return (hits[d] + priorWeight * pooledRate()) / (tried[d] + priorWeight);
    }

    /** P(a tree of depth >= d accepts at least d tokens); 1 for d = 0. */
    public double reach(int d) {
        if (d < 0 || d > MAX_DEPTH) throw new IllegalArgumentException("depth must be in [0, " + MAX_DEPTH + "], got " + d);
        double pooled = pooledRate();
        double r = 1;
        for (int j = 1; j <= d; j++) r *= (hits[j] + priorWeight * pooled) / (tried[j] + priorWeight);
        return r;
    }

    /** Expected accepted drafted tokens of a tree of depth {@code maxDepth}: the sum of {@code reach(d)}, d = 1..maxDepth. */
    public double expectedAccepted(int maxDepth) {
        int depth = Math.max(0, Math.min(maxDepth, MAX_DEPTH));
        double pooled = pooledRate();
        double r = 1, sum = 0;
        for (int j = 1; j <= depth; j++) {
            r *= (hits[j] + priorWeight * pooled) / (tried[j] + priorWeight);
            sum += r;
        }
        return sum;
    }

    @Override
    public String toString() {
        return String.format("AcceptanceProfile[steps=%.1f, pooled=%.3f, reach(1..4)=%.3f %.3f %.3f %.3f]", steps, pooledRate(),
                reach(1), reach(2), reach(3), reach(4));
    }
}

package io.tokenflow.speculative;

import java.util.Arrays;
import java.util.Objects;

/**
 * Counters of one speculative generation. Fill them step by step with an {@link Accumulator}.
 *
 * @param policy the drafter's name ("ngram", "auto", ...)
 * @param steps verified steps (each emits its accepted tokens plus one bonus token)
 * @param draftedNodes drafted nodes over all steps (roots not counted)
 * @param acceptedTokens accepted drafted tokens over all steps (bonus tokens not counted)
 * @param meanAcceptedPerStep {@code acceptedTokens / steps} (tokens per step = this + 1)
 * @param depthHitRate {@code depthHitRate[d - 1]} = fraction of steps whose accepted path reached depth d
 * @param draftMillis time spent drafting
 * @param verifyMillis time spent in the verification kernel
 * @param decodeMillis time spent decoding tree batches
 * @param stepsByDraftedNodes {@code stepsByDraftedNodes[n]} = steps whose tree had n drafted nodes (the batch decoded
 *        n + 1 tokens): with a batch-cost curve this prices the generation on another machine
 * @param batchInvariant every step ran batch-invariant kernels with the accepted path in position order
 *        ({@code SessionOptions.batchInvariant}), so greedy output is exactly that of plain greedy decoding
 */
public record SpeculationStats(String policy, long steps, long draftedNodes, long acceptedTokens, double meanAcceptedPerStep,
        double[] depthHitRate, double draftMillis, double verifyMillis, double decodeMillis, long[] stepsByDraftedNodes,
        boolean batchInvariant) {

    public SpeculationStats {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(depthHitRate, "depthHitRate");
        if (steps < 0 || draftedNodes < 0 || acceptedTokens < 0) {
            throw new IllegalArgumentException("counts must be >= 0, got steps " + steps + ", draftedNodes " + draftedNodes
                    + ", acceptedTokens " + acceptedTokens);
        }
        if (acceptedTokens > draftedNodes) {
            throw new IllegalArgumentException("acceptedTokens (" + acceptedTokens + ") exceeds draftedNodes (" + draftedNodes + ")");
        }
        if (!(draftMillis >= 0 && verifyMillis >= 0 && decodeMillis >= 0)) {
            throw new IllegalArgumentException("times must be >= 0, got " + draftMillis + ", " + verifyMillis + ", " + decodeMillis);
        }
        depthHitRate = depthHitRate.clone();
        Objects.requireNonNull(stepsByDraftedNodes, "stepsByDraftedNodes");
        stepsByDraftedNodes = stepsByDraftedNodes.clone();
        long n = 0, nodes = 0;
        for (int k = 0; k < stepsByDraftedNodes.length; k++) {
            if (stepsByDraftedNodes[k] < 0) throw new IllegalArgumentException("stepsByDraftedNodes[" + k + "] is negative");
            n += stepsByDraftedNodes[k];
            nodes += k * stepsByDraftedNodes[k];
        }
        if (n != steps || nodes != draftedNodes) {
            throw new IllegalArgumentException("stepsByDraftedNodes counts " + n + " steps and " + nodes + " nodes, expected " + steps
                    + " and " + draftedNodes);
        }
    }

    public long[] stepsByDraftedNodes() { return stepsByDraftedNodes.clone(); }

    /**
     * Seconds the verified batches would take on a machine whose batch of n tokens costs {@code batchSeconds[n - 1]}
     * (no drafting or host time): the sum over steps of the cost of their batch.
     */
    public double batchSeconds(double[] batchSeconds) {
        Objects.requireNonNull(batchSeconds, "batchSeconds");
        if (stepsByDraftedNodes.length > batchSeconds.length) {
            throw new IllegalArgumentException("a step decoded " + stepsByDraftedNodes.length + " tokens; the curve covers " + batchSeconds.length);
        }
        double s = 0;
        for (int k = 0; k < stepsByDraftedNodes.length; k++) s += stepsByDraftedNodes[k] * batchSeconds[k];
        return s;
    }

    @Override
    public double[] depthHitRate() { return depthHitRate.clone(); }

    /** Accepted over drafted nodes (0 when nothing was drafted). */
    public double acceptanceRate() { return draftedNodes == 0 ? 0 : (double) acceptedTokens / draftedNodes; }

    /**
     * A dense batch-cost curve (seconds per batch of n tokens, n = 1..maxSize, e.g. for
     * {@code SessionOptions.batchCostSeconds}) from measurements at a few sizes (ascending, the first being 1), linear
     * in between and extrapolated from the last two points beyond.
     */
    public static double[] interpolateCurve(int[] sizes, double[] seconds, int maxSize) {
        if (sizes.length != seconds.length || sizes.length == 0) throw new IllegalArgumentException("sizes and seconds must be non-empty and of equal length");
        if (sizes[0] != 1) throw new IllegalArgumentException("the first measured size must be 1, got " + sizes[0]);
        for (int j = 1; j < sizes.length; j++) {
            if (sizes[j] <= sizes[j - 1]) throw new IllegalArgumentException("sizes must ascend strictly, got " + sizes[j - 1] + " then " + sizes[j]);
        }
        if (maxSize < 1) throw new IllegalArgumentException("maxSize must be >= 1, got " + maxSize);
        double[] out = new double[maxSize];
        for (int n = 1; n <= maxSize; n++) {
            int j = 1;
            while (j < sizes.length - 1 && sizes[j] < n) j++;
            if (sizes.length == 1) {
                out[n - 1] = seconds[0] * n;
                continue;
            }
            double x0 = sizes[j - 1], x1 = sizes[j], y0 = seconds[j - 1], y1 = seconds[j];
            out[n - 1] = Math.max(Double.MIN_NORMAL, y0 + (y1 - y0) * (n - x0) / (x1 - x0));
        }
        return out;
    }

    static Accumulator accumulator(String policy) { return new Accumulator(policy); }

    @Override
    public boolean equals(Object o) {
        return o instanceof SpeculationStats s && policy.equals(s.policy) && steps == s.steps && draftedNodes == s.draftedNodes
                && acceptedTokens == s.acceptedTokens && Double.compare(meanAcceptedPerStep, s.meanAcceptedPerStep) == 0
                && Arrays.equals(depthHitRate, s.depthHitRate) && Double.compare(draftMillis, s.draftMillis) == 0
                && Double.compare(verifyMillis, s.verifyMillis) == 0 && Double.compare(decodeMillis, s.decodeMillis) == 0
                && Arrays.equals(stepsByDraftedNodes, s.stepsByDraftedNodes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(policy, steps, draftedNodes, acceptedTokens, meanAcceptedPerStep, Arrays.hashCode(depthHitRate),
                draftMillis, verifyMillis, decodeMillis, Arrays.hashCode(stepsByDraftedNodes));
    }

    @Override
    public String toString() {
        return String.format("SpeculationStats[%s: %d steps, %d drafted, %d accepted, %.2f accepted/step, hit rate by depth %s, "
                + "draft %.1f ms, verify %.1f ms, decode %.1f ms, batch-invariant %s]", policy, steps, draftedNodes, acceptedTokens,
                meanAcceptedPerStep, Arrays.toString(Arrays.stream(depthHitRate).map(x -> Math.round(x * 1000) / 1000.0).toArray()),
                draftMillis, verifyMillis, decodeMillis, batchInvariant);
    }

    /** Mutable counters for the engine: one {@link #step} per verified tree, then {@link #build}. */
    static final class Accumulator {
        private final String policy;
        private long steps;
        private long drafted;
        private long accepted;
        private long[] reached = new long[16];
        private long[] bySize = new long[16];
        private long draftNanos;
        private long verifyNanos;
        private long decodeNanos;
        private boolean batchInvariant = true;

        private Accumulator(String policy) { this.policy = Objects.requireNonNull(policy, "policy"); }

        public Accumulator step(Verification v, long draftNanos, long verifyNanos, long decodeNanos) {
            if (draftNanos < 0 || verifyNanos < 0 || decodeNanos < 0) throw new IllegalArgumentException("times must be >= 0");
            steps++;
            int n = v.tree().draftedCount();
            drafted += n;
            if (n >= bySize.length) bySize = Arrays.copyOf(bySize, Math.max(n + 1, bySize.length * 2));
            bySize[n]++;
            int a = v.acceptedLength();
            accepted += a;
            if (a > reached.length) reached = Arrays.copyOf(reached, Math.max(a, reached.length * 2));
            for (int d = 0; d < a; d++) reached[d]++;
            this.draftNanos += draftNanos;
            this.verifyNanos += verifyNanos;
            this.decodeNanos += decodeNanos;
            return this;
        }

        /** Records whether the session kept batch invariance (read once the generation ends). */
        public Accumulator batchInvariant(boolean kept) {
            batchInvariant = kept;
            return this;
        }

        public SpeculationStats build() {
            int depth = 0;
            for (int d = 0; d < reached.length; d++) if (reached[d] > 0) depth = d + 1;
            int largest = -1;
            for (int k = 0; k < bySize.length; k++) if (bySize[k] > 0) largest = k;
            double[] rate = new double[depth];
            for (int d = 0; d < depth; d++) rate[d] = (double) reached[d] / steps;
            return new SpeculationStats(policy, steps, drafted, accepted, steps == 0 ? 0 : (double) accepted / steps, rate,
                    draftNanos / 1e6, verifyNanos / 1e6, decodeNanos / 1e6, Arrays.copyOf(bySize, largest + 1), batchInvariant);
        }
    }
}

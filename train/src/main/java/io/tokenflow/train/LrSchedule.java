package io.tokenflow.train;

/**
 * Learning rate per optimizer step: linear warm-up {@code lrMax * (s + 1) / warmupSteps} for the first
 * {@code warmupSteps} steps, then constant {@code lrMax}, or a cosine / linear decay from {@code lrMax} to
 * {@code lrMin} reached at {@code totalSteps}; AdamW with {@code beta1}, {@code beta2} and decoupled weight decay.
 * Evaluated natively before every optimizer step.
 */
public record LrSchedule(Kind kind, double lrMax, double lrMin, long warmupSteps, long totalSteps, double beta1,
                         double beta2, double weightDecay) {
    public enum Kind { CONSTANT, COSINE, LINEAR }

    public LrSchedule {
        if (kind == null) throw new IllegalArgumentException("kind is null");
        if (!(lrMax > 0 && lrMax < 1)) throw new IllegalArgumentException("lrMax must be in (0, 1)");
        if (!(lrMin >= 0 && lrMin <= lrMax)) throw new IllegalArgumentException("lrMin must be in [0, lrMax]");
        if (warmupSteps < 0 || totalSteps < 1 || warmupSteps > totalSteps) {
            throw new IllegalArgumentException("need 0 <= warmupSteps <= totalSteps and totalSteps >= 1");
        }
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("betas must be in [0, 1)");
        if (!(weightDecay >= 0 && weightDecay < 1)) throw new IllegalArgumentException("weightDecay must be in [0, 1)");
    }

    /** Warm-up then cosine decay, betas 0.9 / 0.95, no weight decay. */
    public static LrSchedule cosine(double lrMax, double lrMin, long warmupSteps, long totalSteps) {
        return new LrSchedule(Kind.COSINE, lrMax, lrMin, warmupSteps, totalSteps, 0.9, 0.95, 0.0);
    }

    public static LrSchedule constant(double lr, long warmupSteps) {
        return new LrSchedule(Kind.CONSTANT, lr, lr, warmupSteps, Math.max(1, warmupSteps), 0.9, 0.95, 0.0);
    }

    public LrSchedule withTotalSteps(long total) {
        return new LrSchedule(kind, lrMax, lrMin, Math.min(warmupSteps, total), total, beta1, beta2, weightDecay);
    }

    /** The same formula as the native one, for plots and checks. */
    public double at(long step) {
        long s = Math.max(0, step);
        if (warmupSteps > 0 && s < warmupSteps) return lrMax * (s + 1) / warmupSteps;
        if (kind == Kind.CONSTANT) return lrMax;
        long span = totalSteps - warmupSteps;
        double p = span > 0 ? Math.min(1, Math.max(0, (double) (s - warmupSteps) / span)) : 1;
        double f = kind == Kind.LINEAR ? 1 - p : 0.5 * (1 + Math.cos(Math.PI * p));
        return lrMin + (lrMax - lrMin) * f;
    }
}

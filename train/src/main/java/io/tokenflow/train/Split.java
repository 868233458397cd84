package io.tokenflow.train;

/**
 * Training or held-out data. The rule that keeps them apart, applied by every {@link TaskGenerator}:
 * <ol>
 *   <li>each split draws from its own random stream (the split is mixed into every sample's seed);</li>
 *   <li>a sample belongs to the split {@link #ofText} names for its text (prompt + answer), and generation
 *       retries (with the next attempt's stream) until it does, so no text is in both splits;</li>
 *   <li>every needle number (pass keys, recalled codes) belongs to the split {@link #ofValue} names for it, and
 *       generators draw only their split's numbers, so a held-out needle never is a needle in training.</li>
 * </ol>
 * One text or number in {@value #HELD_OUT_SHARE_INVERSE} is held out.
 */
public enum Split {
    TRAIN,
    HELD_OUT;

    static final int HELD_OUT_SHARE_INVERSE = 16;

    public static Split ofText(String text) {
        return Long.remainderUnsigned(Rng.mix(Rng.fnv(text) ^ 0x5EED_0F_7E77L), HELD_OUT_SHARE_INVERSE) == 0 ? HELD_OUT : TRAIN;
    }

    public static Split ofValue(long value) {
        return Long.remainderUnsigned(Rng.mix(value ^ 0x7A1E_0F_0ABCL), HELD_OUT_SHARE_INVERSE) == 0 ? HELD_OUT : TRAIN;
    }

    /** A number in [from, to] that belongs to this split. */
    int drawValue(Rng rng, int from, int to) {
        while (true) {
            int v = rng.between(from, to);
            if (ofValue(v) == this) return v;
        }
    }
}

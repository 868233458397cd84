package io.tokenflow.kv;

import java.math.BigDecimal;
import java.util.regex.Pattern;

/**
 * How many prompt tokens a compressed KV cache keeps: a fixed token count, or a fraction of the prompt.
 * Immutable. {@link #toString} gives text that {@link #parse} reads back to an equal budget.
 */
public final class KvBudget {

    private static final String RANGE = "expected a token count >= 1 (e.g. 512), a fraction in (0, 1] (e.g. 0.12) "
            + "or a percentage in (0, 100]% (e.g. 12%)";
    private static final Pattern COUNT = Pattern.compile("\\d+");
    private static final Pattern DECIMAL = Pattern.compile("(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?");

    // tokens > 0 for a count, else fraction is in (0, 1].
    private final int tokens;
    private final double fraction;

    private KvBudget(int tokens, double fraction) {
        this.tokens = tokens;
        this.fraction = fraction;
    }

    /** A fixed number of tokens (>= 1). */
    public static KvBudget tokens(int n) {
        if (n < 1) throw new IllegalArgumentException("bad KV budget " + n + ": " + RANGE);
        return new KvBudget(n, 0);
    }

    /** A fraction of the prompt, in (0, 1]. */
    public static KvBudget fraction(double f) {
        if (!(f > 0 && f <= 1)) throw new IllegalArgumentException("bad KV budget fraction " + f + ": " + RANGE);
        return new KvBudget(0, f);
    }

    /**
     * Reads "512" (tokens), "0.12" or "1.0" (fraction: has a decimal point or exponent) or "12%" (fraction 0.12).
     * A bare "1" is one token; write "1.0" or "100%" for the whole prompt.
     */
    public static KvBudget parse(String text) {
        if (text == null) throw new IllegalArgumentException("bad KV budget null: " + RANGE);
        String t = text.strip();
        try {
            if (COUNT.matcher(t).matches()) {
                long n = Long.parseLong(t);
                if (n >= 1 && n <= Integer.MAX_VALUE) return tokens((int) n);
            } else if (t.endsWith("%") && DECIMAL.matcher(t.substring(0, t.length() - 1)).matches()) {
                // BigDecimal so that "33.3%" is exactly the double nearest 0.333, as "0.333" would be.
                double f = new BigDecimal(t.substring(0, t.length() - 1)).movePointLeft(2).doubleValue();
                if (f > 0 && f <= 1) return fraction(f);
            } else if (DECIMAL.matcher(t).matches()) {
                double f = Double.parseDouble(t);
                if (f > 0 && f <= 1) return fraction(f);
            }
        } catch (NumberFormatException e) {
            // falls through to the message below (e.g. a count too long for a long)
        }
        throw new IllegalArgumentException("bad KV budget '" + text + "': " + RANGE);
    }

    public boolean isFraction() { return tokens == 0; }

    /** The token count; only for a count budget. */
    public int tokens() {
        if (isFraction()) throw new IllegalStateException("budget " + this + " is a fraction");
        return tokens;
    }

    /** The fraction; only for a fraction budget. */
    public double fraction() {
        if (!isFraction()) throw new IllegalStateException("budget " + this + " is a token count");
        return fraction;
    }

    /**
     * Tokens to keep of a prompt of {@code promptTokens}: the count itself (it may exceed the prompt: then nothing is
     * evicted), or floor(fraction x prompt), at least 1. Floor so a fraction never keeps more than asked; the tiny
     * epsilon keeps 0.29 x 100 at 29 despite binary rounding (28.999999999999996).
     */
    public int resolve(int promptTokens) {
        if (promptTokens < 0) throw new IllegalArgumentException("promptTokens must be >= 0, got " + promptTokens);
        if (!isFraction()) return tokens;
        return Math.max(1, (int) Math.floor(fraction * promptTokens + 1e-9));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KvBudget b && tokens == b.tokens && Double.compare(fraction, b.fraction) == 0;
    }

    @Override
    public int hashCode() { return 31 * tokens + Double.hashCode(fraction); }

    /** "512" or "0.12" (Double.toString, so always with a decimal point or exponent, hence read back as a fraction). */
    @Override
    public String toString() { return isFraction() ? Double.toString(fraction) : Integer.toString(tokens); }
}

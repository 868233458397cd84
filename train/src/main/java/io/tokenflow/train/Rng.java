package io.tokenflow.train;

import java.util.List;

/**
 * SplitMix64, written out here so the corpus depends on no JDK generator's implementation: the same seed gives
 * the same bytes on every JVM. One generator per sample, seeded from (seed, family, split, index, attempt).
 */
final class Rng {
    private long state;

    Rng(long seed) {
        this.state = seed;
    }

    static Rng of(long seed, String family, Split split, long index, int attempt) {
        long h = mix(seed);
        h = mix(h ^ fnv(family));
        h = mix(h ^ (split.ordinal() + 1L) * 0x9E37_79B9_7F4A_7C15L);
        h = mix(h ^ index);
        return new Rng(mix(h ^ attempt));
    }

    /** SplitMix64's output function: a bijective 64-bit mix. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }

    /** FNV-1a over UTF-16 chars: a stable string hash. */
    static long fnv(CharSequence s) {
        long h = 0xCBF2_9CE4_8422_2325L;
        for (int i = 0; i < s.length(); i++) {
            h = (h ^ s.charAt(i)) * 0x100_0000_01B3L;
        }
        return h;
    }

    long nextLong() {
        return mix(state += 0x9E37_79B9_7F4A_7C15L);
    }

    /** Uniform in [0, bound). */
    int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive");
        return (int) (((nextLong() >>> 32) * bound) >>> 32);
    }

    /** Uniform in [from, to]. */
    int between(int from, int to) {
        return from + nextInt(to - from + 1);
    }

    double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    boolean chance(double p) {
        return nextDouble() < p;
    }

    <T> T pick(List<T> items) {
        return items.get(nextInt(items.size()));
    }

    <T> T pick(T[] items) {
        return items[nextInt(items.length)];
    }

    /** Fisher-Yates. */
    void shuffle(int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}

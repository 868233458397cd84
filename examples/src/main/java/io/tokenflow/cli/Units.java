package io.tokenflow.cli;

import java.util.Locale;

/** Human-readable sizes and counts, formatted as llama-bench does. */
final class Units {
    private Units() {}

    /** Bytes as "1.13 MiB" / "3.56 GiB" (KiB below 1 MiB). */
    static String bytes(long n) {
        if (n >= 1L << 30) return String.format(Locale.ROOT, "%.2f GiB", n / (double) (1L << 30));
        if (n >= 1L << 20) return String.format(Locale.ROOT, "%.2f MiB", n / (double) (1L << 20));
        if (n >= 1L << 10) return String.format(Locale.ROOT, "%.2f KiB", n / (double) (1L << 10));
        return n + " B";
    }

    /** Parameter counts as "292.80 K" / "6.74 B". */
    static String count(long n) {
        if (n >= 1_000_000_000L) return String.format(Locale.ROOT, "%.2f B", n / 1e9);
        if (n >= 1_000_000L) return String.format(Locale.ROOT, "%.2f M", n / 1e6);
        if (n >= 1_000L) return String.format(Locale.ROOT, "%.2f K", n / 1e3);
        return Long.toString(n);
    }
}

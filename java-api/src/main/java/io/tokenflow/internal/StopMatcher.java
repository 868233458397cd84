package io.tokenflow.internal;

import java.util.List;

/**
 * Streams text while watching for stop strings: text that might be the start of a stop string is held
 * back until it is known not to be, so listeners never see any part of a stop string.
 */
public final class StopMatcher {
    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private final StringBuilder text = new StringBuilder();
    private boolean stopped;

    public StopMatcher(List<String> stops) {
        this.stops = List.copyOf(stops);
    }

    /** Adds characters; returns what can be released now. After a stop, returns "" and {@link #stopped()} is true. */
    public String push(String chars) {
        if (stopped) return "";
        held.append(chars);
        int cut = -1;
        for (String s : stops) {
            int i = held.indexOf(s);
            if (i >= 0 && (cut < 0 || i < cut)) cut = i;
        }
        if (cut >= 0) {
            stopped = true;
            String out = held.substring(0, cut);
            held.setLength(0);
            text.append(out);
            return out;
        }
        int keep = 0;
        for (String s : stops) keep = Math.max(keep, overlap(held, s));
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        text.append(out);
        return out;
    }

    /** Releases what was held back (the stream ended without a stop). */
    public String flush() {
        if (stopped) return "";
        String out = held.toString();
        held.setLength(0);
        text.append(out);
        return out;
    }

    public boolean stopped() { return stopped; }

    /** All released text so far. */
    public String text() { return text.toString(); }

    // Longest suffix of buf that is a proper prefix of s.
    private static int overlap(CharSequence buf, String s) {
        int max = Math.min(buf.length(), s.length() - 1);
        for (int k = max; k > 0; k--) {
            boolean match = true;
            for (int j = 0; j < k; j++) {
                if (buf.charAt(buf.length() - k + j) != s.charAt(j)) { match = false; break; }
            }
            if (match) return k;
        }
        return 0;
    }
}

package io.tokenflow.cli;

import java.io.PrintWriter;

/**
 * One line on stderr that redraws itself with {@code \r} (a progress bar, "running pp512 2/5"), ended with a
 * newline by {@link #done()} or wiped by {@link #clear()}. Draws nothing when disabled (stderr is not a
 * terminal), so captured or redirected stderr only holds real messages.
 */
final class StatusLine {
    private static final int BAR_WIDTH = 30;

    private final PrintWriter err;
    private final boolean enabled;
    private int drawnWidth;
    private String last = "";

    StatusLine(PrintWriter err, boolean enabled) {
        this.err = err;
        this.enabled = enabled;
    }

    boolean enabled() { return enabled; }

    /** Replaces the line's text. */
    synchronized void show(String text) {
        if (!enabled || text.equals(last)) return;
        last = text;
        StringBuilder sb = new StringBuilder("\r").append(text);
        for (int i = text.length(); i < drawnWidth; i++) sb.append(' ');
        drawnWidth = text.length();
        err.print(sb);
        err.flush();
    }

    /** Shows {@code label [#####.....]  42%}. */
    void progress(String label, double fraction) {
        double f = Math.max(0, Math.min(1, fraction));
        int filled = (int) Math.round(f * BAR_WIDTH);
        show(String.format("%s [%s%s] %3d%%", label, "#".repeat(filled), ".".repeat(BAR_WIDTH - filled),
                (int) Math.round(f * 100)));
    }

    /** Ends the line with a newline, leaving its last text on screen. */
    synchronized void done() {
        if (!enabled || drawnWidth == 0) return;
        err.println();
        err.flush();
        drawnWidth = 0;
        last = "";
    }

    /** Wipes the line (so a following message starts at column 0 of a clean line). */
    synchronized void clear() {
        if (!enabled || drawnWidth == 0) return;
        err.print("\r" + " ".repeat(drawnWidth) + "\r");
        err.flush();
        drawnWidth = 0;
        last = "";
    }
}

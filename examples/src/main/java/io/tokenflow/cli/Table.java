package io.tokenflow.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A Markdown table with padded columns (the layout llama-bench prints); numeric columns align right. */
final class Table {
    private final String[] headers;
    private final boolean[] right;
    private final List<String[]> rows = new ArrayList<>();

    /** A header ending in ":" aligns its column right (the colon is not shown). */
    Table(String... headers) {
        this.headers = new String[headers.length];
        this.right = new boolean[headers.length];
        for (int i = 0; i < headers.length; i++) {
            right[i] = headers[i].endsWith(":");
            this.headers[i] = right[i] ? headers[i].substring(0, headers[i].length() - 1) : headers[i];
        }
    }

    Table row(Object... cells) {
        if (cells.length != headers.length) throw new IllegalArgumentException("row has " + cells.length + " cells");
        String[] r = new String[cells.length];
        for (int i = 0; i < cells.length; i++) r[i] = String.valueOf(cells[i]);
        rows.add(r);
        return this;
    }

    void print(PrintWriter out) {
        int[] w = new int[headers.length];
        for (int i = 0; i < w.length; i++) {
            w[i] = Math.max(3, headers[i].length());
            for (String[] r : rows) w[i] = Math.max(w[i], r[i].length());
        }
        out.println(line(headers, w));
        StringBuilder sep = new StringBuilder("|");
        for (int i = 0; i < w.length; i++) {
            sep.append(' ').append("-".repeat(right[i] ? w[i] - 1 : w[i])).append(right[i] ? ":" : "").append(" |");
        }
        out.println(sep);
        for (String[] r : rows) out.println(line(r, w));
        out.flush();
    }

    private String line(String[] cells, int[] w) {
        StringBuilder sb = new StringBuilder("|");
        for (int i = 0; i < w.length; i++) {
            String pad = " ".repeat(w[i] - cells[i].length());
            sb.append(' ').append(right[i] ? pad + cells[i] : cells[i] + pad).append(" |");
        }
        return sb.toString();
    }
}

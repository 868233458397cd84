package io.tokenflow.speculative;

import java.util.Arrays;

/**
 * Read-only view of every token of the current generation so far: the prompt (the whole context, cached part
 * included) followed by the generated tokens. The last token is the root of the next draft tree. The engine appends to
 * one {@link TokenBuffer} per generation; drafters only read it, and may keep indices over it that they extend as it
 * grows (so it must only grow within a generation).
 */
interface TokenHistory {

    int size();

    /** Token at position {@code i}, {@code 0 <= i < size()}. */
    int get(int i);

    /** The last token: the next tree's root. */
    default int last() {
        if (size() == 0) throw new IllegalStateException("the history is empty");
        return get(size() - 1);
    }

    /** The last {@code min(n, size())} tokens, oldest first. */
    default int[] tail(int n) {
        if (n < 0) throw new IllegalArgumentException("n must be >= 0, got " + n);
        int size = size();
        int m = Math.min(n, size);
        int[] out = new int[m];
        for (int j = 0; j < m; j++) out[j] = get(size - m + j);
        return out;
    }

    default int[] toArray() { return tail(size()); }

    /** A fixed history (copied), for tests and one-off calls. */
    static TokenHistory of(int... tokens) {
        int[] copy = tokens.clone();
        return new TokenHistory() {
            @Override public int size() { return copy.length; }
            @Override public int get(int i) { return copy[i]; }
            @Override public String toString() { return "TokenHistory" + Arrays.toString(copy); }
        };
    }
}

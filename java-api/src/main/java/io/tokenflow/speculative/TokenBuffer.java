package io.tokenflow.speculative;

import java.util.Arrays;

/**
 * The growable token array behind a {@link TokenHistory}: the engine appends prompt, accepted and bonus tokens; drafters
 * read it through the interface. Append-only by design (drafters index it incrementally). Not thread-safe.
 */
final class TokenBuffer implements TokenHistory {
    private int[] tokens;
    private int size;

    public TokenBuffer() { this(256); }

    public TokenBuffer(int initialCapacity) {
        if (initialCapacity < 0) throw new IllegalArgumentException("initialCapacity must be >= 0, got " + initialCapacity);
        tokens = new int[Math.max(16, initialCapacity)];
    }

    /** A buffer holding {@code initial} (copied), e.g. the prompt. */
    public static TokenBuffer of(int... initial) {
        TokenBuffer b = new TokenBuffer(initial.length + 256);
        b.append(initial, 0, initial.length);
        return b;
    }

    public TokenBuffer append(int token) {
        if (token < 0) throw new IllegalArgumentException("token is negative: " + token);
        if (size == tokens.length) tokens = Arrays.copyOf(tokens, grow(size + 1));
        tokens[size++] = token;
        return this;
    }

    public TokenBuffer append(int[] src, int offset, int length) {
        if (offset < 0 || length < 0 || offset + length > src.length) {
            throw new IndexOutOfBoundsException("range [" + offset + ", " + (offset + length) + ") outside [0, " + src.length + ")");
        }
        for (int j = offset; j < offset + length; j++) {
            if (src[j] < 0) throw new IllegalArgumentException("token at " + j + " is negative: " + src[j]);
        }
        if (size + length > tokens.length) tokens = Arrays.copyOf(tokens, grow(size + length));
        System.arraycopy(src, offset, tokens, size, length);
        size += length;
        return this;
    }

    public TokenBuffer appendAll(int... src) { return append(src, 0, src.length); }

    @Override
    public int size() { return size; }

    @Override
    public int get(int i) {
        if (i < 0 || i >= size) throw new IndexOutOfBoundsException("position " + i + " outside [0, " + size + ")");
        return tokens[i];
    }

    private int grow(int need) {
        long cap = Math.max(need, (long) tokens.length * 2);
        if (cap > Integer.MAX_VALUE - 8) throw new IllegalStateException("token history too long: " + need);
        return (int) cap;
    }

    @Override
    public String toString() { return "TokenBuffer[size=" + size + "]"; }
}

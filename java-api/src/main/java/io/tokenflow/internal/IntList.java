package io.tokenflow.internal;

import java.util.Arrays;

/** A growable int array (token ids) without boxing. */
public final class IntList {
    private int[] a;
    private int n;

    public IntList() { this(16); }

    public IntList(int capacity) { a = new int[Math.max(1, capacity)]; }

    public int size() { return n; }

    public int get(int i) {
        if (i < 0 || i >= n) throw new IndexOutOfBoundsException(i);
        return a[i];
    }

    public void add(int v) {
        if (n == a.length) a = Arrays.copyOf(a, a.length * 2);
        a[n++] = v;
    }

    public void addAll(int[] v) {
        if (n + v.length > a.length) a = Arrays.copyOf(a, Math.max(a.length * 2, n + v.length));
        System.arraycopy(v, 0, a, n, v.length);
        n += v.length;
    }

    public void truncate(int size) {
        if (size < 0 || size > n) throw new IndexOutOfBoundsException(size);
        n = size;
    }

    /** Length of the common prefix with {@code other}. */
    public int commonPrefix(int[] other) {
        int m = Math.min(n, other.length);
        int i = 0;
        while (i < m && a[i] == other[i]) i++;
        return i;
    }

    public int[] toArray() { return Arrays.copyOf(a, n); }
}

package io.tokenflow.speculative;

import java.util.Arrays;

/** Open-addressing map from long keys to int values without boxing (n-gram hash -> latest position). */
final class LongIntHashMap {
    private static final int MISSING = -1;

    private long[] keys;
    private int[] values;
    private boolean[] used;
    private int size;
    private int mask;

    LongIntHashMap() { this(1024); }

    LongIntHashMap(int capacity) {
        int cap = Integer.highestOneBit(Math.max(16, capacity) - 1) << 1;
        keys = new long[cap];
        values = new int[cap];
        used = new boolean[cap];
        mask = cap - 1;
    }

    /** The value of {@code key}, or -1. */
    int get(long key) {
        for (int i = slot(key); used[i]; i = (i + 1) & mask) if (keys[i] == key) return values[i];
        return MISSING;
    }

    /** Stores {@code value} and returns the previous value, or -1. */
    int put(long key, int value) {
        if ((size + 1) * 4L > keys.length * 3L) rehash();
        int i = slot(key);
        for (; used[i]; i = (i + 1) & mask) {
            if (keys[i] == key) {
                int old = values[i];
                values[i] = value;
                return old;
            }
        }
        used[i] = true;
        keys[i] = key;
        values[i] = value;
        size++;
        return MISSING;
    }

    int size() { return size; }

    void clear() {
        Arrays.fill(used, false);
        size = 0;
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    private void rehash() {
        long[] oldKeys = keys;
        int[] oldValues = values;
        boolean[] oldUsed = used;
        keys = new long[oldKeys.length * 2];
        values = new int[oldKeys.length * 2];
        used = new boolean[oldKeys.length * 2];
        mask = keys.length - 1;
        size = 0;
        for (int i = 0; i < oldKeys.length; i++) if (oldUsed[i]) put(oldKeys[i], oldValues[i]);
    }
}

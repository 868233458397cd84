package io.tokenflow.batch;

import io.tokenflow.internal.IntList;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;

/**
 * Host-memory prompt cache of a {@link ContinuousBatcher}: the KV states of slots that were handed to other requests,
 * in native memory (off the Java heap), at most {@code capacity} bytes, least recently used out first. Used by the
 * scheduler thread only.
 */
final class PromptCache implements AutoCloseable {
    /** A saved slot: its tokens, how many leading cells are exact (as {@code Slot.exactCells}), and the state. */
    static final class Entry {
        final int[] tokens;
        final int exactCells;
        final BytePointer state;
        final long bytes;
        long lastUsed;

        Entry(int[] tokens, int exactCells, BytePointer state, long bytes) {
            this.tokens = tokens;
            this.exactCells = exactCells;
            this.state = state;
            this.bytes = bytes;
        }

        int commonPrefix(int[] prompt) {
            int n = Math.min(tokens.length, prompt.length), i = 0;
            while (i < n && tokens[i] == prompt[i]) i++;
            return i;
        }
    }

    private final long capacity;
    private final List<Entry> entries = new ArrayList<>();
    private long used;
    private long clock;

    PromptCache(long capacity) { this.capacity = capacity; }

    boolean enabled() { return capacity > 0; }

    /** The entry sharing the longest prefix with {@code prompt}, or null. */
    Entry best(int[] prompt) {
        Entry best = null;
        int bestLen = 0;
        for (Entry e : entries) {
            int c = e.commonPrefix(prompt);
            if (c > bestLen) {
                best = e;
                bestLen = c;
            }
        }
        return best;
    }

    /** Marks {@code e} as used now (a restore). */
    void touch(Entry e) {
        e.lastUsed = ++clock;
    }

    /**
     * Whether a slot holding {@code tokens} is worth saving: not when an entry already holds them (or more after them).
     */
    boolean wants(IntList tokens) {
        if (!enabled() || tokens.size() == 0) return false;
        for (Entry e : entries) {
            if (e.tokens.length >= tokens.size() && tokens.commonPrefix(e.tokens) == tokens.size()) return false;
        }
        return true;
    }

    /** Adds a state (the cache takes ownership of {@code state}); entries it makes redundant and the LRU ones go. */
    void put(int[] tokens, int exactCells, BytePointer state, long bytes) {
        if (bytes > capacity) {
            state.close();
            return;
        }
        entries.removeIf(e -> {
            boolean prefix = e.tokens.length <= tokens.length && e.commonPrefix(tokens) == e.tokens.length
                    && e.exactCells <= exactCells;
            if (prefix) drop(e);
            return prefix;
        });
        while (used + bytes > capacity && !entries.isEmpty()) {
            Entry lru = entries.get(0);
            for (Entry e : entries) if (e.lastUsed < lru.lastUsed) lru = e;
            entries.remove(lru);
            drop(lru);
        }
        Entry e = new Entry(tokens, exactCells, state, bytes);
        e.lastUsed = ++clock;
        entries.add(e);
        used += bytes;
    }

    private void drop(Entry e) {
        used -= e.bytes;
        e.state.close();
    }

    long bytesUsed() { return used; }

    @Override
    public void close() {
        for (Entry e : entries) e.state.close();
        entries.clear();
        used = 0;
    }
}

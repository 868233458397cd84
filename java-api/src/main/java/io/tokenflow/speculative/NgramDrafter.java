package io.tokenflow.speculative;

import java.util.Arrays;

/**
 * Prompt lookup (ALGORITHMS.md §5): for n from {@code maxN} down to 1, find the most recent earlier occurrence of the
 * last n tokens in the history (prompt + output) and draft the tokens that followed it as a chain. The rest of the
 * budget goes to further occurrences (older ones, then shorter n-grams), inserted as a trie so that only distinct
 * continuations cost nodes. Each continuation is at most {@code maxChain} tokens.
 *
 * <p>A continuation may run past the end of the history: it then copies itself (as LZ77 does), so a repeating pattern
 * is extrapolated instead of cut at the present. Lookups use an index from n-gram hash to the latest position plus a
 * per-position link to the previous one, extended incrementally as the history grows: a step costs O(matches), not
 * O(history).
 */
final class NgramDrafter implements Drafter {

    public static final int DEFAULT_MAX_N = 4;
    public static final int DEFAULT_MAX_CHAIN = 32;
    public static final int DEFAULT_MAX_MATCHES = 16;

    private final int maxN;
    private final int maxChain;
    private final int maxMatches;

    private LongIntHashMap latest = new LongIntHashMap();
    /** previous[n - 1][e]: the previous end position of the n-gram ending at e (same hash), or -1. */
    private final int[][] previous;
    private TokenHistory indexed;
    private int indexedSize;
    private int lastIndexedToken;
    private final int[] continuation;
    private final int[] usedEnds;

    public NgramDrafter() { this(DEFAULT_MAX_N, DEFAULT_MAX_CHAIN, DEFAULT_MAX_MATCHES); }

    /**
     * @param maxN longest n-gram matched (>= 1)
     * @param maxChain tokens drafted per continuation at most (>= 1)
     * @param maxMatches occurrences turned into branches per step at most (>= 1); bounds the cost of a step
     */
    public NgramDrafter(int maxN, int maxChain, int maxMatches) {
        if (maxN < 1 || maxN > 16) throw new IllegalArgumentException("maxN must be in [1, 16], got " + maxN);
        if (maxChain < 1 || maxChain >= DraftTree.MAX_NODES) {
            throw new IllegalArgumentException("maxChain must be in [1, " + (DraftTree.MAX_NODES - 1) + "], got " + maxChain);
        }
        if (maxMatches < 1) throw new IllegalArgumentException("maxMatches must be >= 1, got " + maxMatches);
        this.maxN = maxN;
        this.maxChain = maxChain;
        this.maxMatches = maxMatches;
        this.previous = new int[maxN][];
        this.continuation = new int[maxChain];
        this.usedEnds = new int[maxMatches];
        reset(null);
    }

    @Override
    public String name() { return "ngram"; }

    @Override
    public void startGeneration(int[] prompt) { reset(null); }

    /** Drops the index (and the reference to the history). */
    @Override
    public void endGeneration() { reset(null); }

    @Override
    public int depthAt(int budget) { return Math.min(Math.max(0, budget), maxChain); }

    @Override
    public DraftTree draft(TokenHistory history, int budget) {
        Drafter.checkBudget(budget);
        DraftTree.Builder b = DraftTree.builder(history.last());
        int size = history.size();
        if (budget == 0 || size < 2) return b.build();
        sync(history);
        int matches = 0;
        for (int n = Math.min(maxN, size - 1); n >= 1 && matches < maxMatches && b.size() <= budget; n--) {
            long key = key(hashEndingAt(history, size - 1, n), n);
            for (int e = latest.get(key); e >= 0 && matches < maxMatches && b.size() <= budget; e = previous[n - 1][e]) {
                if (e >= size - 1 || !sameNgram(history, e, size - 1, n) || used(e, matches)) continue;
                usedEnds[matches++] = e;
                insertContinuation(history, e, b, budget);
            }
        }
        return b.build();
    }

    /** Adds the tokens that followed position {@code end} under the root, sharing existing prefixes. */
    private void insertContinuation(TokenHistory history, int end, DraftTree.Builder b, int budget) {
        int size = history.size();
        int node = 0;
        for (int j = 0; j < maxChain; j++) {
            int pos = end + 1 + j;
            int token = pos < size ? history.get(pos) : continuation[pos - size];
            continuation[j] = token;
            int next = b.find(node, token);
            if (next < 0) {
                if (b.size() > budget) return;
                next = b.add(node, token);
            }
            node = next;
        }
    }

    private boolean used(int end, int count) {
        for (int j = 0; j < count; j++) if (usedEnds[j] == end) return true;
        return false;
    }

    private static boolean sameNgram(TokenHistory h, int endA, int endB, int n) {
        for (int j = 0; j < n; j++) if (h.get(endA - j) != h.get(endB - j)) return false;
        return true;
    }

    /** Extends the index to the whole history; rebuilds it if this is not the history indexed so far. */
    private void sync(TokenHistory history) {
        int size = history.size();
        if (history != indexed || size < indexedSize
                || (indexedSize > 0 && history.get(indexedSize - 1) != lastIndexedToken)) {
            reset(history);
        }
        if (size > previous[0].length) {
            int cap = Math.max(size, previous[0].length * 2);
            for (int n = 0; n < maxN; n++) {
                int old = previous[n].length;
                previous[n] = Arrays.copyOf(previous[n], cap);
                Arrays.fill(previous[n], old, cap, -1);
            }
        }
        for (int e = indexedSize; e < size; e++) {
            long h = 0;
            for (int n = 1; n <= maxN && n <= e + 1; n++) {
                h = mix(h, history.get(e - n + 1));
                previous[n - 1][e] = latest.put(key(h, n), e);
            }
        }
        indexedSize = size;
        if (size > 0) lastIndexedToken = history.get(size - 1);
    }

    private void reset(TokenHistory history) {
        indexed = history;
        indexedSize = 0;
        lastIndexedToken = -1;
        if (latest.size() > 65536) latest = new LongIntHashMap(); else latest.clear();
        for (int n = 0; n < maxN; n++) previous[n] = new int[256];
        for (int[] p : previous) Arrays.fill(p, -1);
    }

    /** Hash of the n tokens ending at {@code end}, combined newest first (as the index builds it). */
    private static long hashEndingAt(TokenHistory h, int end, int n) {
        long hash = 0;
        for (int j = 0; j < n; j++) hash = mix(hash, h.get(end - j));
        return hash;
    }

    private static long mix(long h, int token) {
        h = (h + token + 1) * 0x9E3779B97F4A7C15L;
        return h ^ (h >>> 31);
    }

    private static long key(long hash, int n) {
        long k = hash ^ (n * 0xD6E8FEB86659FD93L);
        k = (k ^ (k >>> 33)) * 0xFF51AFD7ED558CCDL;
        return k ^ (k >>> 33);
    }
}

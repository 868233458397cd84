package io.tokenflow.speculative;

import java.util.Arrays;

/**
 * Lookahead (alipay/PIA, ALGORITHMS.md §3): retrieves a multi-branch sub-trie of continuations harvested from the
 * prompt and from all past outputs of this drafter. The prompt is inserted at {@link #startGeneration} (the next
 * {@code branchLength + 1} tokens under every prompt token), outputs as they are accepted (once a token has
 * {@code branchLength + 1} successors; shorter tails at {@link #endGeneration}). Retrieval queries the last two tokens
 * (the continuation of {@code t2} inside the trie of {@code t1}), falling back to the last token alone when that yields
 * fewer than {@code branchLength} nodes, and takes the most frequent nodes up to the budget and
 * {@code decodingLength}, depth at most {@code branchLength}.
 *
 * <p>Privacy: at request end the prompt counts are zeroed and nodes only the prompt produced are deleted at once
 * (the reference leaves them for a later squeeze), so one request's prompt never drafts for the next.
 */
final class LookaheadDrafter implements Drafter {

    public static final int DEFAULT_DECODING_LENGTH = 64;
    public static final int DEFAULT_BRANCH_LENGTH = 12;
    public static final int DEFAULT_MAX_NODES_PER_TREE = 65536;
    public static final int DEFAULT_MAX_OUTPUT_NODES_PER_TREE = 512;

    private final int decodingLength;
    private final int branchLength;
    private final LookaheadCache cache;

    /** Tokens generated in the current request, not yet all inserted. */
    private int[] outputs = new int[64];
    private int outputCount;
    /** outputs[0 .. nextKey) already had their successors inserted. */
    private int nextKey;
    /** History positions before this one are known (prompt or copied into outputs). */
    private int seen;
    private boolean inRequest;

    public LookaheadDrafter() {
        this(DEFAULT_DECODING_LENGTH, DEFAULT_BRANCH_LENGTH, DEFAULT_MAX_NODES_PER_TREE, DEFAULT_MAX_OUTPUT_NODES_PER_TREE);
    }

    /**
     * @param decodingLength tree size at most, root included (the reference counts the root among its ids)
     * @param branchLength depth at most of a drafted branch; insertions are {@code branchLength + 1} tokens long
     * @param maxNodesPerTree a key's trie is squeezed beyond this many nodes
     * @param maxOutputNodesPerTree ... or beyond this many nodes seen in outputs
     */
    public LookaheadDrafter(int decodingLength, int branchLength, int maxNodesPerTree, int maxOutputNodesPerTree) {
        if (decodingLength < 1 || decodingLength > DraftTree.MAX_NODES) {
            throw new IllegalArgumentException("decodingLength must be in [1, " + DraftTree.MAX_NODES + "], got " + decodingLength);
        }
        if (branchLength < 1) throw new IllegalArgumentException("branchLength must be >= 1, got " + branchLength);
        if (maxNodesPerTree < 1 || maxOutputNodesPerTree < 1) {
            throw new IllegalArgumentException("node limits must be positive, got " + maxNodesPerTree + " and " + maxOutputNodesPerTree);
        }
        this.decodingLength = decodingLength;
        this.branchLength = branchLength;
        this.cache = new LookaheadCache(maxNodesPerTree, maxOutputNodesPerTree);
    }

    @Override
    public String name() { return "lookahead"; }

    public int decodingLength() { return decodingLength; }

    public int branchLength() { return branchLength; }

    @Override
    public void startGeneration(int[] prompt) {
        if (inRequest) endGeneration();
        inRequest = true;
        cache.putAll(prompt, 0, prompt.length, branchLength + 1, true);
        outputCount = 0;
        nextKey = 0;
        seen = prompt.length;
    }

    @Override
    public DraftTree draft(TokenHistory history, int budget) {
        Drafter.checkBudget(budget);
        absorb(history);
        int root = history.last();
        int limit = Math.min(budget, decodingLength - 1);
        if (limit == 0) return DraftTree.rootOnly(root);
        DraftTree best = null;
        if (history.size() >= 2) {
            LookaheadCache.Node pair = cache.after(history.get(history.size() - 2), root);
            best = cache.retrieve(root, pair, limit, branchLength);
            if (best.draftedCount() >= Math.min(branchLength, limit)) return best;
        }
        LookaheadCache.Node single = cache.treeOf(root);
        if (single != null) {
            DraftTree fallback = cache.retrieve(root, single, limit, branchLength);
            if (best == null || fallback.draftedCount() > 0) best = fallback;
        }
        return best != null ? best : DraftTree.rootOnly(root);
    }

    @Override
    public void observe(Verification v, TokenHistory history) { absorb(history); }

    @Override
    public void endGeneration() {
        if (!inRequest) return;
        for (int i = nextKey; i < outputCount - 1; i++) {
            cache.insert(outputs[i], outputs, i + 1, Math.min(branchLength + 1, outputCount - i - 1), false);
        }
        outputCount = 0;
        nextKey = 0;
        seen = 0;
        inRequest = false;
        cache.endRequest();
    }

    @Override
    public int depthAt(int budget) { return Math.min(Math.min(Math.max(0, budget), branchLength), decodingLength - 1); }

    /** Copies new history tokens into the outputs and inserts every output whose successors are now complete. */
    private void absorb(TokenHistory history) {
        int size = history.size();
        inRequest = true;
        if (size < seen) seen = size;
        if (size > seen) {
            int add = size - seen;
            if (outputCount + add > outputs.length) outputs = Arrays.copyOf(outputs, Math.max(outputCount + add, outputs.length * 2));
            for (int p = seen; p < size; p++) outputs[outputCount++] = history.get(p);
            seen = size;
        }
        int length = branchLength + 1;
        for (; nextKey + length < outputCount; nextKey++) cache.insert(outputs[nextKey], outputs, nextKey + 1, length, false);
        // Keep only what later insertions still read.
        if (nextKey > 4096) {
            System.arraycopy(outputs, nextKey, outputs, 0, outputCount - nextKey);
            outputCount -= nextKey;
            nextKey = 0;
        }
    }

    /** The cache, for tests in this package. */
    LookaheadCache cache() { return cache; }
}

package io.tokenflow.speculative;

import java.util.Arrays;
import java.util.Objects;

/**
 * What the engine reports after verifying a {@link DraftTree}: the accepted path, the bonus token and the top-k
 * candidate token ids of every node's logits (rejected branches included: Token Recycling learns from all of them).
 * Arrays are copied in and out; use {@link #candidate} and {@link #acceptedNode} in loops.
 *
 * @param tree the verified tree
 * @param acceptedPath node indices from the root: {@code [0, i1, ..., ia]}, each the child of the previous
 * @param bonusToken the token the target model chose after the last accepted node (always emitted)
 * @param candidates {@code tree.size() x k} token ids, row-major, best first; row i is the top-k of node i's logits
 * @param k candidates per node (0 when the engine reports none)
 */
record Verification(DraftTree tree, int[] acceptedPath, int bonusToken, int[] candidates, int k) {

    /** The candidate width Token Recycling uses (its matrix width). */
    public static final int DEFAULT_K = 8;

    public Verification {
        Objects.requireNonNull(tree, "tree");
        Objects.requireNonNull(acceptedPath, "acceptedPath");
        Objects.requireNonNull(candidates, "candidates");
        acceptedPath = acceptedPath.clone();
        candidates = candidates.clone();
        if (acceptedPath.length == 0 || acceptedPath[0] != 0) {
            throw new IllegalArgumentException("acceptedPath must start with the root (node 0), got " + Arrays.toString(acceptedPath));
        }
        for (int j = 1; j < acceptedPath.length; j++) {
            int node = acceptedPath[j];
            if (node <= 0 || node >= tree.size() || tree.parent(node) != acceptedPath[j - 1]) {
                throw new IllegalArgumentException("acceptedPath " + Arrays.toString(acceptedPath) + " is not a path from the root: node "
                        + node + " is not a child of node " + acceptedPath[j - 1]);
            }
        }
        if (bonusToken < 0) throw new IllegalArgumentException("bonusToken is negative: " + bonusToken);
        if (k < 0) throw new IllegalArgumentException("k must be >= 0, got " + k);
        if (candidates.length != (long) tree.size() * k) {
            throw new IllegalArgumentException("candidates must hold tree.size() x k = " + tree.size() + " x " + k + " ids, got "
                    + candidates.length);
        }
        for (int j = 0; j < candidates.length; j++) {
            if (candidates[j] < 0) {
                throw new IllegalArgumentException("candidate " + (j % k) + " of node " + (j / k) + " is negative: " + candidates[j]);
            }
        }
    }

    /** A plain decoding step seen as a root-only tree: {@code token} follows {@code root}; {@code topK} may be empty. */
    public static Verification plain(int root, int token, int[] topK) {
        return new Verification(DraftTree.rootOnly(root), new int[] {0}, token, topK, topK.length);
    }

    @Override
    public int[] acceptedPath() { return acceptedPath.clone(); }

    @Override
    public int[] candidates() { return candidates.clone(); }

    /** Drafted tokens accepted (the bonus not counted). */
    public int acceptedLength() { return acceptedPath.length - 1; }

    /** Node {@code j} of the accepted path, {@code 0 <= j <= acceptedLength()}. */
    public int acceptedNode(int j) { return acceptedPath[j]; }

    /** The accepted drafted tokens, in order, without the bonus. */
    public int[] acceptedTokens() { return tree.tokensAlong(acceptedPath); }

    /** What the step emits: the accepted tokens then the bonus; the bonus is the next root. */
    public int[] emittedTokens() {
        int[] out = Arrays.copyOf(acceptedTokens(), acceptedPath.length);
        out[out.length - 1] = bonusToken;
        return out;
    }

    /** Candidate {@code rank} (0 = best) of node {@code node}. */
    public int candidate(int node, int rank) {
        if (node < 0 || node >= tree.size()) throw new IndexOutOfBoundsException("node " + node + " outside [0, " + tree.size() + ")");
        if (rank < 0 || rank >= k) throw new IndexOutOfBoundsException("rank " + rank + " outside [0, " + k + ")");
        return candidates[node * k + rank];
    }

    /** Row {@code node} of the candidates (copied). */
    public int[] candidateRow(int node) {
        if (node < 0 || node >= tree.size()) throw new IndexOutOfBoundsException("node " + node + " outside [0, " + tree.size() + ")");
        return Arrays.copyOfRange(candidates, node * k, node * k + k);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Verification v && tree.equals(v.tree) && Arrays.equals(acceptedPath, v.acceptedPath)
                && bonusToken == v.bonusToken && Arrays.equals(candidates, v.candidates) && k == v.k;
    }

    @Override
    public int hashCode() {
        return Objects.hash(tree, Arrays.hashCode(acceptedPath), bonusToken, Arrays.hashCode(candidates), k);
    }

    @Override
    public String toString() {
        return "Verification[tree=" + tree.size() + " nodes, acceptedPath=" + Arrays.toString(acceptedPath) + ", bonusToken="
                + bonusToken + ", k=" + k + "]";
    }
}

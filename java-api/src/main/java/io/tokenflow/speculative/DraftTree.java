package io.tokenflow.speculative;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A speculative token tree, immutable. Node 0 is the root: the last emitted token, not yet in the KV cache. Every
 * other node is a drafted token whose parent has a smaller index, so the node order is a valid batch order (parents
 * before children) and node {@code i} sits at position {@code committed + depth(i)}. Siblings never share a token:
 * a duplicate would be verified twice for nothing. At most {@link #MAX_NODES} nodes, root included.
 */
final class DraftTree {

    /** Nodes at most, root included (one llama.cpp sequence id per leaf stays within a 256-sequence cache). */
    public static final int MAX_NODES = 256;

    private final int[] tokens;
    private final int[] parents;
    private final int[] depths;
    private final int maxDepth;
    /** Children of node i are childList[childStart[i] .. childStart[i + 1]), ascending. */
    private final int[] childStart;
    private final int[] childList;

    private DraftTree(int[] tokens, int[] parents) {
        int n = tokens.length;
        if (n == 0) throw new IllegalArgumentException("a draft tree needs at least the root");
        if (n > MAX_NODES) throw new IllegalArgumentException("a draft tree holds at most " + MAX_NODES + " nodes, got " + n);
        if (parents.length != n) {
            throw new IllegalArgumentException("tokens and parents differ in length: " + n + " vs " + parents.length);
        }
        if (parents[0] != -1) throw new IllegalArgumentException("parents[0] must be -1 (the root), got " + parents[0]);
        int[] depth = new int[n];
        int[] childCount = new int[n];
        int deepest = 0;
        for (int i = 0; i < n; i++) {
            if (tokens[i] < 0) throw new IllegalArgumentException("token of node " + i + " is negative: " + tokens[i]);
            if (i == 0) continue;
            int p = parents[i];
            if (p < 0 || p >= i) {
                throw new IllegalArgumentException("parent of node " + i + " must be in [0, " + i + "), got " + p);
            }
            depth[i] = depth[p] + 1;
            deepest = Math.max(deepest, depth[i]);
            childCount[p]++;
        }
        int[] start = new int[n + 1];
        for (int i = 0; i < n; i++) start[i + 1] = start[i] + childCount[i];
        int[] fill = Arrays.copyOf(start, n);
        int[] list = new int[n - 1];
        for (int i = 1; i < n; i++) {
            int p = parents[i];
            for (int j = start[p]; j < fill[p]; j++) {
                if (tokens[list[j]] == tokens[i]) {
                    throw new IllegalArgumentException("nodes " + list[j] + " and " + i + " are siblings with the same token "
                            + tokens[i] + " (duplicates waste tree slots)");
                }
            }
            list[fill[p]++] = i;
        }
        this.tokens = tokens;
        this.parents = parents;
        this.depths = depth;
        this.maxDepth = deepest;
        this.childStart = start;
        this.childList = list;
    }

    /** A tree from parallel arrays (copied): {@code parents[0] == -1}, {@code 0 <= parents[i] < i}. */
    public static DraftTree of(int[] tokens, int[] parents) {
        if (tokens == null || parents == null) throw new IllegalArgumentException("tokens and parents must not be null");
        return new DraftTree(tokens.clone(), parents.clone());
    }

    /** The tree with the root only: a plain decoding step. */
    public static DraftTree rootOnly(int rootToken) {
        return new DraftTree(new int[] {rootToken}, new int[] {-1});
    }

    /** A chain root, t1, t2, ... (what prompt lookup drafts). */
    public static DraftTree chain(int rootToken, int... drafted) {
        Builder b = builder(rootToken);
        int at = 0;
        for (int t : drafted) at = b.add(at, t);
        return b.build();
    }

    public static Builder builder(int rootToken) { return new Builder(rootToken); }

    /** Nodes, root included. */
    public int size() { return tokens.length; }

    /** Drafted nodes: {@code size() - 1}. */
    public int draftedCount() { return tokens.length - 1; }

    public int token(int node) { return tokens[check(node)]; }

    public int parent(int node) { return parents[check(node)]; }

    /** Edges from the root: 0 for the root. */
    public int depth(int node) { return depths[check(node)]; }

    public int maxDepth() { return maxDepth; }

    public int rootToken() { return tokens[0]; }

    /** This tree without its nodes deeper than {@code depth} (node order kept); this tree when none is. */
    public DraftTree truncatedToDepth(int depth) {
        if (depth < 0) throw new IllegalArgumentException("depth must be >= 0, got " + depth);
        if (depth >= maxDepth) return this;
        Builder b = builder(tokens[0]);
        int[] map = new int[tokens.length];
        for (int i = 1; i < tokens.length; i++) map[i] = depths[i] <= depth ? b.add(map[parents[i]], tokens[i]) : -1;
        return b.build();
    }

    public int[] tokens() { return tokens.clone(); }

    public int[] parents() { return parents.clone(); }

    public int[] depths() { return depths.clone(); }

    /** Children of a node, ascending. */
    public int[] children(int node) {
        check(node);
        return Arrays.copyOfRange(childList, childStart[node], childStart[node + 1]);
    }

    public int childCount(int node) {
        check(node);
        return childStart[node + 1] - childStart[node];
    }

    /** The child of {@code node} carrying {@code token}, or -1. */
    public int child(int node, int token) {
        check(node);
        for (int j = childStart[node]; j < childStart[node + 1]; j++) {
            if (tokens[childList[j]] == token) return childList[j];
        }
        return -1;
    }

    public boolean isLeaf(int node) { return childCount(node) == 0; }

    /** Nodes without children, ascending (the root alone is a leaf of the root-only tree). */
    public int[] leaves() {
        int count = 0;
        for (int i = 0; i < tokens.length; i++) if (childStart[i + 1] == childStart[i]) count++;
        int[] out = new int[count];
        int at = 0;
        for (int i = 0; i < tokens.length; i++) if (childStart[i + 1] == childStart[i]) out[at++] = i;
        return out;
    }

    /** Node indices from the root (0) to {@code node}. */
    public int[] pathTo(int node) {
        int[] path = new int[depth(node) + 1];
        for (int i = node, at = path.length - 1; i >= 0; i = parents[i]) path[at--] = i;
        return path;
    }

    /** Root-to-leaf node index paths, one per leaf, in the order of {@link #leaves()}. */
    public List<int[]> paths() {
        List<int[]> out = new ArrayList<>();
        for (int leaf : leaves()) out.add(pathTo(leaf));
        return out;
    }

    /** Whether {@code ancestor} is {@code node} or lies on its path from the root (the attention mask). */
    public boolean isAncestor(int ancestor, int node) {
        check(ancestor);
        for (int i = check(node); i >= 0; i = parents[i]) {
            if (i == ancestor) return true;
            if (i < ancestor) return false;
        }
        return false;
    }

    /** The drafted tokens along a path from the root: the tokens of {@code path[1..]}. */
    public int[] tokensAlong(int[] path) {
        int[] out = new int[Math.max(0, path.length - 1)];
        for (int j = 1; j < path.length; j++) out[j - 1] = token(path[j]);
        return out;
    }

    private int check(int node) {
        if (node < 0 || node >= tokens.length) {
            throw new IndexOutOfBoundsException("node " + node + " outside [0, " + tokens.length + ")");
        }
        return node;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DraftTree t && Arrays.equals(tokens, t.tokens) && Arrays.equals(parents, t.parents);
    }

    @Override
    public int hashCode() { return 31 * Arrays.hashCode(tokens) + Arrays.hashCode(parents); }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("DraftTree[");
        for (int i = 0; i < tokens.length; i++) {
            if (i > 0) sb.append(' ');
            sb.append(tokens[i]);
            if (i > 0) sb.append('^').append(parents[i]);
        }
        return sb.append(']').toString();
    }

    /** Grows a tree node by node; {@link #add} refuses duplicate sibling tokens, {@link #find} looks them up. */
    public static final class Builder {
        private int[] tokens = new int[16];
        private int[] parents = new int[16];
        /** First child and next sibling: O(children) sibling lookups with no allocation. */
        private int[] firstChild = new int[16];
        private int[] nextSibling = new int[16];
        private int[] lastChild = new int[16];
        private int size;

        private Builder(int rootToken) {
            if (rootToken < 0) throw new IllegalArgumentException("root token is negative: " + rootToken);
            push(rootToken, -1);
        }

        /** Adds {@code token} under {@code parent} and returns the new node's index. */
        public int add(int parent, int token) {
            checkParent(parent);
            if (token < 0) throw new IllegalArgumentException("token is negative: " + token);
            int existing = find(parent, token);
            if (existing >= 0) {
                throw new IllegalArgumentException("node " + parent + " already has a child with token " + token
                        + " (node " + existing + ")");
            }
            if (size >= MAX_NODES) throw new IllegalStateException("the tree is full (" + MAX_NODES + " nodes)");
            return push(token, parent);
        }

        /** The existing child of {@code parent} with {@code token}, else a new one: trie insertion. */
        public int addOrGet(int parent, int token) {
            checkParent(parent);
            int existing = find(parent, token);
            return existing >= 0 ? existing : add(parent, token);
        }

        /** The child of {@code parent} carrying {@code token}, or -1. */
        public int find(int parent, int token) {
            checkParent(parent);
            for (int c = firstChild[parent]; c >= 0; c = nextSibling[c]) if (tokens[c] == token) return c;
            return -1;
        }

        public int size() { return size; }

        public int token(int node) {
            if (node < 0 || node >= size) throw new IndexOutOfBoundsException("node " + node + " outside [0, " + size + ")");
            return tokens[node];
        }

        public boolean isFull() { return size >= MAX_NODES; }

        public DraftTree build() {
            return new DraftTree(Arrays.copyOf(tokens, size), Arrays.copyOf(parents, size));
        }

        private void checkParent(int parent) {
            if (parent < 0 || parent >= size) throw new IllegalArgumentException("parent " + parent + " outside [0, " + size + ")");
        }

        private int push(int token, int parent) {
            if (size == tokens.length) {
                int cap = Math.min(MAX_NODES, size * 2);
                tokens = Arrays.copyOf(tokens, cap);
                parents = Arrays.copyOf(parents, cap);
                firstChild = Arrays.copyOf(firstChild, cap);
                nextSibling = Arrays.copyOf(nextSibling, cap);
                lastChild = Arrays.copyOf(lastChild, cap);
            }
            int i = size++;
            tokens[i] = token;
            parents[i] = parent;
            firstChild[i] = -1;
            nextSibling[i] = -1;
            lastChild[i] = -1;
            if (parent >= 0) {
                if (lastChild[parent] < 0) firstChild[parent] = i;
                else nextSibling[lastChild[parent]] = i;
                lastChild[parent] = i;
            }
            return i;
        }
    }
}

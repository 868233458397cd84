package io.tokenflow.speculative;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The frequency trie of Lookahead (ALGORITHMS.md §3): for every token, the trie of the token sequences that followed
 * it in prompts and outputs. A node counts how often its path was inserted from the current prompt ({@code fi}) and
 * from outputs ({@code fo}); retrieval ranks by {@code fm = (1 - w) fi + w fo}, so the current prompt dominates.
 * One request at a time (the reference's per-request prompt counts collapse to one field). Not thread-safe.
 */
final class LookaheadCache {

    static final double OUTPUT_WEIGHT = 1e-4;
    /** Squeezing runs once this many trees were updated since the last squeeze (as the reference). */
    static final int SQUEEZE_AFTER_UPDATED_TREES = 1024;

    private final int maxNodesPerTree;
    private final int maxOutputNodesPerTree;
    private final Map<Integer, Branches> mem = new HashMap<>();
    private final Set<Branches> updated = Collections.newSetFromMap(new IdentityHashMap<>());
    private final Set<Branches> promptTouched = Collections.newSetFromMap(new IdentityHashMap<>());

    LookaheadCache(int maxNodesPerTree, int maxOutputNodesPerTree) {
        this.maxNodesPerTree = maxNodesPerTree;
        this.maxOutputNodesPerTree = maxOutputNodesPerTree;
    }

    /** Inserts, for each position i in [from, to - 1), the next {@code length} tokens (cut at {@code to}) under tokens[i]. */
    void putAll(int[] tokens, int from, int to, int length, boolean prompt) {
        for (int i = from; i < to - 1; i++) insert(tokens[i], tokens, i + 1, Math.min(length, to - i - 1), prompt);
    }

    /** Adds one sequence under {@code key}, +1 to the prompt or output count of every node along it. */
    void insert(int key, int[] seq, int offset, int length, boolean prompt) {
        if (length <= 0) return;
        Branches tree = mem.computeIfAbsent(key, Branches::new);
        Node node = tree.root;
        for (int j = offset; j < offset + length; j++) {
            Node child = node.child(seq[j]);
            if (child == null) {
                child = node.addChild(seq[j]);
                tree.nodes++;
                if (!prompt) tree.outputNodes++;
            } else if (!prompt && child.fo == 0) {
                tree.outputNodes++;
            }
            if (prompt) child.fi += 1;
            else child.fo += 1;
            node = child;
        }
        updated.add(tree);
        if (prompt) promptTouched.add(tree);
    }

    /**
     * Request end: zero the prompt counts, drop nodes no output ever produced (prompt n-grams must not outlive the
     * request), and squeeze over-full trees once enough trees changed.
     */
    void endRequest() {
        for (Branches tree : promptTouched) {
            tree.root.resetPrompt();
            tree.root.removeChildrenIf(c -> c.fo == 0);
            tree.recount();
            if (tree.root.childCount == 0) {
                mem.remove(tree.key);
                updated.remove(tree);
            }
        }
        promptTouched.clear();
        if (updated.size() >= SQUEEZE_AFTER_UPDATED_TREES) {
            for (Branches tree : updated) {
                if (tree.nodes > maxNodesPerTree || tree.outputNodes > maxOutputNodesPerTree) {
                    tree.root.squeeze();
                    tree.recount();
                    if (tree.root.childCount == 0) mem.remove(tree.key);
                }
            }
            updated.clear();
        }
    }

    /** The trie root of {@code key}, or null. */
    Node treeOf(int key) {
        Branches b = mem.get(key);
        return b == null ? null : b.root;
    }

    /** Where (t1, t2) continues: node t2 inside the trie of t1 when it has counts, else null. */
    Node after(int t1, int t2) {
        Node root = treeOf(t1);
        if (root == null) return null;
        Node n = root.child(t2);
        return n != null && n.score() > 0 ? n : null;
    }

    int treeCount() { return mem.size(); }

    int nodeCount(int key) {
        Branches b = mem.get(key);
        return b == null ? 0 : b.nodes;
    }

    /** The node at {@code path} under {@code key}, or null. */
    Node find(int key, int... path) {
        Node n = treeOf(key);
        for (int j = 0; j < path.length && n != null; j++) n = n.child(path[j]);
        return n;
    }

    /**
     * The most frequent continuations below {@code start}: up to {@code limit} nodes (half reserved for the best by
     * output count), depth at most {@code maxDepth}, flattened depth-first with children by descending {@code fm}.
     * Nodes with no count are never drafted.
     */
    DraftTree retrieve(int rootToken, Node start, int limit, int maxDepth) {
        DraftTree.Builder b = DraftTree.builder(rootToken);
        if (start == null || limit <= 0 || maxDepth <= 0) return b.build();
        // Insertion-ordered (Node has identity equality): ties are broken the same way on every run.
        Map<Node, Integer> chosen = new LinkedHashMap<>();
        select(start, limit / 2, maxDepth, true, chosen);
        select(start, limit - chosen.size(), maxDepth, false, chosen);
        flatten(start, 0, 1, maxDepth, chosen, b);
        return b.build();
    }

    /** Best-first growth from {@code start} (closed under ancestors), by output count or by {@code fm}. */
    private static void select(Node start, int count, int maxDepth, boolean byOutput, Map<Node, Integer> chosen) {
        if (count <= 0) return;
        PriorityQueue<Frontier> queue = new PriorityQueue<>();
        int[] seq = {0};
        pushChildren(start, 1, maxDepth, byOutput, chosen, queue, seq);
        for (Map.Entry<Node, Integer> e : chosen.entrySet()) {
            pushChildren(e.getKey(), e.getValue() + 1, maxDepth, byOutput, chosen, queue, seq);
        }
        int added = 0;
        while (added < count && !queue.isEmpty()) {
            Frontier f = queue.poll();
            if (chosen.containsKey(f.node)) continue;
            chosen.put(f.node, f.depth);
            added++;
            pushChildren(f.node, f.depth + 1, maxDepth, byOutput, chosen, queue, seq);
        }
    }

    private static void pushChildren(Node parent, int depth, int maxDepth, boolean byOutput, Map<Node, Integer> chosen,
            PriorityQueue<Frontier> queue, int[] seq) {
        if (depth > maxDepth) return;
        for (int j = 0; j < parent.childCount; j++) {
            Node c = parent.children[j];
            double s = byOutput ? c.fo : c.score();
            if (s > 0 && !chosen.containsKey(c)) queue.add(new Frontier(c, depth, s, seq[0]++));
        }
    }

    private static void flatten(Node parent, int parentIndex, int depth, int maxDepth, Map<Node, Integer> chosen,
            DraftTree.Builder b) {
        if (depth > maxDepth) return;
        List<Node> kids = new ArrayList<>();
        for (int j = 0; j < parent.childCount; j++) if (chosen.containsKey(parent.children[j])) kids.add(parent.children[j]);
        kids.sort((x, y) -> Double.compare(y.score(), x.score()));
        for (Node c : kids) {
            if (b.isFull()) return;
            int index = b.add(parentIndex, c.token);
            flatten(c, index, depth + 1, maxDepth, chosen, b);
        }
    }

    /** Higher score first; ties: shallower, then earlier pushed (deterministic). */
    private record Frontier(Node node, int depth, double score, int seq) implements Comparable<Frontier> {
        @Override
        public int compareTo(Frontier o) {
            int c = Double.compare(o.score, score);
            if (c == 0) c = Integer.compare(depth, o.depth);
            return c != 0 ? c : Integer.compare(seq, o.seq);
        }
    }

    /** The trie of one key token. */
    private static final class Branches {
        final int key;
        final Node root = new Node(-1);
        int nodes;
        int outputNodes;

        Branches(int key) { this.key = key; }

        void recount() {
            int[] counts = new int[2];
            root.count(counts);
            nodes = counts[0];
            outputNodes = counts[1];
        }
    }

    /** A trie node: its token, counts and children (a small array, plus a hash index once it grows). */
    static final class Node {
        private static final int INDEX_FROM = 8;

        final int token;
        double fi;
        double fo;
        private int[] childTokens = new int[0];
        private Node[] children = new Node[0];
        private int childCount;
        private Map<Integer, Node> index;

        Node(int token) { this.token = token; }

        double score() { return (1 - OUTPUT_WEIGHT) * fi + OUTPUT_WEIGHT * fo; }

        int childCount() { return childCount; }

        Node child(int token) {
            if (index != null) return index.get(token);
            for (int j = 0; j < childCount; j++) if (childTokens[j] == token) return children[j];
            return null;
        }

        Node addChild(int token) {
            if (childCount == children.length) {
                int cap = Math.max(2, childCount * 2);
                childTokens = Arrays.copyOf(childTokens, cap);
                children = Arrays.copyOf(children, cap);
            }
            Node n = new Node(token);
            childTokens[childCount] = token;
            children[childCount++] = n;
            if (index != null) index.put(token, n);
            else if (childCount > INDEX_FROM) reindex();
            return n;
        }

        void removeChildrenIf(Predicate<Node> drop) {
            int kept = 0;
            for (int j = 0; j < childCount; j++) {
                Node c = children[j];
                if (drop.test(c)) continue;
                c.removeChildrenIf(drop);
                childTokens[kept] = c.token;
                children[kept++] = c;
            }
            Arrays.fill(children, kept, childCount, null);
            childCount = kept;
            index = null;
            if (childCount > INDEX_FROM) reindex();
        }

        void resetPrompt() {
            for (int j = 0; j < childCount; j++) {
                Node c = children[j];
                if (c.fi > 0) {
                    c.fi = 0;
                    c.resetPrompt();
                }
            }
        }

        /** Halves output counts above 1 and deletes the rest (prompt-only nodes included). */
        void squeeze() {
            removeChildrenIf(c -> c.fo <= 1);
            halve();
        }

        private void halve() {
            for (int j = 0; j < childCount; j++) {
                children[j].fo *= 0.5;
                children[j].halve();
            }
        }

        private void count(int[] counts) {
            for (int j = 0; j < childCount; j++) {
                counts[0]++;
                if (children[j].fo > 0) counts[1]++;
                children[j].count(counts);
            }
        }

        private void reindex() {
            index = new HashMap<>(childCount * 2);
            for (int j = 0; j < childCount; j++) index.put(childTokens[j], children[j]);
        }
    }
}

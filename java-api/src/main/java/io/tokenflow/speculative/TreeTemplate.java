package io.tokenflow.speculative;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A static draft-tree shape for Token Recycling: each node is a path of child ranks from the root ({@code [0, 1]} =
 * the rank-1 candidate of the rank-0 candidate of the root). Nodes are kept in breadth-first order (depth, then
 * lexicographic path), so any prefix of the template is itself a tree; node 0 is the root (the empty path).
 * Immutable; parent, candidate rank and depth of every node are precomputed.
 */
final class TreeTemplate {

    /**
     * The "2.2.2" template of the Token Recycling paper (ALGORITHMS.md §1(b)), exactly: 80 nodes + root, depths 1..6
     * with 8, 21, 25, 15, 8, 3 nodes, 40 leaves.
     */
    private static final int[][] RECYCLING_2_2_2 = {
        {0}, {1}, {2}, {3}, {4}, {5}, {6}, {7},
        {0, 0}, {0, 1}, {0, 2}, {0, 3}, {0, 4}, {0, 5}, {0, 6}, {0, 7}, {1, 0}, {1, 1}, {1, 2}, {1, 3}, {2, 0}, {2, 1},
        {2, 2}, {3, 0}, {3, 1}, {4, 0}, {5, 0}, {6, 0}, {7, 0},
        {0, 0, 0}, {0, 0, 1}, {0, 0, 2}, {0, 0, 3}, {0, 0, 4}, {0, 0, 5}, {0, 0, 6}, {0, 0, 7}, {0, 1, 0}, {0, 1, 1},
        {0, 1, 2}, {0, 2, 0}, {0, 2, 1}, {0, 3, 0}, {0, 4, 0}, {0, 5, 0}, {0, 6, 0}, {0, 7, 0}, {1, 0, 0}, {1, 0, 1},
        {1, 1, 0}, {2, 0, 0}, {3, 0, 0}, {4, 0, 0}, {5, 0, 0},
        {0, 0, 0, 0}, {0, 0, 0, 1}, {0, 0, 0, 2}, {0, 0, 0, 3}, {0, 0, 0, 4}, {0, 0, 1, 0}, {0, 0, 1, 1}, {0, 0, 2, 0},
        {0, 0, 3, 0}, {0, 0, 4, 0}, {0, 1, 0, 0}, {0, 2, 0, 0}, {1, 0, 0, 0}, {2, 0, 0, 0}, {3, 0, 0, 0},
        {0, 0, 0, 0, 0}, {0, 0, 0, 0, 1}, {0, 0, 0, 0, 2}, {0, 0, 0, 1, 0}, {0, 0, 0, 2, 0}, {0, 0, 1, 0, 0},
        {0, 1, 0, 0, 0}, {1, 0, 0, 0, 0},
        {0, 0, 0, 0, 0, 0}, {0, 0, 0, 0, 0, 1}, {0, 0, 0, 1, 0, 0},
    };

    private static final TreeTemplate DEFAULT = ofPaths(RECYCLING_2_2_2);

    private final int[][] paths;
    private final int[] parent;
    private final int[] cand;
    private final int[] depth;
    private final int[] childCount;
    private final int[] nodesAtDepth;
    private final Map<String, Integer> index;

    private TreeTemplate(int[][] paths, int[] parent, int[] cand, int[] depth, Map<String, Integer> index) {
        this.paths = paths;
        this.parent = parent;
        this.cand = cand;
        this.depth = depth;
        this.index = index;
        this.childCount = new int[paths.length];
        for (int i = 1; i < paths.length; i++) childCount[parent[i]]++;
        int maxDepth = depth[depth.length - 1];
        this.nodesAtDepth = new int[maxDepth + 1];
        for (int d : depth) nodesAtDepth[d]++;
    }

    /** The "2.2.2" template (80 nodes + root, depth 6). */
    public static TreeTemplate recycling222() { return DEFAULT; }

    /**
     * A template from its non-root nodes as rank paths, any order. Every prefix of a path must be listed too, and the
     * children of a node must be ranks {@code 0..c-1} (a gap would leave a candidate rank unused).
     */
    public static TreeTemplate ofPaths(int[][] nodePaths) {
        if (nodePaths == null) throw new IllegalArgumentException("paths must not be null");
        if (nodePaths.length + 1 > DraftTree.MAX_NODES) {
            throw new IllegalArgumentException("a template holds at most " + (DraftTree.MAX_NODES - 1) + " nodes, got " + nodePaths.length);
        }
        List<int[]> sorted = new ArrayList<>(nodePaths.length + 1);
        sorted.add(new int[0]);
        for (int[] p : nodePaths) {
            if (p == null || p.length == 0) throw new IllegalArgumentException("template paths must be non-empty (the root is implicit)");
            for (int r : p) if (r < 0) throw new IllegalArgumentException("negative rank in path " + Arrays.toString(p));
            sorted.add(p.clone());
        }
        sorted.sort(Comparator.<int[]>comparingInt(p -> p.length).thenComparing(Arrays::compare));
        int n = sorted.size();
        Map<String, Integer> index = new HashMap<>();
        int[] parent = new int[n];
        int[] cand = new int[n];
        int[] depth = new int[n];
        int[] children = new int[n];
        parent[0] = -1;
        cand[0] = -1;
        index.put(key(sorted.get(0)), 0);
        for (int i = 1; i < n; i++) {
            int[] p = sorted.get(i);
            if (index.putIfAbsent(key(p), i) != null) throw new IllegalArgumentException("duplicate template path " + Arrays.toString(p));
            Integer par = index.get(key(Arrays.copyOf(p, p.length - 1)));
            if (par == null) {
                throw new IllegalArgumentException("template path " + Arrays.toString(p) + " lacks its parent "
                        + Arrays.toString(Arrays.copyOf(p, p.length - 1)));
            }
            parent[i] = par;
            cand[i] = p[p.length - 1];
            depth[i] = p.length;
            if (cand[i] != children[par]) {
                throw new IllegalArgumentException("children of " + Arrays.toString(Arrays.copyOf(p, p.length - 1))
                        + " must be ranks 0..c-1 without gaps; found rank " + cand[i] + " after " + children[par] + " children");
            }
            children[par]++;
        }
        return new TreeTemplate(sorted.toArray(new int[0][]), parent, cand, depth, index);
    }

    private static String key(int[] path) { return Arrays.toString(path); }

    /** Nodes, root included. */
    public int size() { return paths.length; }

    public int parent(int node) { return parent[check(node)]; }

    /** The candidate rank this node takes from its parent's matrix row (-1 for the root). */
    public int cand(int node) { return cand[check(node)]; }

    public int depth(int node) { return depth[check(node)]; }

    public int childCount(int node) { return childCount[check(node)]; }

    public int maxDepth() { return nodesAtDepth.length - 1; }

    /** Nodes at depth {@code d} (1 for d = 0, the root). */
    public int nodesAtDepth(int d) { return d < 0 || d >= nodesAtDepth.length ? 0 : nodesAtDepth[d]; }

    public int leafCount() {
        int n = 0;
        for (int c : childCount) if (c == 0) n++;
        return n;
    }

    /** The rank path of a node (empty for the root). */
    public int[] path(int node) { return paths[check(node)].clone(); }

    /** The node with this rank path, or -1; no arguments = the root. */
    public int indexOf(int... path) {
        Integer i = index.get(key(path));
        return i == null ? -1 : i;
    }

    /**
     * Levels complete within the first {@code budget} non-root nodes (the template truncated in BFS order): the depth
     * at which a truncated tree is as wide as the full template.
     */
    public int levelsWithin(int budget) {
        int levels = 0;
        for (int d = 1, used = 0; d < nodesAtDepth.length; d++) {
            used += nodesAtDepth[d];
            if (used > budget) break;
            levels = d;
        }
        return levels;
    }

    private int check(int node) {
        if (node < 0 || node >= paths.length) throw new IndexOutOfBoundsException("node " + node + " outside [0, " + paths.length + ")");
        return node;
    }

    @Override
    public String toString() { return "TreeTemplate[" + (size() - 1) + " nodes, depth " + maxDepth() + "]"; }
}

package io.tokenflow.speculative;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TreeTemplateTest {

    private static final TreeTemplate T = TreeTemplate.recycling222();

    @Test
    void nodesPerDepth() {
        assertThat(T.size()).isEqualTo(81);
        assertThat(T.maxDepth()).isEqualTo(6);
        int[] expected = {1, 8, 21, 25, 15, 8, 3};
        for (int d = 0; d <= 6; d++) assertThat(T.nodesAtDepth(d)).as("depth %d", d).isEqualTo(expected[d]);
        assertThat(T.nodesAtDepth(7)).isZero();
        assertThat(T.leafCount()).isEqualTo(40);
    }

    /** Children per node exactly as ALGORITHMS.md §1(b) lists them; every other node is a leaf. */
    @Test
    void childrenPerNodeAsDocumented() {
        Map<String, Integer> doc = new HashMap<>();
        doc.put("[]", 8);
        put(doc, 8, "0");
        put(doc, 4, "1");
        put(doc, 3, "2");
        put(doc, 2, "3");
        put(doc, 1, "4", "5", "6", "7");
        put(doc, 8, "00");
        put(doc, 3, "01");
        put(doc, 2, "02");
        put(doc, 1, "03", "04", "05", "06", "07");
        put(doc, 2, "10");
        put(doc, 1, "11", "20", "30", "40", "50");
        put(doc, 5, "000");
        put(doc, 2, "001");
        put(doc, 1, "002", "003", "004", "010", "020", "100", "200", "300");
        put(doc, 3, "0000");
        put(doc, 1, "0001", "0002", "0010", "0100", "1000");
        put(doc, 2, "00000");
        put(doc, 1, "00010");
        int total = 0;
        for (int i = 0; i < T.size(); i++) {
            String key = Arrays.toString(T.path(i));
            int want = doc.getOrDefault(key, 0);
            assertThat(T.childCount(i)).as("children of %s", key).isEqualTo(want);
            total += T.childCount(i);
        }
        assertThat(total).isEqualTo(80);
        for (String key : doc.keySet()) {
            int[] path = key.equals("[]") ? new int[0]
                    : Arrays.stream(key.substring(1, key.length() - 1).split(", ")).mapToInt(Integer::parseInt).toArray();
            assertThat(T.indexOf(path)).as("node %s exists", key).isGreaterThanOrEqualTo(0);
        }
    }

    private static void put(Map<String, Integer> doc, int children, String... digitPaths) {
        for (String p : digitPaths) doc.put(Arrays.toString(p.chars().map(c -> c - '0').toArray()), children);
    }

    @Test
    void breadthFirstWithPrecomputedParentsAndRanks() {
        assertThat(T.parent(0)).isEqualTo(-1);
        assertThat(T.cand(0)).isEqualTo(-1);
        for (int i = 1; i < T.size(); i++) {
            assertThat(T.parent(i)).isLessThan(i);
            assertThat(T.depth(i)).isGreaterThanOrEqualTo(T.depth(i - 1)).isEqualTo(T.depth(T.parent(i)) + 1);
            int[] p = T.path(i);
            assertThat(T.cand(i)).isEqualTo(p[p.length - 1]);
            assertThat(T.path(T.parent(i))).containsExactly(Arrays.copyOf(p, p.length - 1));
        }
        assertThat(T.path(1)).containsExactly(0);
        assertThat(T.path(9)).containsExactly(0, 0);
        assertThat(T.indexOf(0, 0, 0, 1, 0, 0)).isEqualTo(80);
        assertThat(T.indexOf()).isZero();
        assertThat(T.indexOf(7, 7)).isEqualTo(-1);
    }

    @Test
    void levelsWithinBudget() {
        assertThat(T.levelsWithin(0)).isZero();
        assertThat(T.levelsWithin(7)).isZero();
        assertThat(T.levelsWithin(8)).isEqualTo(1);
        assertThat(T.levelsWithin(28)).isEqualTo(1);
        assertThat(T.levelsWithin(29)).isEqualTo(2);
        assertThat(T.levelsWithin(54)).isEqualTo(3);
        assertThat(T.levelsWithin(69)).isEqualTo(4);
        assertThat(T.levelsWithin(77)).isEqualTo(5);
        assertThat(T.levelsWithin(79)).isEqualTo(5);
        assertThat(T.levelsWithin(80)).isEqualTo(6);
        assertThat(T.levelsWithin(200)).isEqualTo(6);
    }

    @Test
    void ofPathsValidation() {
        TreeTemplate small = TreeTemplate.ofPaths(new int[][] {{1}, {0, 0}, {0}});
        assertThat(small.size()).isEqualTo(4);
        assertThat(small.path(3)).containsExactly(0, 0);
        assertThatThrownBy(() -> TreeTemplate.ofPaths(new int[][] {{0}, {0, 1}})).hasMessageContaining("ranks 0..c-1");
        assertThatThrownBy(() -> TreeTemplate.ofPaths(new int[][] {{0, 0}})).hasMessageContaining("lacks its parent [0]");
        assertThatThrownBy(() -> TreeTemplate.ofPaths(new int[][] {{0}, {0}})).hasMessageContaining("duplicate");
        assertThatThrownBy(() -> TreeTemplate.ofPaths(new int[][] {{}})).hasMessageContaining("non-empty");
        assertThatThrownBy(() -> TreeTemplate.ofPaths(new int[][] {{-1}})).hasMessageContaining("negative rank");
    }
}

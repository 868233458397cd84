package io.tokenflow.speculative;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenRecyclingDrafterTest {

    private static final int V = 1000;
    private static final int K = Verification.DEFAULT_K;

    /** The candidate row the toy "model" predicts after token t: distinct ids. */
    private static int f(int t, int rank) { return (t * 7 + rank * 131 + 1) % V; }

    /** Teaches rows f(t, .) for the given tokens with one verified flat tree per 255 tokens (as the engine would). */
    private static void teach(TokenRecyclingDrafter d, int... tokens) {
        for (int from = 0; from < tokens.length; from += 255) {
            int to = Math.min(tokens.length, from + 255);
            DraftTree.Builder b = DraftTree.builder(999);
            for (int j = from; j < to; j++) if (tokens[j] != 999) b.add(0, tokens[j]);
            DraftTree tree = b.build();
            int[] cands = new int[tree.size() * K];
            for (int i = 0; i < tree.size(); i++) for (int r = 0; r < K; r++) cands[i * K + r] = f(tree.token(i), r);
            d.observe(new Verification(tree, new int[] {0}, 1, cands, K), TokenHistory.of(1));
        }
    }

    private static int[] allTokens() {
        int[] all = new int[V];
        for (int t = 0; t < V; t++) all[t] = t;
        return all;
    }

    @Test
    void draftIsTheBreadthFirstGatherOfTheTemplate() {
        TokenRecyclingDrafter d = new TokenRecyclingDrafter(V);
        teach(d, allTokens());
        TreeTemplate t = TreeTemplate.recycling222();
        int[] expected = new int[t.size()];
        expected[0] = 5;
        for (int i = 1; i < t.size(); i++) expected[i] = f(expected[t.parent(i)], t.cand(i));

        DraftTree tree = d.draft(TokenHistory.of(3, 4, 5), 80);
        assertThat(tree.tokens()).containsExactly(expected);
        for (int i = 1; i < t.size(); i++) assertThat(tree.parent(i)).isEqualTo(t.parent(i));
        assertThat(tree.maxDepth()).isEqualTo(6);

        DraftTree small = d.draft(TokenHistory.of(5), 20);
        assertThat(small.size()).isEqualTo(21);
        assertThat(small.tokens()).containsExactly(Arrays.copyOf(expected, 21));
        assertThat(d.draft(TokenHistory.of(5), 200).size()).isEqualTo(81);
        assertThat(d.draft(TokenHistory.of(5), 0).size()).isEqualTo(1);
        assertThat(d.depthAt(20)).isEqualTo(1);
        assertThat(d.depthAt(80)).isEqualTo(6);
    }

    @Test
    void observeOverwritesWholeRowsLastWriteWins() {
        TokenRecyclingDrafter d = new TokenRecyclingDrafter(V);
        // Token 7 appears twice (nodes 1 and 3): row of node 3 must win.
        DraftTree tree = DraftTree.of(new int[] {2, 7, 8, 7}, new int[] {-1, 0, 0, 1});
        int[] cands = new int[4 * K];
        for (int i = 0; i < 4; i++) for (int r = 0; r < K; r++) cands[i * K + r] = 100 * (i + 1) + r;
        d.observe(new Verification(tree, new int[] {0, 1}, 9, cands, K), TokenHistory.of(2, 7, 9));
        assertThat(d.matrix().row(2)).containsExactly(100, 101, 102, 103, 104, 105, 106, 107);
        assertThat(d.matrix().row(7)).containsExactly(400, 401, 402, 403, 404, 405, 406, 407);
        assertThat(d.matrix().row(8)).containsExactly(300, 301, 302, 303, 304, 305, 306, 307);
        // A wider k from the engine: the first K columns are used.
        int[] wide = new int[12];
        for (int r = 0; r < 12; r++) wide[r] = 500 + r;
        d.observe(Verification.plain(2, 500, wide), TokenHistory.of(2, 500));
        assertThat(d.matrix().row(2)).containsExactly(500, 501, 502, 503, 504, 505, 506, 507);
        assertThatThrownBy(() -> d.observe(Verification.plain(2, 3, new int[] {1, 2, 3}), TokenHistory.of(2, 3)))
                .hasMessageContaining("k = 3");
        int[] outside = {1, 2, 3, 4, 5, 6, 7, V};
        assertThatThrownBy(() -> d.observe(Verification.plain(2, 3, outside), TokenHistory.of(2, 3)))
                .hasMessageContaining("outside the vocabulary");
    }

    @Test
    void unknownRowsAreNotExpandedAndDuplicateSiblingsMerge() {
        TokenRecyclingDrafter d = new TokenRecyclingDrafter(V);
        assertThat(d.draft(TokenHistory.of(5), 80).size()).isEqualTo(1);  // all-zero matrix: nothing to say

        AdjacencyMatrix m = d.matrix();
        m.setRow(5, new int[] {3, 3, 4, 4, 4, 4, 4, 4}, 0);
        m.setRow(3, new int[] {10, 11, 12, 13, 14, 15, 16, 17}, 0);
        m.setRow(4, new int[] {20, 21, 22, 23, 24, 25, 26, 27}, 0);
        DraftTree tree = d.draft(TokenHistory.of(5), 80);
        // Template [1] merges into [0] (token 3), [2]..[7] into one node (token 4); their children follow them.
        assertThat(tree.tokens()).containsExactly(5, 3, 4, 10, 11, 12, 13, 14, 15, 16, 17, 20, 21, 22);
        assertThat(tree.children(2)).hasSize(3);
    }

    @Test
    void matrixPersistsAcrossGenerations() {
        TokenRecyclingDrafter d = new TokenRecyclingDrafter(V);
        teach(d, allTokens());
        d.startGeneration(new int[] {1, 2});
        d.endGeneration();
        assertThat(d.draft(TokenHistory.of(5), 80).size()).isEqualTo(81);
    }

    @Test
    void saveLoadRoundTrip(@TempDir Path dir) throws IOException {
        TokenRecyclingDrafter d = new TokenRecyclingDrafter(V);
        teach(d, allTokens());
        Path file = dir.resolve("sub/recycling.bin");
        d.save(file);
        assertThat(Files.size(file)).isEqualTo(16 + V * K * 4 + 4);

        TokenRecyclingDrafter e = new TokenRecyclingDrafter(V);
        e.load(file);
        for (int t = 0; t < V; t++) assertThat(e.matrix().row(t)).containsExactly(d.matrix().row(t));
        assertThat(e.draft(TokenHistory.of(42), 80)).isEqualTo(d.draft(TokenHistory.of(42), 80));
        AdjacencyMatrix read = AdjacencyMatrix.read(file, V, K);
        assertThat(read.row(17)).containsExactly(d.matrix().row(17));
        d.save(file);  // overwriting works
    }

    @Test
    void loadRejectsMismatchAndCorruption(@TempDir Path dir) throws IOException {
        TokenRecyclingDrafter d = new TokenRecyclingDrafter(V);
        teach(d, 1, 2, 3);
        Path file = dir.resolve("m.bin");
        d.save(file);
        assertThatThrownBy(() -> new TokenRecyclingDrafter(V + 1).load(file)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1000 x 8").hasMessageContaining("V = 1001");
        assertThatThrownBy(() -> AdjacencyMatrix.read(file, V, 4)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("k = 4");

        byte[] bytes = Files.readAllBytes(file);
        bytes[100] ^= 1;
        Path corrupt = dir.resolve("corrupt.bin");
        Files.write(corrupt, bytes);
        assertThatThrownBy(() -> d.load(corrupt)).isInstanceOf(IOException.class).hasMessageContaining("checksum");

        Path truncated = dir.resolve("short.bin");
        Files.write(truncated, Arrays.copyOf(Files.readAllBytes(file), 1000));
        assertThatThrownBy(() -> d.load(truncated)).isInstanceOf(IOException.class).hasMessageContaining("truncated");

        Path other = dir.resolve("other.bin");
        Files.writeString(other, "hello, this is not a matrix");
        assertThatThrownBy(() -> d.load(other)).isInstanceOf(IOException.class).hasMessageContaining("magic");
        // A failed load leaves the matrix as it was.
        assertThat(d.matrix().row(1)).containsExactly(f(1, 0), f(1, 1), f(1, 2), f(1, 3), f(1, 4), f(1, 5), f(1, 6), f(1, 7));
    }

    @Test
    void learnsAGreedyCycleToFullDepth() {
        // A model that cycles deterministically: once the matrix holds the cycle, every step accepts the full depth.
        ToyModel model = new ToyModel(50, 1, 7);
        TokenRecyclingDrafter d = new TokenRecyclingDrafter(50);
        int[] prompt = {1, 2, 3};
        ToyModel.Run first = model.generate(d, prompt, 300, 80);
        assertThat(first.tokens()).containsExactly(model.greedy(prompt, 300));
        ToyModel.Run second = model.generate(d, prompt, 300, 80);
        assertThat(second.tokens()).containsExactly(first.tokens());
        assertThat(second.stats().meanAcceptedPerStep()).isGreaterThan(5.5);  // depth 6 almost every step
    }
}

package io.tokenflow.speculative;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Token Recycling (ALGORITHMS.md §1): drafts by expanding an {@link AdjacencyMatrix} from the root along a static
 * {@link TreeTemplate} ({@code tok[i] = A[tok[parent[i]]][cand[i]]}, breadth first), and learns by overwriting the
 * matrix rows of every verified node with that node's top-k candidates, rejected branches included. The matrix
 * persists across generations (each query inherits what earlier ones taught); save and load it to keep it across runs.
 *
 * <p>Two refinements over the reference, both affecting speed only: a template node whose token repeats a sibling's
 * is merged into that sibling (its subtree continues there, without spending budget), and nodes are not expanded
 * from rows never written (an all-zero row would only draft token 0).
 */
final class TokenRecyclingDrafter implements Drafter {

    private final AdjacencyMatrix matrix;
    private final TreeTemplate template;
    /** Template node -> tree node of the draft in progress (reused; drafting allocates only the builder). */
    private final int[] mapped;

    /** The "2.2.2" template and k = {@link Verification#DEFAULT_K}. */
    public TokenRecyclingDrafter(int vocabSize) {
        this(new AdjacencyMatrix(vocabSize, Verification.DEFAULT_K), TreeTemplate.recycling222());
    }

    public TokenRecyclingDrafter(AdjacencyMatrix matrix, TreeTemplate template) {
        this.matrix = Objects.requireNonNull(matrix, "matrix");
        this.template = Objects.requireNonNull(template, "template");
        for (int i = 1; i < template.size(); i++) {
            if (template.cand(i) >= matrix.k()) {
                throw new IllegalArgumentException("template node " + i + " takes rank " + template.cand(i) + " but the matrix has k = "
                        + matrix.k());
            }
        }
        this.mapped = new int[template.size()];
    }

    @Override
    public String name() { return "recycling"; }

    public AdjacencyMatrix matrix() { return matrix; }

    public TreeTemplate template() { return template; }

    @Override
    public DraftTree draft(TokenHistory history, int budget) {
        Drafter.checkBudget(budget);
        int root = history.last();
        DraftTree.Builder b = DraftTree.builder(root);
        if (root >= matrix.vocabSize()) return b.build();
        mapped[0] = 0;
        for (int i = 1; i < template.size() && b.size() <= budget; i++) {
            int parentNode = mapped[template.parent(i)];
            if (parentNode < 0) {
                mapped[i] = -1;
                continue;
            }
            int parentToken = b.token(parentNode);
            if (!matrix.known(parentToken)) {
                mapped[i] = -1;
                continue;
            }
            int token = matrix.get(parentToken, template.cand(i));
            int existing = b.find(parentNode, token);
            mapped[i] = existing >= 0 ? existing : b.add(parentNode, token);
        }
        return b.build();
    }

    /** Whole-row overwrite for every node in index order (last write wins); uses the first k candidates of each row. */
    @Override
    public void observe(Verification v, TokenHistory history) {
        if (v.k() == 0) return;
        if (v.k() < matrix.k()) {
            throw new IllegalArgumentException("verification reports k = " + v.k() + " candidates per node, the matrix needs "
                    + matrix.k());
        }
        int[] cands = v.candidates();
        DraftTree tree = v.tree();
        for (int i = 0; i < tree.size(); i++) {
            int token = tree.token(i);
            if (token < matrix.vocabSize()) matrix.setRow(token, cands, i * v.k());
        }
    }

    /** Complete template levels only: the profile is measured on full-width levels, a partial one would overstate it. */
    @Override
    public int depthAt(int budget) { return template.levelsWithin(Math.max(0, budget)); }

    public void save(Path path) throws IOException { matrix.save(path); }

    /** Loads a saved matrix into this drafter; rejects a file with another V or k. */
    public void load(Path path) throws IOException { matrix.load(path); }
}

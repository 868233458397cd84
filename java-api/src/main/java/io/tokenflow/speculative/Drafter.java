package io.tokenflow.speculative;

/**
 * Proposes token trees for lossless speculative decoding. Per generation the engine calls {@link #startGeneration},
 * then for every step {@link #draft} and, after verifying the tree, {@link #observe}; finally {@link #endGeneration}.
 * Drafters are deterministic and keep state across generations (what they learned); one instance serves one session
 * and is not thread-safe.
 */
interface Drafter {

    /** Short policy name for logs and stats, e.g. "ngram". */
    String name();

    /** A new generation starts; {@code prompt} is the whole context before the first generated token. */
    default void startGeneration(int[] prompt) {}

    /**
     * A tree rooted at {@code history.last()} with at most {@code budget} drafted nodes ({@code size() <= budget + 1}).
     * Budget 0, or nothing to propose, gives the root-only tree.
     */
    DraftTree draft(TokenHistory history, int budget);

    /**
     * The verification of the last step. {@code history} already holds the step's emitted tokens (accepted tokens
     * then the bonus; fewer when the generation stopped inside them). The tree may hold more than this drafter's own
     * (a merged tree).
     */
    default void observe(Verification v, TokenHistory history) {}

    /** The generation ended (any reason: EOS, limit, cancel, error). */
    default void endGeneration() {}

    /**
     * The depth up to which a tree of {@code budget} drafted nodes is built in full, as this drafter's acceptance was
     * measured: {@link TreeSizer} credits acceptance down to this depth only. A chain: the budget; a template: its
     * complete levels.
     */
    default int depthAt(int budget) { return Math.max(0, budget); }

    /** Checks a budget argument the same way in every drafter. */
    static void checkBudget(int budget) {
        if (budget < 0 || budget >= DraftTree.MAX_NODES) {
            throw new IllegalArgumentException("budget must be in [0, " + (DraftTree.MAX_NODES - 1) + "], got " + budget);
        }
    }
}

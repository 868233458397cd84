/**
 * Lossless speculative decoding, the Java side: drafters that propose token trees, and the choice of tree size.
 *
 * <p>The engine's loop, per generation (all calls on the session's thread):
 * <pre>{@code
 * drafter.startGeneration(prompt);                       // the whole context, cached prefix included
 * TokenBuffer history = TokenBuffer.of(prompt);
 * history.append(firstToken);                            // from the prompt's logits, as in plain decoding
 * try {
 *   while (!done) {
 *     int budget = sizer.choose(profile, drafter);       // 0 = plain decoding this step
 *     DraftTree tree = drafter.draft(history, budget);   // root = history.last(), <= budget drafted nodes
 *     // decode all tree nodes in one batch: node i at position nPast + tree.depth(i), where nPast = history.size() - 1
 *     // (cells in the KV cache); node i attends to the committed cells and to its ancestors (tree.parents(),
 *     // tree.isAncestor; or one seq id per tree.leaves() path). Verification kernel: greedy, or rule A of §2 at T > 0.
 *     Verification v = new Verification(tree, acceptedPath, bonusToken, topKOfEveryNode, 8);
 *     // keep the KV cells of v.acceptedPath() (node 0 included), remove the others
 *     for (int t : v.emittedTokens()) history.append(t); // accepted tokens then the bonus (cut at EOS / stop / max)
 *     drafter.observe(v, history);
 *     profile.record(v);
 *     stats.step(v, draftNanos, verifyNanos, decodeNanos);
 *   }
 * } finally {
 *   drafter.endGeneration();                             // always: Lookahead purges the prompt here
 * }
 * }</pre>
 * A root-only tree (budget 0) is a plain step; reporting it as {@link io.tokenflow.speculative.Verification#plain}
 * with the root's top-k lets Token Recycling keep learning while speculation is off.
 *
 * <p>Tree size: measure once per model and thread count {@code cost[n - 1]} = seconds to decode a batch of n tokens,
 * n = 1..N ({@link io.tokenflow.speculative.TreeSizer#interpolate} fills gaps), and build a
 * {@link io.tokenflow.speculative.TreeSizer} with the measured per-step host overhead (drafting + verification).
 *
 * <p>Drafters keep what they learned across generations (one instance per session, not thread-safe); the Token
 * Recycling matrix can be saved and loaded. {@link io.tokenflow.speculative.Speculation} maps the CLI names to drafters.
 */
package io.tokenflow.speculative;

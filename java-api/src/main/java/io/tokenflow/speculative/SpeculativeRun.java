package io.tokenflow.speculative;

import io.tokenflow.GenerationOptions;
import io.tokenflow.NativeException;
import io.tokenflow.StopReason;
import io.tokenflow.internal.Emitter;
import io.tokenflow.internal.NativeSampler;
import io.tokenflow.internal.NativeSession;
import io.tokenflow.internal.PlainLoop;
import java.util.Arrays;

/**
 * Lossless speculative generation: each step a drafter proposes a token tree rooted at the last emitted
 * token, libtokenflow decodes the whole tree in one batch, verification finds the longest path whose every token
 * is its parent's argmax (plus the bonus token after it), the accepted path is committed to the KV cache and
 * everything else dropped. Greedy output is token-identical to plain greedy decoding (F32 KV cache, flash attention
 * off); with temperature > 0 the kernel's sample-and-match rule keeps every emitted token distributed exactly as
 * the plain sampler's chain (top-k, top-p, min-p, temperature) would draw it. The drafter and the tree size only
 * change speed. When the budget is 0 (no tree pays for itself here) a step is a plain decode.
 *
 * <p>One generation; the session's learned state (drafters, acceptance, cost curve) is the {@link SpeculationEngine}'s.
 */
final class SpeculativeRun {
    /** Top-k candidates kept per verified node (Token Recycling's matrix width). */
    static final int CANDIDATES = Verification.DEFAULT_K;

    private final SpeculationEngine engine;
    private final NativeSession session;
    private final GenerationOptions options;
    private final Emitter out;
    private final NativeSampler sampler;
    private final int vocab;

    /** Uniform draws for stochastic verification (one per tree depth), seeded like the plain sampler. */
    private final java.util.SplittableRandom random;

    SpeculativeRun(SpeculationEngine engine, NativeSession session, int vocab, GenerationOptions options, Emitter out,
            NativeSampler sampler, long seed) {
        this.random = new java.util.SplittableRandom(seed);
        this.engine = engine;
        this.session = session;
        this.options = options;
        this.out = out;
        this.sampler = sampler;
        this.vocab = vocab;
    }

    SpeculationStats run(int[] prompt, long[] firstTokenAt) {
        AcceptanceProfile profile = engine.profile(options.speculation());
        // Decide before the first token whether trees can pay at all (this may load the cost curve), so that set-up
        // counts as time to first token, not as generation time. Cheapest check first: when not even a chain as deep
        // as the budget could pay (the best any drafter can do), no drafter is created at all.
        boolean auto = options.draftBudget() == GenerationOptions.AUTO_BUDGET;
        boolean plainOnly = auto && engine.treesCannotPay(options.speculation(), profile);
        Drafter drafter = plainOnly ? null : engine.drafter(options.speculation());
        if (!plainOnly && auto && engine.draftBudget(options, drafter) == 0) plainOnly = true;
        SpeculationStats.Accumulator stats = SpeculationStats.accumulator(
                drafter != null ? drafter.name() : options.speculation().toString());
        // Positions run past the cell count by what KV compression evicted.
        int contextSize = session.contextSize() + (int) session.evicted();

        // The first token comes from the prompt's logits, exactly as in plain decoding.
        int root = sampler.sample(session);
        firstTokenAt[0] = System.nanoTime();
        if (!out.emit(root)) return stats.batchInvariant(session.batchInvariant()).build();
        if (plainOnly) {
            // No tree pays for itself here by the current profile (which cannot change without trees): decode
            // plainly, with no per-step drafting work at all.
            finishPlainly(root, profile, firstTokenAt);
            return stats.batchInvariant(session.batchInvariant()).build();
        }
        TokenBuffer history = TokenBuffer.of(prompt).append(root);
        boolean plainRest = false;
        drafter.startGeneration(prompt);
        int[] path = new int[DraftTree.MAX_NODES];
        int[] len = new int[1];
        int[] bonus = new int[1];
        try {
            while (true) {
                if (session.cancelRequested()) { out.end(StopReason.CANCELLED); break; }
                int pos0 = session.tokens().size();
                if (pos0 >= contextSize) { out.end(StopReason.CONTEXT_FULL); break; }
                long t0 = System.nanoTime();
                int chosen = engine.draftBudget(options, drafter);
                if (auto && chosen == 0) {
                    // The choice depends only on the cost curve, the drafter's shape and the acceptance profile, and
                    // the profile changes only when trees run: this verdict is final for the generation. Finish
                    // plainly, without per-step drafting work.
                    plainRest = true;
                    break;
                }
                int budget = Math.min(chosen, Math.max(0, contextSize - pos0 - 1));
                // A step emits at most its tree's depth + 1 tokens: nodes past the token limit would be decoded for nothing.
                int depthLeft = Math.max(0, options.maxTokens() - out.count() - 1);
                DraftTree tree = budget > 0 && depthLeft > 0 ? drafter.draft(history, budget).truncatedToDepth(depthLeft)
                        : DraftTree.rootOnly(root);
                if (tree.rootToken() != root || pos0 + tree.maxDepth() >= contextSize) tree = DraftTree.rootOnly(root);
                long t1 = System.nanoTime();
                Verification v;
                long t2;
                int cachedBefore = pos0;
                if (tree.size() == 1) {
                    boolean decoded = session.appendOne(root);
                    t2 = System.nanoTime();
                    if (!decoded) { out.end(StopReason.CANCELLED); break; }
                    int next = options.greedy() ? -1 : sampler.sample(session);
                    v = plainVerification(root, next);
                } else {
                    int n = tree.size();
                    boolean decoded = session.decodeTree(tree.tokens(), tree.parents(), n);
                    t2 = System.nanoTime();
                    if (!decoded) { out.end(StopReason.CANCELLED); break; }
                    int[] cands = new int[n * CANDIDATES];
                    if (options.greedy()) {
                        session.verifyGreedy(CANDIDATES, path, len, bonus, cands);
                    } else {
                        float[] uniforms = new float[n];
                        for (int i = 0; i < n; i++) uniforms[i] = (float) random.nextDouble();
                        // A float may round up to 1.0; the kernel wants [0, 1).
                        for (int i = 0; i < n; i++) if (uniforms[i] >= 1f) uniforms[i] = Math.nextDown(1f);
                        session.verifySample(options.temperature(), options.topK(), options.topP(), options.minP(), uniforms,
                                CANDIDATES, path, len, bonus, cands);
                    }
                    int[] accepted = Arrays.copyOf(path, len[0]);
                    int[] acceptedTokens = new int[accepted.length];
                    for (int i = 0; i < accepted.length; i++) acceptedTokens[i] = tree.token(accepted[i]);
                    session.commitPath(accepted, acceptedTokens);
                    v = new Verification(tree, accepted, bonus[0], cands, CANDIDATES);
                }
                long t3 = System.nanoTime();
                stats.step(v, t1 - t0, t3 - t2, t2 - t1);
                engine.recordStepOverhead(options.speculation(), (t1 - t0 + t3 - t2) / 1e9);
                if (tree.size() > 1) profile.record(v);

                // The drafter learns from every verified step, even the last one of a generation.
                int[] emitted = v.emittedTokens();
                for (int t : emitted) {
                    if (t < 0 || t >= vocab) throw new NativeException("verification returned token " + t);
                    history.append(t);
                }
                drafter.observe(v, history);
                // The cache now holds root + accepted nodes; emit the accepted tokens, then the bonus.
                boolean go = true;
                for (int j = 0; j < emitted.length && go; j++) {
                    go = out.emit(emitted[j]);
                    // On a stop, keep exactly the tokens before the last emitted one, as plain decoding would.
                    if (!go) session.truncate(cachedBefore + 1 + j);
                }
                if (!go) break;
                root = v.bonusToken();
            }
        } finally {
            drafter.endGeneration();
        }
        if (plainRest) finishPlainly(root, profile, firstTokenAt);
        return stats.batchInvariant(session.batchInvariant()).build();
    }

    /**
     * The rest of the generation by plain decoding after {@code root}. The profile's evidence fades by the tokens
     * decoded, so that a verdict against trees is revisited in later generations of the session.
     */
    private void finishPlainly(int root, AcceptanceProfile profile, long[] firstTokenAt) {
        int before = out.count();
        try {
            if (!session.appendOne(root)) {
                out.end(StopReason.CANCELLED);
                return;
            }
            PlainLoop.run(session, sampler, out, firstTokenAt);
        } finally {
            profile.age(Math.max(0, out.count() - before));
        }
    }

    /**
     * After a plain decode of {@code root}: the next token ({@code sampled}, or the greedy one when negative) and
     * the top-k candidates of the logits (for Token Recycling).
     */
    private Verification plainVerification(int root, int sampled) {
        int k = Math.min(CANDIDATES, vocab);
        int[] ids = Arrays.copyOf(session.topK(k, vocab), CANDIDATES);
        // The top-1 is the greedy token: ties go to the smaller id, as llama.cpp's greedy sampler does.
        return Verification.plain(root, sampled >= 0 ? sampled : ids[0], ids);
    }
}

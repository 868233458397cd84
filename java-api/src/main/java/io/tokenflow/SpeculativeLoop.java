package io.tokenflow;

import io.tokenflow.internal.TokenflowNative;
import io.tokenflow.internal.TokenflowNative.TfSampler;
import io.tokenflow.internal.TokenflowNative.TfSession;
import io.tokenflow.speculative.AcceptanceProfile;
import io.tokenflow.speculative.DraftTree;
import io.tokenflow.speculative.Drafter;
import io.tokenflow.speculative.Speculation;
import io.tokenflow.speculative.SpeculationStats;
import io.tokenflow.speculative.TokenBuffer;
import io.tokenflow.speculative.Verification;
import java.util.Arrays;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

/**
 * Lossless speculative generation: each step a drafter proposes a token tree rooted at the last emitted
 * token, libtokenflow decodes the whole tree in one batch, verification finds the longest path whose every token
 * is its parent's argmax (plus the bonus token after it), the accepted path is committed to the KV cache and
 * everything else dropped. Greedy output is token-identical to plain greedy decoding (F32 KV cache, flash attention
 * off); with temperature > 0 the kernel's sample-and-match rule keeps every emitted token distributed exactly as
 * the plain sampler's chain (top-k, top-p, min-p, temperature) would draw it. The drafter and the tree size only
 * change speed. When the budget is 0 (no tree pays for itself here) a step is a plain decode.
 */
final class SpeculativeLoop {
    /** Top-k candidates kept per verified node (Token Recycling's matrix width). */
    static final int CANDIDATES = Verification.DEFAULT_K;

    private final Session session;
    private final GenerationOptions options;
    private final Emitter out;
    private final TfSampler sampler;
    private final TfSession handle;
    private final int vocab;
    // Scratch for the plain step's top-k: allocated once per generation, not per token.
    private final int[] ids = new int[CANDIDATES];
    private IntPointer idp;
    private FloatPointer valp;

    /** Uniform draws for stochastic verification (one per tree depth), seeded like the plain sampler. */
    private final java.util.SplittableRandom random;

    SpeculativeLoop(Session session, GenerationOptions options, Emitter out, TfSampler sampler, long seed) {
        this.random = new java.util.SplittableRandom(seed);
        this.session = session;
        this.options = options;
        this.out = out;
        this.sampler = sampler;
        this.handle = session.nativeHandle();
        this.vocab = session.model().info().vocabularySize();
    }

    /**
     * Speculation runs without a repetition penalty (the penalty depends on each node's own prefix, which the
     * verification kernel does not model); with one, generation decodes plainly.
     */
    static boolean applies(GenerationOptions o) {
        return o.speculation() != Speculation.NONE && o.repeatPenalty() == 1f;
    }

    SpeculationStats run(int[] prompt, long[] firstTokenAt) {
        AcceptanceProfile profile = session.profile(options.speculation());
        // Decide before the first token whether trees can pay at all (this may load the cost curve), so that set-up
        // counts as time to first token, not as generation time. Cheapest check first: when not even a chain as deep
        // as the budget could pay (the best any drafter can do), no drafter is created at all.
        boolean auto = options.draftBudget() == GenerationOptions.AUTO_BUDGET;
        boolean plainOnly = auto && session.treesCannotPay(options.speculation(), profile);
        Drafter drafter = plainOnly ? null : session.drafter(options.speculation());
        if (!plainOnly && auto && session.draftBudget(options, drafter) == 0) plainOnly = true;
        SpeculationStats.Accumulator stats = SpeculationStats.accumulator(
                drafter != null ? drafter.name() : options.speculation().toString());
        // Positions run past the cell count by what KV compression evicted.
        int contextSize = session.contextSize() + (int) session.evictedTokens();

        // The first token comes from the prompt's logits, exactly as in plain decoding.
        int root = TokenflowNative.tf_sampler_sample(sampler, handle);
        session.checkNative(root, "sample");
        firstTokenAt[0] = System.nanoTime();
        if (!out.emit(root)) return stats.build();
        if (plainOnly) {
            // No tree pays for itself here by the current profile (which cannot change without trees): decode
            // plainly, with no per-step drafting work at all.
            finishPlainly(root, profile, firstTokenAt);
            return stats.build();
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
                int pos0 = session.cachedList().size();
                if (pos0 >= contextSize) { out.end(StopReason.CONTEXT_FULL); break; }
                long t0 = System.nanoTime();
                int chosen = session.draftBudget(options, drafter);
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
                    int rc = session.decodeNext(root);
                    t2 = System.nanoTime();
                    if (rc == TokenflowNative.TF_ERR_ABORTED) { out.end(StopReason.CANCELLED); break; }
                    session.checkNative(rc, "decode");
                    int next = -1;
                    if (!options.greedy()) {
                        next = TokenflowNative.tf_sampler_sample(sampler, handle);
                        session.checkNative(next, "sample");
                    }
                    v = plainVerification(root, next);
                } else {
                    int n = tree.size();
                    int rc = TokenflowNative.tf_session_decode_tree(handle, tree.tokens(), tree.parents(), n, pos0);
                    t2 = System.nanoTime();
                    if (rc == TokenflowNative.TF_ERR_ABORTED) { out.end(StopReason.CANCELLED); break; }
                    session.checkNative(rc, "decode tree");
                    int[] cands = new int[n * CANDIDATES];
                    if (options.greedy()) {
                        session.checkNative(TokenflowNative.tf_session_verify_greedy(handle, CANDIDATES, path, len, bonus, cands, 1), "verify");
                    } else {
                        float[] uniforms = new float[n];
                        for (int i = 0; i < n; i++) uniforms[i] = (float) random.nextDouble();
                        // A float may round up to 1.0; the kernel wants [0, 1).
                        for (int i = 0; i < n; i++) if (uniforms[i] >= 1f) uniforms[i] = Math.nextDown(1f);
                        session.checkNative(TokenflowNative.tf_session_verify_sample(handle, options.temperature(), options.topK(),
                                options.topP(), options.minP(), uniforms, CANDIDATES, path, len, bonus, cands, 1), "verify");
                    }
                    int[] accepted = Arrays.copyOf(path, len[0]);
                    session.checkNative(TokenflowNative.tf_session_commit_path(handle, accepted, len[0]), "commit");
                    for (int node : accepted) session.cachedList().add(tree.token(node));
                    v = new Verification(tree, accepted, bonus[0], cands, CANDIDATES);
                }
                long t3 = System.nanoTime();
                stats.step(v, t1 - t0, t3 - t2, t2 - t1);
                session.recordStepOverhead(options.speculation(), (t1 - t0 + t3 - t2) / 1e9);
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
                    if (!go) session.truncateCache(cachedBefore + 1 + j);
                }
                if (!go) break;
                root = v.bonusToken();
            }
        } finally {
            drafter.endGeneration();
            if (idp != null) idp.close();
            if (valp != null) valp.close();
        }
        if (plainRest) finishPlainly(root, profile, firstTokenAt);
        return stats.build();
    }

    /**
     * The rest of the generation by plain decoding after {@code root}. The profile's evidence fades by the tokens
     * decoded, so that a verdict against trees is revisited in later generations of the session.
     */
    private void finishPlainly(int root, AcceptanceProfile profile, long[] firstTokenAt) {
        int before = out.count();
        try {
            int rc = session.decodeNext(root);
            if (rc == TokenflowNative.TF_ERR_ABORTED) {
                out.end(StopReason.CANCELLED);
                return;
            }
            session.checkNative(rc, "decode");
            session.plainLoop(session.cachedList().size(), out, sampler, firstTokenAt);
        } finally {
            profile.age(Math.max(0, out.count() - before));
        }
    }

    /**
     * After a plain decode of {@code root}: the next token ({@code sampled}, or the greedy one when negative) and
     * the top-k candidates of the logits (for Token Recycling).
     */
    private Verification plainVerification(int root, int sampled) {
        FloatPointer logits = TokenflowNative.tf_session_logits(handle);
        if (logits == null || logits.isNull()) throw new NativeException("no logits: " + TokenflowNative.lastError());
        if (idp == null) {
            idp = new IntPointer(CANDIDATES);
            valp = new FloatPointer(CANDIDATES);
        }
        int k = Math.min(CANDIDATES, vocab);
        session.checkNative(TokenflowNative.tf_topk_f32(logits, 1, vocab, vocab, k, idp, valp, 1), "top-k");
        idp.get(ids, 0, k);
        // The top-1 is the greedy token: ties go to the smaller id, as llama.cpp's greedy sampler does.
        return Verification.plain(root, sampled >= 0 ? sampled : ids[0], ids.clone());
    }
}

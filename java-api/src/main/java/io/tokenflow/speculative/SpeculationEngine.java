package io.tokenflow.speculative;

import io.tokenflow.GenerationOptions;
import io.tokenflow.SessionOptions;
import io.tokenflow.internal.Emitter;
import io.tokenflow.internal.NativeSampler;
import io.tokenflow.internal.NativeSession;
import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * A session's speculative decoding: what it has learned across generations (one drafter per policy, e.g. Token
 * Recycling's matrix; the acceptance profile per policy; each policy's host time per step) and the hardware's
 * decode-cost curve that sizes the trees. Each {@link #generate} runs one generation's loop ({@link SpeculativeRun}).
 *
 * <p>Engine of {@code Session}, not API: not thread-safe (the session runs it under its lock).
 */
public final class SpeculationEngine {
    private final NativeSession session;
    private final int vocab;
    private final Path modelFile;
    private final SessionOptions options;
    private final IntFunction<NativeSession> openScratch;
    private final Map<Speculation, Drafter> drafters = new EnumMap<>(Speculation.class);
    private final Map<Speculation, AcceptanceProfile> profiles = new EnumMap<>(Speculation.class);
    private final Map<Speculation, Double> stepOverheads = new EnumMap<>(Speculation.class);
    private TreeSizer sizer;

    /**
     * @param openScratch opens a context of the given size like the session's (same threads, KV type, flash
     *     attention; no compression), where the decode-cost curve is measured when {@code options} give none
     */
    public SpeculationEngine(NativeSession session, int vocab, Path modelFile, SessionOptions options,
            IntFunction<NativeSession> openScratch) {
        this.session = session;
        this.vocab = vocab;
        this.modelFile = modelFile;
        this.options = options;
        this.openScratch = openScratch;
    }

    /**
     * Speculation runs without a repetition penalty (the penalty depends on each node's own prefix, which the
     * verification kernel does not model); with one, generation decodes plainly.
     */
    public static boolean applies(GenerationOptions o) {
        return o.speculation() != Speculation.NONE && o.repeatPenalty() == 1f;
    }

    /** One generation after the prompt (already in the cache, its logits ready); the emitter collects the tokens. */
    public SpeculationStats generate(int[] prompt, GenerationOptions o, Emitter out, NativeSampler sampler, long seed,
            long[] firstTokenAt) {
        return new SpeculativeRun(this, session, vocab, o, out, sampler, seed).run(prompt, firstTokenAt);
    }

    /** Writes Token Recycling's adjacency matrix (what it learned in this session) to {@code file}. */
    public void saveRecyclingMatrix(Path file) throws IOException {
        recycling().save(file);
    }

    /** Replaces Token Recycling's matrix by one {@link #saveRecyclingMatrix} wrote for a model of the same vocabulary. */
    public void loadRecyclingMatrix(Path file) throws IOException {
        recycling().load(file);
    }

    private TokenRecyclingDrafter recycling() {
        return (TokenRecyclingDrafter) drafter(Speculation.RECYCLING);
    }

    /** This session's drafter for {@code policy}, created on first use and kept across generations. */
    Drafter drafter(Speculation policy) {
        return drafters.computeIfAbsent(policy, p -> p.newDrafter(vocab));
    }

    AcceptanceProfile profile(Speculation policy) {
        return profiles.computeIfAbsent(policy, p -> new AcceptanceProfile());
    }

    /** Drafted nodes for the next step: the fixed budget, or the hardware-aware choice; a tree fits one batch. */
    int draftBudget(GenerationOptions o, Drafter drafter) {
        int batchLimit = session.batchSize() - 1;
        if (o.draftBudget() != GenerationOptions.AUTO_BUDGET) return Math.min(o.draftBudget(), batchLimit);
        return Math.min(sizer().choose(profile(o.speculation()), drafter::depthAt, stepOverhead(o.speculation())), batchLimit);
    }

    /**
     * Host seconds per speculative step of {@code policy} (drafting, verification, commit), an exponential average
     * (weight 0.1, starting from 0) over this session's steps. The tree sizer adds it to each step's batch cost.
     */
    double stepOverhead(Speculation policy) {
        Double s = stepOverheads.get(policy);
        return s == null ? 0 : s;
    }

    void recordStepOverhead(Speculation policy, double seconds) {
        if (!(seconds >= 0) || Double.isInfinite(seconds)) return;
        // Averaged from 0, so that the first steps of a process (drafting code not yet compiled: milliseconds instead
        // of microseconds) do not, alone, size every tree away.
        stepOverheads.merge(policy, 0.1 * seconds, (old, x) -> 0.9 * old + x);
    }

    /** True when, by the cost curve, the policy's measured step overhead and the profile, no chain of any depth would pay. */
    boolean treesCannotPay(Speculation policy, AcceptanceProfile profile) {
        return sizer().choose(profile, b -> b, stepOverhead(policy)) == 0;
    }

    private TreeSizer sizer() {
        if (sizer == null) {
            List<Double> given = options.batchCostSeconds();
            sizer = new TreeSizer(given.isEmpty() ? DecodeCostProbe.curve(modelFile, options, vocab, openScratch)
                    : given.stream().mapToDouble(Double::doubleValue).toArray());
        }
        return sizer;
    }
}

package io.tokenflow.batch;

import io.tokenflow.ContextOverflowException;
import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.GenerationStats;
import io.tokenflow.Model;
import io.tokenflow.StopReason;
import io.tokenflow.TokenListener;
import io.tokenflow.Tokenizer;
import io.tokenflow.internal.Emitter;
import io.tokenflow.internal.IntList;
import io.tokenflow.internal.ModelAccess;
import io.tokenflow.internal.NativeSampler;
import io.tokenflow.internal.NativeSession;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.bytedeco.javacpp.BytePointer;

/**
 * Continuous batching: many requests share one llama.cpp context, each in a sequence of its own (a slot). One
 * scheduler thread runs steps; a step decodes one token of every active slot in ONE batch, then samples each row with
 * that request's own sampler. Requests waiting in the queue take free slots between steps. With invariant prompts (the
 * default) a new request's prompt joins the steps' batches, at most {@link BatcherOptions#prefillChunk()} prompt tokens
 * per step shared among the slots still filling (as llama-server mixes prompts into its decode batches), so several
 * new prompts and the running streams share each pass over the weights; otherwise it is decoded in calls of its own, one
 * chunk per step. Either way running streams keep flowing while it fills.
 *
 * <p>Each slot has {@code contextSize / slots} cells of its own (as llama-server's slots). A slot keeps its tokens' cells
 * after its request ends: a later request is given the free slot whose cached tokens share the longest prefix with its
 * prompt (else the least recently used one), and only the rest is decoded (multi-turn chats, shared system prompts).
 * When a slot is handed to a request that does not continue its tokens, its state first goes to a host-memory prompt
 * cache ({@link BatcherOptions#promptCacheBytes()}), from which a later request with a longer common prefix than any
 * slot's is restored (as llama-server's {@code --cache-ram}).
 *
 * <p>Exactness: with {@link BatcherOptions#batchInvariant()} (default) every row of a step runs the batch-invariant CPU
 * kernels and attends only to its own sequence's cells, so its logits are bit for bit those of the same token decoded
 * alone: the greedy answer of a request does not depend on the other requests in flight. The invariant kernels are
 * llamafile's tiles for every batch size (patch 0008; x86), which sum each element alike whatever the batch: several
 * rows run as fast as with the fastest kernels (BENCHMARKS 8.1), one row somewhat slower than llama.cpp's one-row dot
 * products. A batcher of one slot never batches rows and keeps the default kernels. With
 * {@link BatcherOptions#invariantPrompts()} (default) prompts run the invariant kernels too, so any cached prefix is
 * reusable; without it prompts take the fastest kernels in chunks at fixed multiples of
 * {@link BatcherOptions#prefillChunk()} and a cached prefix is reused only in whole chunks a fresh prefill computes
 * alike: either way the answer does not depend on what a slot held before.
 *
 * <p>Speculation, KV compression and sparse attention are per-session policies; the batcher decodes plainly and ignores
 * {@link GenerationOptions#speculation()}. Listener callbacks run on the scheduler thread. Thread-safe.
 */
public final class ContinuousBatcher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ContinuousBatcher.class.getName());
    private static final int MAX_TOP_LOGPROBS = 20;

    private final Model model;
    private final BatcherOptions options;
    private final NativeSession nat;
    private final Tokenizer tokenizer;
    private final int vocab;
    private final Slot[] slots;
    private final int slotCells;  // cells of each slot's own KV stream
    private final int batchSize;  // rows of one decode call
    private final boolean invariantRows;     // decode steps run the batch-invariant kernels (several slots)
    private final boolean invariantPrompts;  // ... and prompts too: every cached cell is reusable
    private final Thread thread;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();  // guarded by lock
    private boolean accepting = true;                              // guarded by lock
    private volatile long graceDeadline;                           // System.nanoTime() once stopping: in-flight requests end
    private volatile boolean stopping;
    private volatile boolean closed;
    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong graceCancels = new AtomicLong();  // running requests the end of a grace period cancelled

    // Counters (written by the scheduler thread, read by stats()).
    private final AtomicLong requests = new AtomicLong(), cancelled = new AtomicLong(), promptTokens = new AtomicLong(),
            promptReused = new AtomicLong(), generated = new AtomicLong(), decodeCalls = new AtomicLong(),
            decodeRows = new AtomicLong(), promptNanos = new AtomicLong(), generationNanos = new AtomicLong();
    private final AtomicLong cacheRestores = new AtomicLong();
    private volatile long cacheBytes;
    private volatile int active;
    private volatile int cellsUsed;
    private final PromptCache cache;  // scheduler thread only

    private ContinuousBatcher(Model model, BatcherOptions o) {
        this.model = model;
        this.options = o;
        this.tokenizer = model.tokenizer();
        this.vocab = tokenizer.vocabularySize();
        // with invariant prompts a step carries every slot's row and up to prefillChunk prompt tokens
        int batch = Math.min(o.contextSize(), invariantPromptsWanted(o) ? o.prefillChunk() + o.slots()
                : Math.max(o.prefillChunk(), o.slots()));
        this.batchSize = batch;
        // One slot never batches rows: the default one-row kernels (llama.cpp's own) are exact and fastest there.
        this.invariantRows = o.batchInvariant() && o.slots() > 1;
        this.invariantPrompts = invariantPromptsWanted(o);
        this.nat = NativeSession.openBatch(ModelAccess.get().nativeModel(model), o.contextSize(), batch, o.threads(),
                o.slots(), invariantRows, invariantPrompts);
        this.slotCells = o.contextSize() / o.slots();
        this.cache = new PromptCache(o.promptCacheBytes());
        this.slots = new Slot[o.slots()];
        for (int i = 0; i < slots.length; i++) slots[i] = new Slot(i);
        this.thread = new Thread(this::loop, "tokenflow-batcher");
        thread.setDaemon(true);
    }

    private static boolean invariantPromptsWanted(BatcherOptions o) {
        return o.batchInvariant() && o.slots() > 1 && o.invariantPrompts();
    }

    /**
     * Opens a batching context on {@code model} and starts its scheduler thread. The batcher closes with the model.
     *
     * @throws io.tokenflow.TokenflowException llama.cpp could not create the context (e.g. no memory for the cache)
     */
    public static ContinuousBatcher start(Model model, BatcherOptions options) {
        if (model == null) throw new IllegalArgumentException("model is null");
        if (options == null) throw new IllegalArgumentException("options is null");
        ContinuousBatcher b = new ContinuousBatcher(model, options);
        ModelAccess.get().register(model, b);
        b.thread.start();
        return b;
    }

    public Model model() { return model; }

    public BatcherOptions options() { return options; }

    /** Submits a request whose tokens go to {@code listener} (no log probabilities). */
    public BatchRequest submit(int[] prompt, GenerationOptions options, TokenListener listener) {
        if (listener == null) throw new IllegalArgumentException("listener is null (use TokenListener.NONE)");
        return submit(prompt, options, -1, (t, text, lp) -> listener.onToken(t, text));
    }

    /**
     * Submits a request: it waits for a free slot (queued, first come first served), then generates.
     *
     * @param prompt the prompt's tokens (copied)
     * @param topLogprobs -1: no log probabilities; 0..20: each token's log probability and that many alternatives
     * @throws IllegalArgumentException an empty prompt, a token id outside the vocabulary, topLogprobs out of range
     * @throws ContextOverflowException the prompt leaves no cell for a generated token
     * @throws QueueFullException the queue is at its capacity
     * @throws IllegalStateException the batcher is shutting down or closed
     */
    public BatchRequest submit(int[] prompt, GenerationOptions generation, int topLogprobs, BatchListener listener) {
        if (prompt == null || prompt.length == 0) throw new IllegalArgumentException("prompt has no tokens");
        if (generation == null) throw new IllegalArgumentException("options is null");
        if (listener == null) throw new IllegalArgumentException("listener is null");
        if (topLogprobs < -1 || topLogprobs > MAX_TOP_LOGPROBS) {
            throw new IllegalArgumentException("topLogprobs must be in [-1, " + MAX_TOP_LOGPROBS + "], got " + topLogprobs);
        }
        for (int i = 0; i < prompt.length; i++) {
            if (prompt[i] < 0 || prompt[i] >= vocab) {
                throw new IllegalArgumentException("token id " + prompt[i] + " at index " + i + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        if (prompt.length >= slotCells) {
            throw new ContextOverflowException("prompt has " + prompt.length + " tokens but a slot holds " + slotCells
                    + " (contextSize / slots; one more is needed to generate)");
        }
        if (generation.repeatLastN() > slotCells) {
            throw new IllegalArgumentException("repeatLastN (" + generation.repeatLastN() + ") exceeds a slot's context ("
                    + slotCells + "); -1 means the whole context");
        }
        lock.lock();
        try {
            if (!accepting) throw new IllegalStateException("batcher is " + (closed ? "closed" : "shutting down"));
            int waiting = queue.size();
            int free = slots.length - active;
            if (waiting >= free + options.queueCapacity()) {
                throw new QueueFullException("all " + slots.length + " slots are busy and " + waiting + " requests wait (queue capacity "
                        + options.queueCapacity() + ")");
            }
            BatchRequest r = new BatchRequest(ids.incrementAndGet(), this::wake);
            queue.add(new Pending(r, prompt.clone(), generation, topLogprobs, listener, System.nanoTime()));
            work.signal();
            return r;
        } finally {
            lock.unlock();
        }
    }

    /** A snapshot of the counters; any thread. */
    public BatcherStats stats() {
        int q;
        lock.lock();
        try {
            q = queue.size();
        } finally {
            lock.unlock();
        }
        return new BatcherStats(slots.length, active, q, requests.get(), cancelled.get(), promptTokens.get(), promptReused.get(),
                generated.get(), decodeCalls.get(), decodeRows.get(), promptNanos.get() / 1e9, generationNanos.get() / 1e9,
                cellsUsed, options.contextSize(), cacheRestores.get(), cacheBytes);
    }

    /**
     * Stops accepting requests: queued ones end {@link StopReason#CANCELLED} at once; running ones may finish until
     * {@code grace} has passed, then end cancelled. Returns true when every running request finished in time.
     * Idempotent; any thread but a listener's.
     */
    public boolean shutdown(Duration grace) {
        if (grace == null || grace.isNegative()) throw new IllegalArgumentException("grace must be >= 0");
        lock.lock();
        try {
            accepting = false;
            long deadline = System.nanoTime() + Math.min(grace.toNanos(), Long.MAX_VALUE / 4);
            if (!stopping || deadline - graceDeadline < 0) graceDeadline = deadline;
            stopping = true;
            work.signalAll();
        } finally {
            lock.unlock();
        }
        if (Thread.currentThread() != thread) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return graceCancels.get() == 0;
    }

    /** {@code shutdown(Duration.ZERO)}, then frees the context. Closing twice is harmless. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        shutdown(Duration.ZERO);
        if (Thread.currentThread() == thread) return;  // the loop frees the context when it ends
        nat.close();
        ModelAccess.get().forget(model, this);
    }

    public boolean isClosed() { return closed; }

    private void wake() {
        lock.lock();
        try {
            work.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Scheduler thread

    private record Pending(BatchRequest request, int[] prompt, GenerationOptions options, int topLogprobs,
            BatchListener listener, long submittedAt) {}

    /**
     * A slot: a sequence of the context with a KV stream of its own (so its cells stay in position order, which the
     * batch-invariant rows need), and the tokens whose cells it holds (positions 0..n-1).
     */
    private static final class Slot {
        final int seq;
        final IntList cached = new IntList();
        /**
         * Leading cells a fresh prefill of the same tokens would compute bit for bit alike: whole prefill chunks at
         * chunk-aligned positions (with fast prompt kernels a cell depends on the chunk it was decoded in), or every
         * cell when prompts run the batch-invariant kernels.
         */
        int exactCells;
        long lastUsed;
        Active active;

        Slot(int seq) { this.seq = seq; }
    }

    /** A request in a slot. */
    private final class Active {
        final Pending p;
        final Slot slot;
        final Emitter out;
        final NativeSampler sampler;
        final int reused;
        int prefillPos;
        int pending = -1;       // the last sampled token, not yet in the cache
        TokenLogprobs lp;       // of the token being emitted
        long tAdmit, tPromptDone, tFirst;

        Active(Pending p, Slot slot, int reused) {
            this.p = p;
            this.slot = slot;
            this.reused = reused;
            this.prefillPos = reused;
            GenerationOptions o = p.options;
            long seed = o.seed() == GenerationOptions.RANDOM_SEED ? (System.nanoTime() & 0x7FFFFFFFL) : o.seed();
            this.sampler = new NativeSampler(ModelAccess.get().nativeModel(model), o.temperature(), o.topK(), o.topP(),
                    o.minP(), o.repeatPenalty(), o.repeatLastN() == -1 ? slotCells : o.repeatLastN(), (int) seed);
            if (o.repeatPenalty() != 1f) {
                for (int t : p.prompt) sampler.accept(t);
            }
            this.out = new Emitter(tokenizer, o, (token, text) -> p.listener.onToken(token, text, token < 0 ? null : lp));
        }

        boolean prefilled() { return prefillPos >= p.prompt.length; }
    }

    private void loop() {
        int nextPrefill = 0;
        try {
            while (true) {
                admit();
                if (active == 0) {
                    lock.lock();
                    try {
                        if (stopping && queue.isEmpty()) break;
                        if (queue.isEmpty() || !hasFreeSlot()) work.await(50, TimeUnit.MILLISECONDS);
                    } finally {
                        lock.unlock();
                    }
                    continue;
                }
                if (stopping && System.nanoTime() - graceDeadline > 0) {
                    for (Slot s : slots) {
                        if (s.active != null && !s.active.p.request.cancelRequested()) {
                            graceCancels.incrementAndGet();
                            s.active.p.request.cancel();
                        }
                    }
                }
                endCancelled();
                if (invariantPrompts) {
                    nextPrefill = mixedStep(nextPrefill);
                    continue;
                }
                // one prompt chunk per step, slots in turn
                for (int k = 0; k < slots.length; k++) {
                    Slot s = slots[(nextPrefill + k) % slots.length];
                    if (s.active != null && !s.active.prefilled()) {
                        prefill(s.active);
                        nextPrefill = (s.seq + 1) % slots.length;
                        break;
                    }
                }
                step();
            }
        } catch (Throwable t) {
            LOG.log(System.Logger.Level.ERROR, "batcher failed; every request in it ends with the error", t);
            for (Slot s : slots) if (s.active != null) fail(s.active, t);
        } finally {
            lock.lock();
            try {
                accepting = false;
                for (Pending p : queue) cancelQueued(p);
                queue.clear();
            } finally {
                lock.unlock();
            }
            cache.close();
            cacheBytes = 0;
            if (closed) {
                // close() from a listener could not free the context on this thread's behalf
                nat.close();
                ModelAccess.get().forget(model, this);
            }
        }
    }

    private boolean hasFreeSlot() {
        for (Slot s : slots) if (s.active == null) return true;
        return false;
    }

    /** Moves queued requests into free slots: the slot with the longest cached prefix of the prompt, else the LRU one. */
    private void admit() {
        while (true) {
            Pending p;
            lock.lock();
            try {
                if (stopping) {
                    for (Pending q : queue) cancelQueued(q);
                    queue.clear();
                    return;
                }
                if (queue.isEmpty() || !hasFreeSlot()) return;
                p = queue.poll();
            } finally {
                lock.unlock();
            }
            if (p.request.cancelRequested()) {
                cancelQueued(p);
                continue;
            }
            Slot best = null;
            int bestKeep = -1;
            for (Slot s : slots) {
                if (s.active != null) continue;
                int keep = s.cached.commonPrefix(p.prompt);
                if (keep > bestKeep || keep == bestKeep && s.lastUsed < best.lastUsed) {
                    best = s;
                    bestKeep = keep;
                }
            }
            int keep = reusable(best.exactCells, bestKeep, p.prompt.length);
            PromptCache.Entry hit = cache.enabled() ? cache.best(p.prompt) : null;
            int hitKeep = hit == null ? 0 : reusable(hit.exactCells, hit.commonPrefix(p.prompt), p.prompt.length);
            try {
                if (best.cached.size() > keep && cache.wants(best.cached)) save(best);
                if (hitKeep > keep) keep = restore(best, hit, hitKeep);
                if (best.cached.size() > keep) {
                    nat.removeFrom(best.seq, keep);
                    best.cached.truncate(keep);
                }
                best.exactCells = Math.min(best.exactCells, keep);
                Active a = new Active(p, best, keep);
                a.tAdmit = System.nanoTime();
                best.active = a;
                active++;
                requests.incrementAndGet();
                promptTokens.addAndGet(p.prompt.length);
                promptReused.addAndGet(keep);
                updateCells();
            } catch (RuntimeException e) {
                p.request.future().completeExceptionally(e);
            }
        }
    }

    /** Keeps the state of a slot about to be handed over in the prompt cache (nothing when it cannot). */
    private void save(Slot s) {
        BytePointer state = null;
        try {
            long size = nat.seqStateSize(s.seq);
            if (size <= 0 || size > options.promptCacheBytes()) return;
            state = new BytePointer(size);
            long n = nat.seqStateGet(s.seq, state);
            cache.put(s.cached.toArray(), s.exactCells, state, n);
            state = null;  // the cache owns it
            cacheBytes = cache.bytesUsed();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "prompt cache: could not save a slot's state", e);
        } finally {
            if (state != null) state.close();
        }
    }

    /** Replaces a free slot's cells by a cached state; returns the cells the request may keep (0 if it failed). */
    private int restore(Slot s, PromptCache.Entry e, int keep) {
        s.cached.truncate(0);
        s.exactCells = 0;
        if (!nat.seqStateSet(s.seq, e.state, e.bytes)) {
            LOG.log(System.Logger.Level.WARNING, "prompt cache: a saved state did not fit its slot; decoding the prompt");
            return 0;
        }
        s.cached.addAll(e.tokens);
        s.exactCells = e.exactCells;
        cache.touch(e);
        cacheRestores.incrementAndGet();
        return keep;
    }

    /**
     * Cells of a common prefix with a prompt that a request may reuse, of a slot or a cached state whose first
     * {@code exactCells} cells a fresh prefill would compute alike. The last prompt token is always decoded again (its
     * logits). When decode steps are batch-invariant but prompts are not, only cells a fresh prefill would compute alike
     * are reused, so that the answer does not depend on what the slot held before.
     */
    private int reusable(int exactCells, int common, int promptLength) {
        int keep = Math.min(common, promptLength - 1);
        if (options.batchInvariant() && !invariantPrompts) {
            keep = Math.min(keep, exactCells);
            keep -= keep % options.prefillChunk();
        }
        return keep;
    }

    private void cancelQueued(Pending p) {
        cancelled.incrementAndGet();
        p.request.future().complete(new GenerationResult("", new int[0], StopReason.CANCELLED,
                new GenerationStats(p.prompt.length, 0, 0, Double.NaN, 0, 0, (System.nanoTime() - p.submittedAt) / 1e6,
                        Optional.empty(), Optional.empty(), Optional.empty())));
    }

    private void endCancelled() {
        for (Slot s : slots) {
            Active a = s.active;
            if (a != null && a.p.request.cancelRequested()) {
                a.out.end(StopReason.CANCELLED);
                finish(a);
            }
        }
    }

    /** Decodes the next chunk of a's prompt; after the last one samples its first token. */
    private void prefill(Active a) {
        // chunks at multiples of prefillChunk: the same boundaries as a fresh prefill of the prompt
        int c = options.prefillChunk();
        int n = Math.min(c - a.prefillPos % c, a.p.prompt.length - a.prefillPos);
        long t0 = System.nanoTime();
        boolean last = a.prefillPos + n == a.p.prompt.length;
        try {
            nat.decodeSequence(a.slot.seq, a.p.prompt, a.prefillPos, a.prefillPos + n, a.prefillPos, last);
        } catch (ContextOverflowException e) {
            a.out.end(StopReason.CONTEXT_FULL);
            finish(a);
            return;
        } catch (RuntimeException e) {
            fail(a, e);
            return;
        }
        for (int i = a.prefillPos; i < a.prefillPos + n; i++) a.slot.cached.add(a.p.prompt[i]);
        if (a.slot.exactCells == a.prefillPos && (n == c || invariantPrompts)) a.slot.exactCells += n;
        a.prefillPos += n;
        updateCells();
        promptNanos.addAndGet(System.nanoTime() - t0);
        if (!last) return;
        a.tPromptDone = System.nanoTime();
        try {
            int next = a.sampler.sample(nat);
            if (a.p.topLogprobs >= 0) a.lp = TokenLogprobs.of(nat.lastLogits(vocab), next, a.p.topLogprobs);
            emit(a, next);
        } catch (RuntimeException e) {
            fail(a, e);
        }
    }

    /** One generation step: the pending token of every prefilled slot, in one batch; then each row sampled. */
    private void step() {
        List<Active> rows = new ArrayList<>(slots.length);
        for (Slot s : slots) if (s.active != null && s.active.pending >= 0) rows.add(s.active);
        if (rows.isEmpty()) return;
        long t0 = System.nanoTime();
        int n = rows.size();
        int[] tokens = new int[n], pos = new int[n], seqs = new int[n];
        for (int i = 0; i < n; i++) {
            Active a = rows.get(i);
            tokens[i] = a.pending;
            pos[i] = a.slot.cached.size();
            seqs[i] = a.slot.seq;
        }
        try {
            nat.decodeRows(tokens, pos, seqs, n);
        } catch (ContextOverflowException e) {
            // a slot's stream could not place its row (it should not happen: emit() ends a full slot first)
            for (Active a : rows) {
                a.out.end(StopReason.CONTEXT_FULL);
                finish(a);
            }
            return;
        } catch (RuntimeException e) {
            for (Active a : rows) fail(a, e);
            return;
        }
        decodeCalls.incrementAndGet();
        decodeRows.addAndGet(n);
        for (int i = 0; i < n; i++) {
            Active a = rows.get(i);
            // with invariant prompts a generated token's cell equals what a prefill of it would write
            if (invariantPrompts && a.slot.exactCells == a.slot.cached.size()) a.slot.exactCells++;
            a.slot.cached.add(tokens[i]);
            a.pending = -1;
        }
        updateCells();
        for (int i = 0; i < n; i++) sampleAndEmit(rows.get(i), i);
        generationNanos.addAndGet(System.nanoTime() - t0);
    }

    /**
     * One step with invariant prompts: the pending token of every prefilled slot and the next prompt tokens of slots
     * still filling, in ONE batch (at most the batch size; prompts in turn from {@code nextPrefill}, each taking what
     * is left), so a new request's prompt costs no pass over the weights of its own and several new prompts share one
     * (what llama-server does). Exact: every row runs the batch-invariant kernels, and with invariant prompts a
     * prompt's cells do not depend on how it is cut. Returns the slot whose prompt goes first in the next step.
     */
    private int mixedStep(int nextPrefill) {
        List<Active> decoding = new ArrayList<>(slots.length);
        for (Slot s : slots) if (s.active != null && s.active.pending >= 0) decoding.add(s.active);
        // prompt tokens granted to each slot this step, in turn from nextPrefill
        int[] grant = new int[slots.length];
        int budget = batchSize - decoding.size(), prompted = 0, next = nextPrefill;
        boolean nextSet = false;
        for (int k = 0; k < slots.length; k++) {
            Slot s = slots[(nextPrefill + k) % slots.length];
            Active a = s.active;
            if (a == null || a.prefilled()) continue;
            int g = Math.min(budget, a.p.prompt.length - a.prefillPos);
            grant[s.seq] = g;
            budget -= g;
            prompted += g;
            if (!nextSet && a.prefillPos + g < a.p.prompt.length) {
                next = s.seq;  // unfinished: it goes first next time
                nextSet = true;
            }
        }
        if (!nextSet) next = (nextPrefill + 1) % slots.length;
        int n = decoding.size() + prompted;
        if (n == 0) return next;
        long t0 = System.nanoTime();
        // rows in sequence order, so that llama.cpp's split puts all sequences into the same micro-batches
        int[] tokens = new int[n], pos = new int[n], seqs = new int[n], row = new int[slots.length];
        byte[] logits = new byte[n];
        int i = 0;
        for (Slot s : slots) {
            Active a = s.active;
            row[s.seq] = -1;
            if (a == null) continue;
            if (a.pending >= 0) {
                tokens[i] = a.pending;
                pos[i] = s.cached.size();
                seqs[i] = s.seq;
                logits[i] = 1;
                row[s.seq] = i++;
            } else if (grant[s.seq] > 0) {
                for (int j = 0; j < grant[s.seq]; j++, i++) {
                    tokens[i] = a.p.prompt[a.prefillPos + j];
                    pos[i] = a.prefillPos + j;
                    seqs[i] = s.seq;
                }
                if (a.prefillPos + grant[s.seq] == a.p.prompt.length) {
                    logits[i - 1] = 1;  // the prompt's last token: its first generated token
                    row[s.seq] = i - 1;
                }
            }
        }
        List<Active> involved = new ArrayList<>(decoding);
        for (Slot s : slots) if (grant[s.seq] > 0) involved.add(s.active);
        try {
            nat.decodeBatch(tokens, pos, seqs, logits, n);
        } catch (ContextOverflowException e) {
            // a slot's stream could not place its rows (it should not happen: submit() and emit() keep within a slot)
            for (Active a : involved) {
                a.out.end(StopReason.CONTEXT_FULL);
                finish(a);
            }
            return next;
        } catch (RuntimeException e) {
            for (Active a : involved) fail(a, e);
            return next;
        }
        decodeCalls.incrementAndGet();
        decodeRows.addAndGet(decoding.size());
        for (Active a : decoding) {
            Slot s = a.slot;
            if (s.exactCells == s.cached.size()) s.exactCells++;  // invariant prompts: the cell a prefill would write
            s.cached.add(a.pending);
            a.pending = -1;
        }
        List<Active> firsts = new ArrayList<>();
        for (Slot s : slots) {
            int g = grant[s.seq];
            if (g == 0) continue;
            Active a = s.active;
            for (int j = 0; j < g; j++) s.cached.add(a.p.prompt[a.prefillPos + j]);
            if (s.exactCells == a.prefillPos) s.exactCells += g;
            a.prefillPos += g;
            if (a.prefilled()) {
                a.tPromptDone = System.nanoTime();
                firsts.add(a);
            }
        }
        updateCells();
        long dt = System.nanoTime() - t0;
        promptNanos.addAndGet(dt * prompted / n);
        generationNanos.addAndGet(dt - dt * prompted / n);
        for (Active a : decoding) sampleAndEmit(a, row[a.slot.seq]);
        for (Active a : firsts) sampleAndEmit(a, row[a.slot.seq]);
        return next;
    }

    private void sampleAndEmit(Active a, int row) {
        try {
            int next = a.sampler.sampleRow(nat, row);
            if (a.p.topLogprobs >= 0) a.lp = TokenLogprobs.of(nat.rowLogits(row, vocab), next, a.p.topLogprobs);
            emit(a, next);
        } catch (RuntimeException e) {
            fail(a, e);
        }
    }

    /** Offers a sampled token to a's stream; ends the request when the stream says stop or the context is full. */
    private void emit(Active a, int token) {
        if (a.tFirst == 0) a.tFirst = System.nanoTime();
        boolean more = a.out.emit(token);
        generated.incrementAndGet();
        if (!more) {
            finish(a);
        } else if (a.slot.cached.size() + 1 > slotCells) {
            a.out.end(StopReason.CONTEXT_FULL);
            finish(a);
        } else {
            a.pending = token;
        }
    }

    private int used() {
        int u = 0;
        for (Slot s : slots) u += s.cached.size();
        return u;
    }

    private void updateCells() { cellsUsed = used(); }

    /** Ends a's request normally (its reason is set) and frees the slot; its cells stay cached. */
    private void finish(Active a) {
        try {
            a.out.finish();
        } catch (RuntimeException e) {
            release(a);
            a.p.request.future().completeExceptionally(e);
            return;
        }
        release(a);
        if (a.out.reason() == StopReason.CANCELLED) cancelled.incrementAndGet();
        long end = System.nanoTime();
        int n = a.out.count();
        long promptDone = a.tPromptDone == 0 ? end : a.tPromptDone;
        double pp = (a.prefillPos - a.reused) / Math.max(1e-9, (promptDone - a.tAdmit) / 1e9);
        double tg = n > 1 && a.tFirst != 0 ? (n - 1) / Math.max(1e-9, (end - a.tFirst) / 1e9) : 0;
        double ttft = a.tFirst == 0 ? Double.NaN : (a.tFirst - a.p.submittedAt) / 1e6;
        a.p.request.future().complete(new GenerationResult(a.out.text(), a.out.tokens(), a.out.reason(),
                new GenerationStats(a.p.prompt.length, a.reused, n, ttft, pp, tg, (end - a.p.submittedAt) / 1e6,
                        Optional.empty(), Optional.empty(), Optional.empty())));
    }

    private void fail(Active a, Throwable t) {
        release(a);
        a.p.request.future().completeExceptionally(t);
    }

    private void release(Active a) {
        if (a.slot.active != a) return;
        a.sampler.close();
        a.slot.active = null;
        a.slot.lastUsed = System.nanoTime();
        active--;
        // a prompt that stopped half-way leaves only whole tokens cached; nothing else to undo
    }
}

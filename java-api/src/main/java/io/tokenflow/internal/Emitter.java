package io.tokenflow.internal;

import io.tokenflow.GenerationOptions;
import io.tokenflow.StopReason;
import io.tokenflow.TokenListener;
import io.tokenflow.Tokenizer;

/**
 * The output side of one generation, shared by the plain and the speculative loops: end-of-generation tokens,
 * stop strings, the token limit, UTF-8 assembly and the listener. {@link #emit} says whether to go on.
 */
public final class Emitter {
    private final Tokenizer tokenizer;
    private final GenerationOptions options;
    private final TokenListener listener;
    private final Utf8Stream utf8 = new Utf8Stream();
    private final StopMatcher stop;
    private final IntList tokens = new IntList();
    private StopReason reason = StopReason.MAX_TOKENS;
    private boolean finished;

    public Emitter(Tokenizer tokenizer, GenerationOptions options, TokenListener listener) {
        this.tokenizer = tokenizer;
        this.options = options;
        this.listener = listener;
        this.stop = new StopMatcher(options.stopStrings());
    }

    /**
     * Offers the next generated token. Returns false when generation ends here: an end-of-generation token (not
     * emitted), a stop string completed by this token, or the token limit reached (this token emitted).
     */
    public boolean emit(int token) {
        if (!options.ignoreEos() && tokenizer.isEndOfGeneration(token)) {
            reason = StopReason.END_OF_GENERATION;
            return false;
        }
        tokens.add(token);
        String released = stop.push(utf8.feed(tokenizer.piece(token)));
        listener.onToken(token, released);
        if (stop.stopped()) {
            reason = StopReason.STOP_STRING;
            return false;
        }
        if (tokens.size() >= options.maxTokens()) {
            reason = StopReason.MAX_TOKENS;
            return false;
        }
        return true;
    }

    /** Ends generation for a reason found outside (cancel, full context). */
    public void end(StopReason why) {
        reason = why;
    }

    public int count() { return tokens.size(); }

    /** Flushes held-back text to the listener (when no stop string ended the stream). */
    public void finish() {
        if (finished) return;
        finished = true;
        if (!stop.stopped()) {
            String tail = stop.push(utf8.finish()) + stop.flush();
            if (!tail.isEmpty()) listener.onToken(-1, tail);
        }
    }

    public StopReason reason() { return reason; }

    public String text() { return stop.text(); }

    public int[] tokens() { return tokens.toArray(); }
}

package io.tokenflow.batch;

/** Receives a batched request's tokens, on the batcher's thread: keep it short and never block in it. */
@FunctionalInterface
public interface BatchListener {
    /**
     * @param token the token generated, or -1 for a final flush of text held back (a partial UTF-8 sequence or a
     *     possible stop string that did not complete)
     * @param text the text this token releases ("" while a stop string may be starting)
     * @param logprobs the token's log probability and the most likely alternatives, when the request asked for them
     *     (null otherwise, and for the final flush)
     */
    void onToken(int token, String text, TokenLogprobs logprobs);
}

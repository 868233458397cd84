package io.tokenflow.server;

import io.tokenflow.batch.TokenLogprobs;

/**
 * One token a lane produced: its id (-1 for the final flush of held-back text), the text it released (may be empty)
 * and its log-probabilities when the request asked for them (else null).
 */
record TokenEvent(int token, String text, TokenLogprobs logprobs) {}

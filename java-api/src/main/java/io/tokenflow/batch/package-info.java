/**
 * Continuous batching: {@link io.tokenflow.batch.ContinuousBatcher} serves many generation requests from one llama.cpp
 * context, one sequence (slot) per request, one token of every active slot per decode call. What a server builds on.
 */
package io.tokenflow.batch;

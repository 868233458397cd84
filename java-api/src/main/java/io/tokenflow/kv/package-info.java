/**
 * KV-cache compression policies, the Java side: which prompt positions to keep after prefill. Native code scores
 * the prompt's observation window and evicts; these classes choose.
 *
 * <p>Flow for one prompt of n tokens:
 * <pre>{@code
 * KvCompression c = KvCompression.parse("windowkv:0.12").resolveTask(promptText);
 * int budget = c.resolveBudget(n);                 // throws before any work if the budget cannot work
 * if (budget < n) {
 *   int[] leaders = WindowKvSelector.leaderLayers(nLayers, c.layerGroups());
 *   // native: in each leader layer, score the windows of the review region by the last
 *   // c.effectiveObservationWindow() prompt tokens' attention (max if c.task().maxScoring(), else average)
 *   double[] weights = WindowKvSelector.leaderWeights(budget, nLayers, c.layerGroups(), c.groupBeta());
 *   KeptSet keep = WindowKvSelector.select(scores, n, budget, c.effectiveObservationWindow(), c.windowSize(), weights);
 *   // native: evict keep.evictedRanges(), one [start, end) position range at a time
 * }
 * }</pre>
 *
 * <p>Deviation from the papers: a llama.cpp KV cell holds every layer and head of one token, so a token is kept or
 * evicted in all layers and heads at once. Per-head (SnapKV) and per-layer-group (WindowKV) selections become one
 * shared selection over scores the native kernel sums over heads and layers (SnapKV) or over group leaders
 * (WindowKV). See ALGORITHMS.md §6–7.
 *
 * <p>Positions are 0-based indices into the prompt region being compressed; score arrays are in position order.
 */
package io.tokenflow.kv;

package io.tokenflow.batch;

import java.util.Arrays;

/**
 * Natural-log probabilities of one generated token under the model's full softmax (raw logits, before the request's
 * sampling settings), and the {@code topTokens.length} most likely tokens at that step, best first.
 */
public record TokenLogprobs(int token, float logprob, int[] topTokens, float[] topLogprobs) {
    public TokenLogprobs {
        if (topTokens == null || topLogprobs == null || topTokens.length != topLogprobs.length) {
            throw new IllegalArgumentException("topTokens and topLogprobs must be non-null and of one length");
        }
        topTokens = topTokens.clone();
        topLogprobs = topLogprobs.clone();
    }

    @Override
    public int[] topTokens() { return topTokens.clone(); }

    @Override
    public float[] topLogprobs() { return topLogprobs.clone(); }

    /** From one row of logits: log-softmax in double, the best {@code top} tokens (ties to the smaller id). */
    static TokenLogprobs of(float[] logits, int token, int top) {
        double max = Double.NEGATIVE_INFINITY;
        for (float x : logits) max = Math.max(max, x);
        double sum = 0;
        for (float x : logits) sum += Math.exp(x - max);
        double lse = max + Math.log(sum);
        int k = Math.min(top, logits.length);
        int[] ids = new int[k];
        float[] lps = new float[k];
        int n = 0;
        for (int i = 0; i < logits.length; i++) {
            // insertion into the sorted top list (k <= 20)
            if (n == k && (k == 0 || !(logits[i] > logits[ids[n - 1]]))) continue;
            int j = n < k ? n++ : n - 1;
            while (j > 0 && logits[i] > logits[ids[j - 1]]) {
                ids[j] = ids[j - 1];
                j--;
            }
            ids[j] = i;
        }
        for (int i = 0; i < k; i++) lps[i] = (float) (logits[ids[i]] - lse);
        return new TokenLogprobs(token, (float) (logits[token] - lse), ids, lps);
    }

    @Override
    public String toString() {
        return "TokenLogprobs[token=" + token + ", logprob=" + logprob + ", top=" + Arrays.toString(topTokens) + "]";
    }
}

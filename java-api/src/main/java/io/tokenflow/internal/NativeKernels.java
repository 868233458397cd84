package io.tokenflow.internal;

/** tfkernels entry points that work on Java arrays and need no session (KV compression's aggregation steps). */
public final class NativeKernels {
    private NativeKernels() {}

    /**
     * WindowKV's per-window aggregate of [head][token] scores (row stride {@code nTokens}) into ceil(n / window)
     * values: the average, or with {@code max} the top-t mean (tfkernels.h, tfk_window_aggregate).
     */
    public static void windowAggregate(float[] scores, int heads, int nTokens, int window, boolean max, float[] out) {
        NativeErrors.check(TokenflowNative.tf_window_aggregate(scores, heads, nTokens, nTokens, window,
                max ? TokenflowNative.TF_WINDOW_MAX : TokenflowNative.TF_WINDOW_AVG, out), "window aggregate");
    }

    /** SnapKV's 1-D pooling along tokens, average or max (tfkernels.h, tfk_pool1d). */
    public static void pool1d(float[] in, int n, int kernel, boolean max, float[] out) {
        NativeErrors.check(TokenflowNative.tf_pool1d(in, n, kernel, max ? TokenflowNative.TF_POOL_MAX : TokenflowNative.TF_POOL_AVG, out),
                "pool1d");
    }
}

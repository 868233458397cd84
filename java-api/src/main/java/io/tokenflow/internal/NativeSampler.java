package io.tokenflow.internal;

import io.tokenflow.NativeException;
import io.tokenflow.internal.TokenflowNative.tf_sampler;
import io.tokenflow.internal.TokenflowNative.tf_sampler_params;

/** Owner of one native row sampler (llama.cpp's chain: penalties, top-k, top-p, min-p, temperature, seeded draw). */
public final class NativeSampler implements AutoCloseable {
    private final tf_sampler handle;
    private boolean closed;

    public NativeSampler(NativeModel model, float temperature, int topK, float topP, float minP, float repeatPenalty,
            int repeatLastN, int seed) {
        tf_sampler s;
        try (tf_sampler_params p = params(temperature, topK, topP, minP)) {
            p.repeat_penalty(repeatPenalty).repeat_last_n(repeatLastN).seed(seed);
            s = TokenflowNative.tf_sampler_new(model.handle(), p);
        }
        if (s == null || s.isNull()) throw new NativeException("sampler: " + NativeErrors.lastError());
        this.handle = s;
    }

    /** The sampling stages of a chain (penalty off, seed 0): what tree verification needs to draw like the sampler. */
    static tf_sampler_params params(float temperature, int topK, float topP, float minP) {
        tf_sampler_params p = TokenflowNative.tf_sampler_default_params();
        return p.temperature(temperature).top_k(topK).top_p(topP).min_p(minP).repeat_penalty(1f).seed(0);
    }

    /** Records a token of the history the repetition penalty looks at. */
    public void accept(int token) { TokenflowNative.tf_sampler_accept(handle, token); }

    /** Samples from the session's last logits (and accepts the token). */
    public int sample(NativeSession session) {
        return NativeErrors.check(TokenflowNative.tf_sampler_sample(handle, session.handle()), "sample");
    }

    /** Samples from row {@code row} of the session's last {@code decodeRows} (and accepts the token). */
    public int sampleRow(NativeSession session, int row) {
        return NativeErrors.check(TokenflowNative.tf_sampler_sample_row(handle, session.handle(), row), "sample");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        TokenflowNative.tf_sampler_free(handle);
    }
}

package io.tokenflow.internal;

import io.tokenflow.NativeException;
import io.tokenflow.internal.TokenflowNative.TfSampler;

/** Owner of one native row sampler (llama.cpp's chain: penalties, top-k, top-p, min-p, temperature, seeded draw). */
public final class NativeSampler implements AutoCloseable {
    private final TfSampler handle;
    private boolean closed;

    public NativeSampler(NativeModel model, float temperature, int topK, float topP, float minP, float repeatPenalty,
            int repeatLastN, int seed) {
        TfSampler s = TokenflowNative.tf_sampler_new(model.handle(), temperature, topK, topP, minP, repeatPenalty, repeatLastN, seed);
        if (s == null || s.isNull()) throw new NativeException("sampler: " + NativeErrors.lastError());
        this.handle = s;
    }

    /** Records a token of the history the repetition penalty looks at. */
    public void accept(int token) { TokenflowNative.tf_sampler_accept(handle, token); }

    /** Samples from the session's last logits (and accepts the token). */
    public int sample(NativeSession session) {
        return NativeErrors.check(TokenflowNative.tf_sampler_sample(handle, session.handle()), "sample");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        TokenflowNative.tf_sampler_free(handle);
    }
}

package io.tokenflow.train.internal;

import io.tokenflow.internal.TokenflowNative;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Opaque;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;

/**
 * Thin JavaCPP binding of {@code native/include/tokenflow_train.h} (llama.cpp's trainer behind libtokenflow); see
 * that header for every contract. Its JNI library links the runtime's libtokenflow, which
 * {@link TokenflowNative} loads first (the runtime's natives jar carries it; this module ships only its glue).
 */
@Properties(inherit = TokenflowNative.class, value = @Platform(value = "linux-x86_64", include = "tokenflow_train.h"))
public final class TrainerNative {
    static {
        TokenflowNative.load();
        Loader.load();
    }

    private TrainerNative() {}

    public static final int TF_OK = TokenflowNative.TF_OK;
    public static final int TF_ERR_ARG = TokenflowNative.TF_ERR_ARG;

    /** The calling thread's last native error message. */
    public static String lastError() { return TokenflowNative.lastError(); }

    public static final int TF_LR_CONSTANT = 0;
    public static final int TF_LR_COSINE = 1;
    public static final int TF_LR_LINEAR = 2;

    @Opaque @Name("tf_trainer")
    public static final class TfTrainer extends Pointer {
        public TfTrainer() { super((Pointer) null); }
        public TfTrainer(Pointer p) { super(p); }
    }

    public static native TfTrainer tf_trainer_new(String modelPath, @Cast("uint32_t") int nCtx,
            @Cast("uint32_t") int nUbatch, int nThreads, int nGpuLayers);
    public static native void tf_trainer_free(TfTrainer trainer);
    public static native @Cast("uint32_t") int tf_trainer_n_ctx(TfTrainer trainer);
    public static native int tf_trainer_n_vocab(TfTrainer trainer);
    public static native long tf_trainer_n_params(TfTrainer trainer);
    public static native int tf_trainer_set_schedule(TfTrainer trainer, int kind, float lrMax, float lrMin,
            long warmupSteps, long totalSteps, float beta1, float beta2, float weightDecay);
    public static native float tf_trainer_lr_at(TfTrainer trainer, long step);
    public static native long tf_trainer_step_count(TfTrainer trainer);
    public static native int tf_trainer_set_step_count(TfTrainer trainer, long step);
    public static native int tf_trainer_step(TfTrainer trainer, @Cast("const int32_t*") int[] tokens, long nTokens,
            float[] outLoss, float[] outAccuracy, float[] outLr);
    public static native int tf_trainer_eval(TfTrainer trainer, @Cast("const int32_t*") int[] tokens, long nTokens,
            float[] outLoss, float[] outAccuracy);
    public static native int tf_trainer_save(TfTrainer trainer, String path);
}

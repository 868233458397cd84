package io.tokenflow.internal;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.FunctionPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Name;
import org.bytedeco.javacpp.annotation.Opaque;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * Thin JavaCPP binding of {@code native/include/tokenflow.h}; see that header for every contract.
 * Internal: the public API (io.tokenflow) validates arguments before calling anything here.
 */
@Platform(
        value = "linux-x86_64",
        include = "tokenflow.h",
        link = "tokenflow",
        preload = {"ggml-base@.0", "ggml-cpu@.0", "ggml@.0", "llama@.0", "tfkernels@.0"},
        define = "STRING_BYTES_CHARSET \"UTF-8\"")
public final class TokenflowNative {
    static {
        Loader.load();
    }

    private TokenflowNative() {}

    public static final int TF_OK = 0;
    public static final int TF_ERR_ARG = -1;
    public static final int TF_ERR_NATIVE = -2;
    public static final int TF_ERR_NO_SLOT = -3;
    public static final int TF_ERR_ABORTED = -4;
    public static final int TF_ERR_BUFFER = -5;
    /** tfkernels.h enums tfk_window_mode and tfk_pool_mode (modes of tf_window_aggregate and tf_pool1d). */
    public static final int TF_WINDOW_AVG = 0;
    public static final int TF_WINDOW_MAX = 1;
    public static final int TF_POOL_AVG = 0;
    public static final int TF_POOL_MAX = 1;

    /** Forces the native libraries to load (extraction from the jar on first use). */
    public static void load() {
        // the static initialiser does the work
    }

    @Opaque @Name("tf_model")
    public static final class TfModel extends Pointer {
        public TfModel() { super((Pointer) null); }
        public TfModel(Pointer p) { super(p); }
    }

    @Opaque @Name("tf_session")
    public static final class TfSession extends Pointer {
        public TfSession() { super((Pointer) null); }
        public TfSession(Pointer p) { super(p); }
    }

    @Opaque @Name("tf_sampler")
    public static final class TfSampler extends Pointer {
        public TfSampler() { super((Pointer) null); }
        public TfSampler(Pointer p) { super(p); }
    }

    /** Log lines from llama.cpp; implemented in Java (one static instance, see NativeLog). */
    public static class LogFn extends FunctionPointer {
        static { Loader.load(); }
        protected LogFn() { allocate(); }
        private native void allocate();
        public void call(int level, @Cast("const char*") BytePointer text, Pointer user) {}
    }

    /** Load progress; implemented in Java (one static instance, see ModelLoader). */
    public static class ProgressFn extends FunctionPointer {
        static { Loader.load(); }
        protected ProgressFn() { allocate(); }
        private native void allocate();
        public @Cast("bool") boolean call(float progress, Pointer user) { return true; }
    }

    public static native @Cast("const char*") BytePointer tf_last_error();

    public static native void tf_init();
    public static native int tf_backend_load(String path);
    public static native int tf_device_count();
    public static native int tf_device_name(int i, @Cast("char*") byte[] buf, int bufLen);
    public static native void tf_log_set(LogFn fn, int minLevel, Pointer user);

    public static native TfModel tf_model_load(String path, int nGpuLayers, @Cast("bool") boolean useMmap,
            @Cast("bool") boolean vocabOnly, ProgressFn progress, Pointer user);
    public static native void tf_model_free(TfModel model);
    public static native long tf_model_n_params(TfModel model);
    public static native long tf_model_size(TfModel model);
    public static native int tf_model_n_ctx_train(TfModel model);
    public static native int tf_model_n_embd(TfModel model);
    public static native int tf_model_n_layer(TfModel model);
    public static native int tf_model_n_head(TfModel model);
    public static native int tf_model_n_head_kv(TfModel model);
    public static native int tf_model_n_vocab(TfModel model);
    public static native int tf_model_desc(TfModel model, @Cast("char*") byte[] buf, int bufLen);
    public static native int tf_model_chat_template(TfModel model, @Cast("char*") byte[] buf, int bufLen);
    public static native int tf_vocab_special(TfModel model, int kind);
    public static native @Cast("bool") boolean tf_vocab_is_eog(TfModel model, int token);
    public static native @Cast("bool") boolean tf_vocab_is_control(TfModel model, int token);
    public static native @Cast("bool") boolean tf_vocab_add_bos(TfModel model);

    public static native int tf_tokenize(TfModel model, @Cast("const char*") byte[] text, int textLen, int[] out,
            int outCap, @Cast("bool") boolean addSpecial, @Cast("bool") boolean parseSpecial);
    public static native int tf_token_to_piece(TfModel model, int token, @Cast("char*") byte[] buf, int bufLen,
            @Cast("bool") boolean special);
    public static native int tf_detokenize(TfModel model, int[] tokens, int nTokens, @Cast("char*") byte[] buf,
            int bufLen, @Cast("bool") boolean removeSpecial, @Cast("bool") boolean unparseSpecial);
    public static native int tf_chat_apply(TfModel model, @Cast("const char*") byte[] tmpl,
            @Cast("const char*") byte[] messages, int nMessages, @Cast("bool") boolean addAssistant,
            @Cast("char*") byte[] buf, int bufLen);

    public static native TfSession tf_session_new(TfModel model, int nCtx, int nBatch, int nUbatch, int nThreads,
            int nThreadsBatch, int flashAttn, int typeK, int typeV, int nSeqMax, @Cast("bool") boolean kvTaps);
    public static native void tf_session_free(TfSession session);
    public static native int tf_session_n_ctx(TfSession session);
    public static native int tf_session_n_batch(TfSession session);
    public static native int tf_session_decode(TfSession session, int[] tokens, int n, int pos0, int seq,
            @Cast("bool") boolean wantLogits);
    public static native int tf_session_decode(TfSession session, IntPointer tokens, int n, int pos0, int seq,
            @Cast("bool") boolean wantLogits);
    public static native FloatPointer tf_session_logits(TfSession session);
    public static native void tf_session_abort(TfSession session, @Cast("bool") boolean abort);
    public static native int tf_session_decode_tree(TfSession session, int[] tokens, int[] parents, int n, int pos0);
    public static native FloatPointer tf_session_tree_logits(TfSession session);
    public static native int tf_session_commit_path(TfSession session, int[] path, int len);
    public static native int tf_session_verify_greedy(TfSession session, int kCand, int[] outPath, int[] outLen,
            int[] outBonus, int[] outCandIds, int nThreads);
    public static native int tf_session_verify_sample(TfSession session, float temperature, int topK, float topP,
            float minP, float[] uniforms, int kCand, int[] outPath, int[] outLen, int[] outBonus, int[] outCandIds,
            int nThreads);
    public static native @Cast("bool") boolean tf_memory_seq_rm(TfSession session, int seq, int p0, int p1);
    public static native void tf_memory_clear(TfSession session);
    public static native int tf_memory_pos_max(TfSession session, int seq);

    public static native int tf_session_kv_arm(TfSession session, int[] layers, int nLayers, int nThreads);
    public static native int tf_session_kv_disarm(TfSession session);
    public static native double tf_session_kv_score_ms(TfSession session);
    public static native int tf_session_kv_scores(TfSession session, int slot, int seq, int posEnd, int[] outPos,
            float[] outScores, int cap, int[] outNHead);
    public static native int tf_session_kv_cells(TfSession session, int seq, int[] outPos, int cap);
    public static native long tf_session_kv_cell_bytes(TfSession session);
    public static native int tf_window_aggregate(@Cast("const float*") float[] scores, long nHead, long nTokens,
            long rowStride, int w, int mode, float[] out);
    public static native int tf_pool1d(@Cast("const float*") float[] in, long n, int kernel, int mode, float[] out);

    public static native TfSampler tf_sampler_new(TfModel model, float temperature, int topK, float topP,
            float minP, float repeatPenalty, int repeatLastN, int seed);
    public static native void tf_sampler_free(TfSampler sampler);
    public static native void tf_sampler_accept(TfSampler sampler, int token);
    public static native int tf_sampler_sample(TfSampler sampler, TfSession session);

    public static native int tf_topk_f32(@Cast("const float*") FloatPointer logits, long nRows, long nCols,
            long rowStride, int k, IntPointer outIds, FloatPointer outVals, int nThreads);
    public static native int tf_topk_f32(@Cast("const float*") float[] logits, long nRows, long nCols,
            long rowStride, int k, int[] outIds, float[] outVals, int nThreads);

    /** The last native error on this thread, as text. */
    public static String lastError() {
        BytePointer p = tf_last_error();
        return p == null || p.isNull() ? "" : p.getString(java.nio.charset.StandardCharsets.UTF_8);
    }
}

package io.tokenflow.internal;

import io.tokenflow.LoadProgressListener;
import io.tokenflow.ModelOptions;
import io.tokenflow.NativeException;
import io.tokenflow.internal.TokenflowNative.tf_model;
import io.tokenflow.internal.TokenflowNative.tf_model_params;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * Owner of one native {@code tf_model} (weights + vocabulary): loading, the hyperparameters, tokenization and chat
 * templates. Frees it exactly once ({@link #close()}, or the cleaner as a safety net). Callers check that it is
 * open; the native side also refuses a null handle.
 */
public final class NativeModel implements AutoCloseable {
    private final tf_model handle;
    private final NativeHandle owner;

    private NativeModel(tf_model handle) {
        this.handle = handle;
        this.owner = new NativeHandle(this, () -> TokenflowNative.tf_model_free(handle));
    }

    /** Loads a model file that the Java checks accepted; null when llama.cpp refused it ({@link NativeErrors#lastError()}). */
    public static NativeModel load(String path, ModelOptions o) {
        tf_model m = Progress.load(path, o);
        return m == null ? null : new NativeModel(m);
    }

    tf_model handle() { return handle; }

    public boolean isClosed() { return owner.isClosed(); }

    @Override
    public void close() { owner.close(); }

    public long parameterCount() { return TokenflowNative.tf_model_n_params(handle); }
    public long sizeBytes() { return TokenflowNative.tf_model_size(handle); }
    public int contextLengthTrained() { return TokenflowNative.tf_model_n_ctx_train(handle); }
    public int vocabularySize() { return TokenflowNative.tf_model_n_vocab(handle); }
    public int embeddingLength() { return TokenflowNative.tf_model_n_embd(handle); }
    public int layerCount() { return TokenflowNative.tf_model_n_layer(handle); }
    public int headCount() { return TokenflowNative.tf_model_n_head(handle); }
    public int kvHeadCount() { return TokenflowNative.tf_model_n_head_kv(handle); }

    /** llama.cpp's one-line description, e.g. "llama ?B all F32". */
    public String description() {
        byte[] buf = new byte[512];
        int n = TokenflowNative.tf_model_desc(handle, buf, buf.length);
        return new String(buf, 0, Math.max(0, Math.min(n, buf.length)), StandardCharsets.UTF_8);
    }

    public Optional<String> chatTemplate() {
        int n = TokenflowNative.tf_model_chat_template(handle, (byte[]) null, 0);
        if (n < 0) return Optional.empty();
        byte[] buf = new byte[n];
        TokenflowNative.tf_model_chat_template(handle, buf, n);
        return Optional.of(new String(buf, StandardCharsets.UTF_8));
    }

    /** Special token id of kind 0..5 (bos, eos, eot, sep, nl, pad); -1 when the model has none. */
    public int specialToken(int kind) { return TokenflowNative.tf_vocab_special(handle, kind); }

    public boolean addsBos() { return TokenflowNative.tf_vocab_add_bos(handle); }

    public boolean isEndOfGeneration(int token) { return TokenflowNative.tf_vocab_is_eog(handle, token); }

    public boolean isControl(int token) { return TokenflowNative.tf_vocab_is_control(handle, token); }

    public int[] tokenize(byte[] text, boolean addSpecial, boolean parseSpecial) {
        int[] out = new int[text.length + 8];
        int n = TokenflowNative.tf_tokenize(handle, text, text.length, out, out.length, addSpecial, parseSpecial);
        if (n == Integer.MIN_VALUE) throw new NativeException("tokenize failed: " + NativeErrors.lastError());
        if (n < 0) {  // -n tokens are needed
            out = new int[-n];
            n = TokenflowNative.tf_tokenize(handle, text, text.length, out, out.length, addSpecial, parseSpecial);
            if (n < 0) throw new NativeException("tokenize failed: " + NativeErrors.lastError());
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    public byte[] detokenize(int[] tokens, boolean removeSpecial, boolean renderSpecial) {
        byte[] buf = new byte[tokens.length * 8 + 16];
        int n = TokenflowNative.tf_detokenize(handle, tokens, tokens.length, buf, buf.length, removeSpecial, renderSpecial);
        if (n < 0) {  // -n bytes are needed
            buf = new byte[-n];
            n = TokenflowNative.tf_detokenize(handle, tokens, tokens.length, buf, buf.length, removeSpecial, renderSpecial);
            if (n < 0) throw new NativeException("detokenize failed: " + NativeErrors.lastError());
        }
        return Arrays.copyOf(buf, n);
    }

    public byte[] piece(int token, boolean renderSpecial) {
        byte[] buf = new byte[32];
        int n = TokenflowNative.tf_token_to_piece(handle, token, buf, buf.length, renderSpecial);
        if (n < 0) {
            buf = new byte[-n];
            n = TokenflowNative.tf_token_to_piece(handle, token, buf, buf.length, renderSpecial);
            if (n < 0) throw new NativeException("token_to_piece failed: " + NativeErrors.lastError());
        }
        return Arrays.copyOf(buf, n);
    }

    /**
     * Applies a chat template to NUL-separated (role, content) pairs.
     *
     * @param template NUL-terminated template text, or null for the model's own
     * @throws IllegalArgumentException llama.cpp does not support the template
     */
    public byte[] applyChatTemplate(byte[] template, byte[] packedMessages, int messages, boolean addAssistant) {
        int n = TokenflowNative.tf_chat_apply(handle, template, packedMessages, messages, addAssistant, (byte[]) null, 0);
        if (n < 0) throw new IllegalArgumentException("chat template not supported: " + NativeErrors.lastError());
        byte[] out = new byte[n];
        TokenflowNative.tf_chat_apply(handle, template, packedMessages, messages, addAssistant, out, n);
        return out;
    }

    /** Load progress goes through one static callback; the listener of the loading thread receives it. */
    private static final class Progress {
        private static final ThreadLocal<LoadProgressListener> CURRENT = new ThreadLocal<>();
        private static final TokenflowNative.tf_progress_fn CALLBACK = new TokenflowNative.tf_progress_fn() {
            @Override
            public boolean call(float progress, Pointer user) {
                try {
                    LoadProgressListener l = CURRENT.get();
                    if (l != null) l.onProgress(progress);
                } catch (Throwable t) {
                    // a listener failure must not unwind through llama.cpp
                }
                return true;
            }
        };

        static tf_model load(String path, ModelOptions o) {
            CURRENT.set(o.progress());
            float[] split = new float[o.tensorSplit().size()];
            for (int i = 0; i < split.length; i++) split[i] = o.tensorSplit().get(i);
            try {
                // the servers' string and the split live (natively) until the load returns
                try (tf_model_params p = TokenflowNative.tf_model_default_params();
                     BytePointer rpc = new BytePointer(o.rpcServers(), StandardCharsets.UTF_8);
                     FloatPointer ts = new FloatPointer(Math.max(1, split.length))) {
                    ts.put(split, 0, split.length);
                    p.n_gpu_layers(o.gpuLayers()).use_mmap(o.useMmap()).vocab_only(o.vocabOnly()).progress(CALLBACK).rpc_servers(rpc)
                            .split_mode(o.splitMode().ordinal()).main_gpu(o.mainGpu()).tensor_split(ts).n_tensor_split(split.length);
                    tf_model m = TokenflowNative.tf_model_load(path, p);
                    return m == null || m.isNull() ? null : m;
                }
            } finally {
                CURRENT.remove();
            }
        }
    }
}

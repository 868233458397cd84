package io.tokenflow.train;

import io.tokenflow.InvalidModelException;
import io.tokenflow.ModelLoadException;
import io.tokenflow.NativeException;
import io.tokenflow.Tokenflow;
import io.tokenflow.gguf.GgmlType;
import io.tokenflow.gguf.GgufFile;
import io.tokenflow.gguf.GgufTensorInfo;
import io.tokenflow.internal.NativeErrors;
import io.tokenflow.internal.NativeHandle;
import io.tokenflow.train.internal.TrainerNative;
import io.tokenflow.train.internal.TrainerNative.tf_schedule;
import io.tokenflow.train.internal.TrainerNative.tf_trainer;
import io.tokenflow.train.internal.TrainerNative.tf_trainer_params;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Trains a llama-architecture GGUF with F32 weights through llama.cpp's own training API (AdamW). One
 * {@link #step} is one optimizer step on one window of {@link #contextLength()} tokens (passed as
 * {@code contextLength + 1} tokens: inputs and the next-token labels). Every F32 tensor is trained, the token
 * embedding included (native/patches/0002-train-token-embd.patch; llama.cpp v0.4.0's trainer skipped it).
 *
 * <p>Not thread-safe. Closing twice is harmless; use after close throws {@link IllegalStateException}.
 *
 * <pre>{@code
 * try (Trainer t = Trainer.open(initGguf, 256, 1)) {
 *     t.schedule(LrSchedule.cosine(2e-3, 2e-4, 100, 2000));
 *     Trainer.Step s = t.step(window);          // window.length == 257
 *     t.save(dir.resolve("model.gguf"));
 * }
 * }</pre>
 */
public final class Trainer implements AutoCloseable {
    /** What one optimizer step saw: the window's mean loss (nats/token, before the update), accuracy, rate. */
    public record Step(long step, double loss, double accuracy, double lr) {}

    /** Mean loss (nats/token) and next-token accuracy over held-out windows. */
    public record Evaluation(double loss, double accuracy, long tokens) {}

    private final tf_trainer handle;
    private final NativeHandle owner;
    private final int contextLength;
    private final int vocabSize;
    private final float[] loss = new float[1];
    private final float[] acc = new float[1];
    private final float[] lr = new float[1];

    private Trainer(tf_trainer handle) {
        this.handle = handle;
        this.owner = new NativeHandle(this, () -> TrainerNative.tf_trainer_free(handle));
        this.contextLength = TrainerNative.tf_trainer_n_ctx(handle);
        this.vocabSize = TrainerNative.tf_trainer_n_vocab(handle);
    }

    /** CPU only, one micro-batch per window. */
    public static Trainer open(Path model, int contextLength, int threads) {
        return open(model, contextLength, contextLength, threads, 0);
    }

    /**
     * @param contextLength window length = tokens per optimizer step, a multiple of 256 (llama.cpp pads contexts)
     * @param microBatch    divides contextLength: the window runs as micro-batches whose gradients accumulate; a
     *                      later one attends the earlier ones' keys/values without gradient through them, so keep
     *                      each document inside one micro-batch
     * @param gpuLayers     layers to offload (0 = CPU, -1 = all)
     * @throws InvalidModelException the file is not a GGUF whose weights are all F32
     * @throws ModelLoadException llama.cpp could not load it or create the training context
     */
    public static Trainer open(Path model, int contextLength, int microBatch, int threads, int gpuLayers) {
        if (model == null) throw new IllegalArgumentException("model path is null");
        if (contextLength < 256 || contextLength > 65536 || contextLength % 256 != 0) {
            throw new IllegalArgumentException("contextLength must be a multiple of 256 in [256, 65536]: " + contextLength);
        }
        if (threads < 1 || threads > 1024) throw new IllegalArgumentException("threads must be in [1, 1024]");
        if (microBatch < 16 || microBatch > contextLength || contextLength % microBatch != 0) {
            throw new IllegalArgumentException("microBatch must divide contextLength and be >= 16: " + microBatch);
        }
        if (!Files.isRegularFile(model) || !Files.isReadable(model)) throw new ModelLoadException("cannot read " + model);
        GgufFile gguf = GgufFile.read(model);
        for (GgufTensorInfo t : gguf.tensors()) {
            if (t.type() != GgmlType.F32) {
                throw new InvalidModelException("training needs F32 weights; " + t.name() + " is " + t.type());
            }
        }
        Tokenflow.init();
        tf_trainer h;
        try (tf_trainer_params p = TrainerNative.tf_trainer_default_params()) {
            p.n_ctx(contextLength).n_ubatch(microBatch).n_threads(threads).n_gpu_layers(gpuLayers);
            h = TrainerNative.tf_trainer_new(model.toAbsolutePath().toString(), p);
        }
        if (h == null || h.isNull()) {
            throw new ModelLoadException("cannot train " + model + ": " + NativeErrors.lastError());
        }
        return new Trainer(h);
    }

    public int contextLength() { return contextLength; }

    public int vocabSize() { return vocabSize; }

    public long parameterCount() {
        check();
        return TrainerNative.tf_trainer_n_params(handle);
    }

    /** Optimizer steps done (including those before a resume, see {@link #resumeAt}). */
    public long steps() {
        check();
        return TrainerNative.tf_trainer_step_count(handle);
    }

    /** Continues the schedule at {@code step} (after loading a checkpoint; AdamW moments start afresh). */
    public void resumeAt(long step) {
        check();
        if (step < 0) throw new IllegalArgumentException("step must be >= 0");
        TrainerNative.tf_trainer_set_step_count(handle, step);
    }

    public void schedule(LrSchedule s) {
        check();
        if (s == null) throw new IllegalArgumentException("schedule is null");
        int kind = switch (s.kind()) {
            case CONSTANT -> TrainerNative.TF_LR_CONSTANT;
            case COSINE -> TrainerNative.TF_LR_COSINE;
            case LINEAR -> TrainerNative.TF_LR_LINEAR;
        };
        int rc;
        try (tf_schedule p = TrainerNative.tf_schedule_default()) {
            p.kind(kind).lr_max((float) s.lrMax()).lr_min((float) s.lrMin()).warmup_steps(s.warmupSteps())
                    .total_steps(s.totalSteps()).beta1((float) s.beta1()).beta2((float) s.beta2())
                    .weight_decay((float) s.weightDecay());
            rc = TrainerNative.tf_trainer_set_schedule(handle, p);
        }
        if (rc != NativeErrors.OK) throw new IllegalArgumentException(NativeErrors.lastError());
    }

    /** The native schedule's rate at {@code step}. */
    public double lrAt(long step) {
        check();
        return TrainerNative.tf_trainer_lr_at(handle, step);
    }

    /** One optimizer step on {@code window} ({@code contextLength + 1} token ids in [0, vocabSize)). */
    public Step step(int[] window) {
        check();
        checkWindow(window, 1);
        long s = TrainerNative.tf_trainer_step_count(handle);
        int rc = TrainerNative.tf_trainer_step(handle, window, window.length, loss, acc, lr);
        if (rc != NativeErrors.OK) throw new NativeException("training step failed: " + NativeErrors.lastError());
        return new Step(s, loss[0], acc[0], lr[0]);
    }

    /** Loss and accuracy over whole windows laid end to end ({@code k * (contextLength + 1)} tokens). */
    public Evaluation evaluate(int[] windows) {
        check();
        if (windows == null || windows.length == 0 || windows.length % (contextLength + 1) != 0) {
            throw new IllegalArgumentException("need whole windows of " + (contextLength + 1) + " tokens");
        }
        checkWindow(windows, windows.length / (contextLength + 1));
        int rc = TrainerNative.tf_trainer_eval(handle, windows, windows.length, loss, acc);
        if (rc != NativeErrors.OK) throw new NativeException("evaluation failed: " + NativeErrors.lastError());
        return new Evaluation(loss[0], acc[0], (long) windows.length / (contextLength + 1) * contextLength);
    }

    /** Writes the current weights as a GGUF that {@link io.tokenflow.Model#load} reads (atomically, via a temp file). */
    public void save(Path path) {
        check();
        if (path == null) throw new IllegalArgumentException("path is null");
        int rc = TrainerNative.tf_trainer_save(handle, path.toAbsolutePath().toString());
        if (rc != NativeErrors.OK) {
            String why = NativeErrors.lastError();
            if (rc == NativeErrors.ERR_ARG) throw new IllegalArgumentException(why);
            throw new NativeException("save failed: " + why);
        }
    }

    private void checkWindow(int[] tokens, int windows) {
        if (tokens == null) throw new IllegalArgumentException("tokens is null");
        if (tokens.length != windows * (contextLength + 1)) {
            throw new IllegalArgumentException("a window is contextLength + 1 = " + (contextLength + 1) + " tokens, got " + tokens.length);
        }
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] < 0 || tokens[i] >= vocabSize) {
                throw new IllegalArgumentException("token " + tokens[i] + " at " + i + " outside [0, " + vocabSize + ")");
            }
        }
    }

    private void check() {
        if (owner.isClosed()) throw new IllegalStateException("trainer is closed");
    }

    @Override
    public void close() {
        owner.close();
    }
}

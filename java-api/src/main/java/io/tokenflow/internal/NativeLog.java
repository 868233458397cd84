package io.tokenflow.internal;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/** Routes llama.cpp/ggml log lines to {@code System.Logger("io.tokenflow.llama")}; one static callback. */
public final class NativeLog {
    private static final Logger LOG = System.getLogger("io.tokenflow.llama");
    // JavaCPP keeps only a weak reference to callbacks: this strong one lives as long as the class.
    private static final TokenflowNative.tf_log_fn SINK = new TokenflowNative.tf_log_fn() {
        @Override
        public void call(int level, BytePointer text, Pointer user) {
            try {
                if (text != null && !text.isNull()) {
                    LOG.log(toJava(level), text.getString(StandardCharsets.UTF_8));
                }
            } catch (Throwable t) {
                // never unwind into ggml frames
            }
        }
    };
    private static volatile Level threshold = Level.WARNING;

    private NativeLog() {}

    /** Forward native lines at {@code level} and above; {@link Level#OFF} silences llama.cpp entirely. */
    public static synchronized void setLevel(Level level) {
        threshold = level;
        if (level == Level.OFF) {
            TokenflowNative.tf_log_set(null, TokenflowNative.TF_LOG_NONE, null);
        } else {
            TokenflowNative.tf_log_set(SINK, toNative(level), null);
        }
    }

    public static Level level() {
        return threshold;
    }

    static Level toJava(int nativeLevel) {
        switch (nativeLevel) {
            case 1: return Level.DEBUG;
            case 2: return Level.INFO;
            case 3: return Level.WARNING;
            default: return Level.ERROR;
        }
    }

    static int toNative(Level level) {
        switch (level) {
            case ALL: case TRACE: case DEBUG: return 1;
            case INFO: return 2;
            case WARNING: return 3;
            default: return 4;
        }
    }
}

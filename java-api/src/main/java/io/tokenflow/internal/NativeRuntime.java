package io.tokenflow.internal;

import java.nio.charset.StandardCharsets;
import org.bytedeco.javacpp.Loader;
import java.util.ArrayList;
import java.util.List;

/** Process-wide native state: library loading, llama.cpp's backend initialisation, extra backends, devices. */
public final class NativeRuntime {
    private NativeRuntime() {}

    /** Loads the native libraries (extracted from the natives jar on first use) and initialises llama.cpp. */
    public static void init() {
        Loader.load(TokenflowNative.class);  // extracts and loads the natives on first use
        NativeLog.setLevel(NativeLog.level());
        TokenflowNative.tf_init();
    }

    /** Loads a ggml backend module; false (with {@link NativeErrors#lastError()} saying why) when it cannot run here. */
    public static boolean loadBackend(String path) {
        return TokenflowNative.tf_backend_load(path) == TokenflowNative.TF_OK;
    }

    /** llama.cpp's system info: the CPU features this build uses. */
    public static String systemInfo() {
        int n = TokenflowNative.tf_system_info((byte[]) null, 0);
        byte[] buf = new byte[Math.max(0, n)];
        TokenflowNative.tf_system_info(buf, buf.length);
        return new String(buf, StandardCharsets.UTF_8).strip();
    }

    /** Names of the compute devices ggml sees. */
    public static List<String> devices() {
        List<String> out = new ArrayList<>();
        int n = TokenflowNative.tf_device_count();
        for (int i = 0; i < n; i++) {
            byte[] buf = new byte[512];
            int len = TokenflowNative.tf_device_name(i, buf, buf.length);
            if (len >= 0) out.add(new String(buf, 0, Math.min(len, buf.length), StandardCharsets.UTF_8));
        }
        return List.copyOf(out);
    }
}

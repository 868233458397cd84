package io.tokenflow;

import io.tokenflow.internal.NativeErrors;
import io.tokenflow.internal.NativeLog;
import io.tokenflow.internal.NativeRuntime;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Process-wide settings: native log level, extra backends, devices. */
public final class Tokenflow {
    private static volatile boolean initialised;

    private Tokenflow() {}

    /**
     * tokenflow's cache folder: {@code $TOKENFLOW_CACHE}, else {@code ~/.cache/tokenflow} (models written on demand,
     * measured decode-cost curves; the build scripts keep llama.cpp there too).
     */
    public static Path cacheDir() {
        String root = System.getenv("TOKENFLOW_CACHE");
        return root != null && !root.isBlank() ? Path.of(root) : Path.of(System.getProperty("user.home"), ".cache", "tokenflow");
    }

    /** Loads the native libraries and initialises llama.cpp (idempotent; called by every entry point). */
    public static void init() {
        if (initialised) return;
        synchronized (Tokenflow.class) {
            if (initialised) return;
            NativeRuntime.init();
            initialised = true;
            loadConfiguredGpuBackend();
        }
    }

    /**
     * Loads ggml's GPU backend: the module {@code -Dtokenflow.cuda.backend=PATH} (or {@code TOKENFLOW_CUDA_BACKEND})
     * names, else the one the {@code -Pcuda} natives jar carries; {@code -Dtokenflow.gpu=off} (or
     * {@code TOKENFLOW_GPU=off}) skips it. The CUDA runtime comes from JavaCPP's CUDA presets when they are on the class
     * path, else from the system. Without a GPU, driver or runtime the process runs on the CPU, and one log line says
     * why.
     */
    private static void loadConfiguredGpuBackend() {
        System.Logger log = System.getLogger(Tokenflow.class.getName());
        String off = System.getProperty("tokenflow.gpu", System.getenv("TOKENFLOW_GPU"));
        if (off != null && off.equalsIgnoreCase("off")) return;
        String path = System.getProperty("tokenflow.cuda.backend", System.getenv("TOKENFLOW_CUDA_BACKEND"));
        List<String> modules = path != null && !path.isBlank() ? List.of(path) : NativeRuntime.gpuModules();
        if (modules.isEmpty()) return;  // the CPU build
        String runtime = NativeRuntime.preloadCudaRuntime();
        for (String m : modules) {
            if (!Files.isRegularFile(Path.of(m))) {
                log.log(Level.WARNING, "CUDA backend module not found: " + m + "; running on the CPU");
            } else if (!NativeRuntime.loadBackend(m)) {
                String why = NativeErrors.lastError();
                int colon = why.indexOf(m + ": ");
                if (colon >= 0) why = why.substring(colon + m.length() + 2);  // dlerror's reason, without the long path
                log.log(Level.WARNING, "CUDA backend not loaded, running on the CPU: " + why + (runtime == null ? "" : " (" + runtime + ")"));
            } else if (devices().stream().noneMatch(Device::offloadable)) {
                log.log(Level.WARNING, "CUDA backend loaded but it sees no GPU (no NVIDIA driver or device); running on the CPU");
            } else {
                log.log(Level.INFO, "CUDA backend loaded: " + devices().stream().filter(Device::offloadable).toList());
            }
        }
    }

    /**
     * Native (llama.cpp/ggml) log lines at {@code level} and above go to the {@code System.Logger}
     * named "io.tokenflow.llama"; {@link Level#OFF} silences them. Default: WARNING.
     */
    public static void setNativeLogLevel(Level level) {
        init();
        NativeLog.setLevel(level);
    }

    /** Loads a ggml backend module such as {@code libggml-cuda.so}; false when it cannot be loaded (no GPU). */
    public static boolean loadBackend(Path module) {
        init();
        if (!Files.isRegularFile(module)) {
            throw new IllegalArgumentException("backend module not found: " + module);
        }
        return NativeRuntime.loadBackend(module.toAbsolutePath().toString());
    }

    /**
     * The CPU variant in use and the features its code uses, as llama.cpp reports them (e.g. {@code "CPU_VARIANT =
     * zen4 | CPU : SSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | BMI2 = 1 | AVX512 = 1 | ..."}).
     */
    public static String systemInfo() {
        init();
        return NativeRuntime.systemInfo();
    }

    /**
     * The ggml CPU backend variant this process runs: the best of those in the natives jar that this CPU supports,
     * {@code "x64"} (any x86-64), {@code "haswell"} (AVX2, FMA, F16C), {@code "skylakex"} (AVX-512) or {@code "zen4"}
     * (AVX-512 with VBMI, VNNI and BF16); the environment variable {@code TOKENFLOW_CPU_VARIANT} forces one. Empty when
     * none could be loaded (model loads then fail and say why).
     */
    public static String cpuVariant() {
        init();
        return NativeRuntime.cpuVariant();
    }

    /**
     * The compute devices llama.cpp can use, in ggml's order: the CPU, and GPUs once their backend is loaded (the
     * {@code -Pcuda} natives load ggml's CUDA backend at start when a GPU and driver are present).
     */
    public static List<Device> devices() {
        init();
        return NativeRuntime.devices().stream()
                .map(d -> Device.of(d.name(), d.description(), d.type(), d.memoryFree(), d.memoryTotal())).toList();
    }
}

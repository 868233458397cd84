package io.tokenflow.internal;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import io.tokenflow.internal.TokenflowNative.tf_device_props;
import org.bytedeco.javacpp.Loader;
import java.util.ArrayList;
import java.util.List;

/** Process-wide native state: library loading, llama.cpp's backend initialisation, extra backends, devices. */
public final class NativeRuntime {
    private NativeRuntime() {}

    /** Loads the native libraries (extracted from the natives jar on first use) and initialises llama.cpp. */
    public static void init() {
        Loader.load(TokenflowNative.class);  // extracts and loads the natives on first use
        extractCpuVariants();
        NativeLog.setLevel(NativeLog.level());
        TokenflowNative.tf_init();
    }

    /**
     * ggml's CPU backend is not linked but loaded by libtokenflow at {@code tf_init}: the best of the variants
     * (x64, haswell, skylakex, zen4 ...) this CPU runs. JavaCPP extracts only linked libraries, so the variants listed
     * in {@code ggml-cpu-variants.txt} are extracted here, into the same cache folder, and so are the other modules
     * libtokenflow loads on demand, listed in {@code ggml-modules.txt} (llama.cpp's RPC backend).
     */
    private static void extractCpuVariants() {
        String base = Loader.getPlatform() + "/";
        URL list = TokenflowNative.class.getResource(base + "ggml-cpu-variants.txt");
        if (list == null) return;  // tf_init then says that no CPU backend could be loaded, and model loads fail so
        try {
            List<File> variants = extractListed(list, base);
            URL modules = TokenflowNative.class.getResource(base + "ggml-modules.txt");
            if (modules != null) extractListed(modules, base);
            if (!variants.isEmpty()) TokenflowNative.tf_set_cpu_backend_dir(variants.get(0).getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("could not extract ggml's backend modules from the natives jar", e);
        }
    }

    /** Extracts the files a list names (whitespace-separated) into JavaCPP's cache; returns them. */
    private static List<File> extractListed(URL list, String base) throws IOException {
        try (InputStream in = list.openStream()) {
            List<File> out = new ArrayList<>();
            for (String name : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\\s+")) {
                if (!name.isBlank()) out.add(Loader.cacheResource(TokenflowNative.class, base + name));
            }
            return out;
        }
    }

    /**
     * GPU backend modules the natives jar carries (the {@code -Pcuda} build: {@code libggml-cuda.so}), extracted to
     * JavaCPP's cache folder; empty for the CPU build.
     */
    public static List<String> gpuModules() {
        String base = Loader.getPlatform() + "/";
        URL list = TokenflowNative.class.getResource(base + "ggml-gpu-modules.txt");
        if (list == null) return List.of();
        try {
            List<File> modules = extractListed(list, base);
            for (File m : modules) linkGgmlBase(m.getParentFile());
            return modules.stream().map(File::getAbsolutePath).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("could not extract ggml's GPU backend from the natives jar", e);
        }
    }

    /**
     * The prebuilt CUDA module needs {@code libggml-base.so} (no version) beside it ($ORIGIN), while the process has
     * {@code libggml-base.so.0} loaded: the dynamic linker matches a loaded library by soname or by file, so a link
     * to that very file makes the module bind to the loaded copy (one ggml, one backend registry). JavaCPP's cache
     * already holds such a link; a folder without one (natives loaded from a build tree) gets it here.
     */
    private static void linkGgmlBase(File dir) {
        Path link = dir.toPath().resolve("libggml-base.so");
        if (Files.exists(link) || Files.isSymbolicLink(link)) return;
        for (String loaded : Loader.getLoadedLibraries().values()) {
            Path p = Path.of(loaded);
            if (!p.getFileName().toString().startsWith("libggml-base.so")) continue;
            try {
                Files.createSymbolicLink(link, p.toAbsolutePath());
            } catch (IOException | UnsupportedOperationException e) {
                // read-only folder: the module's load then fails and its log line says which library was missing
            }
            return;
        }
    }

    /**
     * Loads the CUDA runtime and cuBLAS through JavaCPP's CUDA presets when they are on the class path
     * ({@code org.bytedeco:cuda}, with its {@code -redist} jar the libraries themselves, so that only the NVIDIA driver
     * must be installed); ggml's CUDA module then finds them already loaded. Returns why not, or null when loaded.
     */
    public static String preloadCudaRuntime() {
        for (String cls : new String[] {"org.bytedeco.cuda.global.cudart", "org.bytedeco.cuda.global.cublas"}) {
            try {
                Loader.load(Class.forName(cls));
            } catch (ClassNotFoundException e) {
                return "JavaCPP's CUDA presets (org.bytedeco:cuda) are not on the class path";
            } catch (Throwable e) {  // UnsatisfiedLinkError / NoClassDefFoundError: no runtime in a jar or on the system
                return "no CUDA 13 runtime found: install it, or add org.bytedeco:cuda's " + Loader.getPlatform()
                        + "-redist jar (mvn -Pcuda,cuda-redist)";
            }
        }
        return null;
    }

    /** The ggml CPU variant in use ("zen4", "haswell", "x64" ...); empty when none could be loaded. */
    public static String cpuVariant() {
        int n = TokenflowNative.tf_cpu_variant((byte[]) null, 0);
        byte[] buf = new byte[Math.max(0, n)];
        TokenflowNative.tf_cpu_variant(buf, buf.length);
        return new String(buf, StandardCharsets.UTF_8);
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

    /** One row per compute device ggml sees: name, description, type code, memory free and total. */
    public record DeviceRow(String name, String description, int type, long memoryFree, long memoryTotal) {}

    /** The compute devices ggml sees, in its registry order. */
    public static List<DeviceRow> devices() {
        List<DeviceRow> out = new ArrayList<>();
        int n = TokenflowNative.tf_device_count();
        try (tf_device_props p = new tf_device_props()) {
            for (int i = 0; i < n; i++) {
                if (TokenflowNative.tf_device_get(i, p) != TokenflowNative.TF_OK) continue;
                out.add(new DeviceRow(p.name().getString(StandardCharsets.UTF_8), p.description().getString(StandardCharsets.UTF_8),
                        p.type(), p.memory_free(), p.memory_total()));
            }
        }
        return List.copyOf(out);
    }
}

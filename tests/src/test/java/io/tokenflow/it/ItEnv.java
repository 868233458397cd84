package io.tokenflow.it;

import io.tokenflow.SessionOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Where the integration tests find their inputs: the shared model files ({@code tokenflow.models.dir}) and the
 * pinned llama.cpp tools ({@code llama.bin.dir} in {@code tokenflow.native.build}/native-build.properties).
 * Everything they need is part of the clone or of the build: a missing input fails the test, never skips it.
 */
final class ItEnv {
    /** Threads per session. The machines running the suite are small and shared; see {@link #sessionOptions}. */
    static final int THREADS = Integer.getInteger("tokenflow.it.threads", 2);

    private static Optional<Path> shim;
    private static boolean shimTried;

    private ItEnv() {}

    private static void require(boolean present, String what) {
        if (!present) throw new AssertionError(what);
    }

    static Path modelsDir() {
        return Path.of(System.getProperty("tokenflow.models.dir", "models"));
    }

    static Path requireModel(String name) {
        Path p = modelsDir().resolve(name);
        require(Files.isRegularFile(p), "test model " + p + " is missing (it is committed under tests/models)");
        return p;
    }

    static Path stories() { return requireModel("stories260K.gguf"); }

    static Path tinyRandom() { return requireModel("llama-2-tiny-random.gguf"); }

    static SessionOptions.Builder sessionOptions(int contextSize) {
        return SessionOptions.builder().contextSize(contextSize).threads(THREADS);
    }

    /** native-build.properties of the java-api build, or empty when that build is absent. */
    static Optional<Properties> nativeBuild() {
        String dir = System.getProperty("tokenflow.native.build");
        if (dir == null) return Optional.empty();
        Path f = Path.of(dir, "native-build.properties");
        if (!Files.isRegularFile(f)) return Optional.empty();
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(f)) {
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Optional.of(p);
    }

    /** The llama.cpp bin dir (tools and their shared libraries); skips the test when it is unknown. */
    static Path requireLlamaBin() {
        Optional<Properties> p = nativeBuild();
        require(p.isPresent(), "no native-build.properties under tokenflow.native.build="
                + System.getProperty("tokenflow.native.build") + " (build java-api first)");
        String bin = p.get().getProperty("llama.bin.dir");
        require(bin != null && Files.isDirectory(Path.of(bin)), "llama.bin.dir " + bin + " is not a directory");
        return Path.of(bin);
    }

    /** A llama.cpp tool such as {@code llama-simple}; skips the test when it was not built. */
    static Path requireTool(String name) {
        Path tool = requireLlamaBin().resolve(name);
        require(Files.isExecutable(tool), "llama.cpp tool " + tool + " is absent (scripts/build-llama.sh builds it)");
        return tool;
    }

    /** A tool ran past its timeout (it was killed). */
    static final class TimeoutError extends AssertionError {
        private static final long serialVersionUID = 1L;

        TimeoutError(String message) { super(message); }
    }

    record ProcessOutput(int exitCode, byte[] stdout, String stderr) {
        String stdoutText() { return new String(stdout, StandardCharsets.UTF_8); }
    }

    /**
     * Runs a llama.cpp tool with LD_LIBRARY_PATH at its bin dir, {@code stdin} as its input, and a timeout.
     *
     * @throws TimeoutError on timeout
     */
    static ProcessOutput run(List<String> command, byte[] stdin, Duration timeout, Map<String, String> env) {
        try {
            Path dir = Files.createTempDirectory("tf-it-proc");
            Path in = dir.resolve("stdin");
            Path out = dir.resolve("stdout");
            Path err = dir.resolve("stderr");
            Files.write(in, stdin);
            ProcessBuilder pb = new ProcessBuilder(command).redirectInput(in.toFile()).redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            pb.environment().put("LD_LIBRARY_PATH", Path.of(command.get(0)).getParent().toString());
            pb.environment().putAll(env);
            Process p = pb.start();
            try {
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                    throw new TimeoutError("timed out after " + timeout + ": " + command);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted: " + command, e);
            }
            ProcessOutput o = new ProcessOutput(p.exitValue(), Files.readAllBytes(out),
                    Files.readString(err, StandardCharsets.ISO_8859_1));
            Files.delete(in);
            Files.delete(out);
            Files.delete(err);
            Files.delete(dir);
            return o;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * An LD_PRELOAD library that makes {@code llama_context_default_params()} use {@code TF_LLAMA_THREADS}
     * threads, built once with the system C compiler against the pinned llama.h; empty when it cannot be built.
     *
     * <p>Why: {@code llama-simple} has no thread option and always runs ggml's default 4 spinning threads. On a
     * 2-core machine that others share, every graph barrier then waits for the scheduler and a 40-token run of
     * a 260K-parameter model takes a minute instead of 30 ms. The thread count does not change ggml's CPU results
     * (each output row is computed by one thread), so the golden output is the same.
     */
    static synchronized Optional<Path> threadShim() {
        if (shimTried) return shim;
        shimTried = true;
        shim = Optional.empty();
        Optional<Properties> p = nativeBuild();
        if (p.isEmpty() || p.get().getProperty("llama.src.dir") == null) return shim;
        Path src = Path.of(p.get().getProperty("llama.src.dir"));
        try {
            Path dir = Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir"), "tf-it-shim-" + ProcessHandle.current().pid()));
            Path c = dir.resolve("threads_shim.c");
            try (InputStream in = ItEnv.class.getResourceAsStream("/threads_shim.c")) {
                Files.write(c, in.readAllBytes());
            }
            Path so = dir.resolve("libthreads_shim.so");
            List<String> cmd = new ArrayList<>(List.of("cc", "-shared", "-fPIC", "-O1",
                    "-I" + src.resolve("include"), "-I" + src.resolve("ggml/include"), c.toString(), "-o", so.toString(), "-ldl"));
            Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String log = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!proc.waitFor(60, TimeUnit.SECONDS) || proc.exitValue() != 0 || !Files.isRegularFile(so)) {
                System.err.println("[ItEnv] could not build the llama thread shim: " + log);
                return shim;
            }
            dir.toFile().deleteOnExit(); // deleted in reverse order of registration: files first
            c.toFile().deleteOnExit();
            so.toFile().deleteOnExit();
            shim = Optional.of(so);
        } catch (IOException | InterruptedException | RuntimeException e) {
            System.err.println("[ItEnv] could not build the llama thread shim: " + e);
        }
        return shim;
    }

    /** Resident set size of this process in KiB, from /proc/self/status. */
    static long rssKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}

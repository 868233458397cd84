package io.tokenflow.it;

import io.tokenflow.GenerationOptions;
import io.tokenflow.InvalidModelException;
import io.tokenflow.Model;
import io.tokenflow.ModelLoadException;
import io.tokenflow.ModelOptions;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import io.tokenflow.TokenflowException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Work that may take the whole JVM down if the library has a bug (a native abort on bad input) runs in a child JVM
 * started from the test's classpath, so a crash fails one test with its message instead of killing the suite.
 */
final class ChildJvm {
    private ChildJvm() {}

    record Result(int exitCode, String stdout, String stderr, boolean timedOut) {
        /** The native abort message, if the child printed one (ggml prints "file:line: message"). */
        String describe() {
            return "exit code " + exitCode + (timedOut ? " (timed out)" : "") + "\n--- stdout (tail) ---\n"
                    + tail(stdout, 3000) + "\n--- stderr (tail) ---\n" + tail(stderr, 3000);
        }
    }

    static String tail(String s, int n) {
        return s.length() <= n ? s : "..." + s.substring(s.length() - n);
    }

    /** Runs {@code ChildJvm.main(args)} in a new JVM with this JVM's classpath and JavaCPP cache dir. */
    static Result run(Duration timeout, String... args) {
        return run(timeout, java.util.Map.of(), args);
    }

    /** As {@link #run(Duration, String...)}, with extra environment variables. */
    static Result run(Duration timeout, java.util.Map<String, String> env, String... args) {
        try {
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
            if (cache != null) cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
            cmd.add("-Xmx512m");
            cmd.add("-XX:TieredStopAtLevel=1");
            cmd.add("-XX:-CreateCoredumpOnCrash");
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(ChildJvm.class.getName());
            cmd.addAll(List.of(args));
            Path dir = Files.createTempDirectory("tf-it-child");
            Path out = dir.resolve("stdout");
            Path err = dir.resolve("stderr");
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile())
                    .redirectError(err.toFile());
            pb.environment().put("GGML_NO_BACKTRACE", "1"); // ggml would attach gdb to print a backtrace on abort
            pb.environment().putAll(env);
            Process p = pb.start();
            boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!done) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            Result r = new Result(done ? p.exitValue() : -1, Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.ISO_8859_1), !done);
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) Files.deleteIfExists(f); // hs_err files too
            }
            Files.deleteIfExists(dir);
            return r;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = System.out;
        switch (args[0]) {
            case "vocab-only" -> {
                try (Model m = Model.load(Path.of(args[1]), ModelOptions.builder().vocabOnly(true).build())) {
                    int[] ids = m.tokenizer().encode("Hello world");
                    out.println("OK tokens=" + ids.length + " vocab=" + m.tokenizer().vocabularySize());
                    try (Session s = m.newSession()) {
                        out.println("SESSION OPENED on a vocabOnly model");
                    } catch (IllegalStateException e) {
                        out.println("SESSION REFUSED: " + e.getMessage());
                    }
                }
            }
            case "fuzz" -> fuzz(Path.of(args[1]), Long.parseLong(args[2]), Integer.parseInt(args[3]), Path.of(args[4]),
                    Integer.parseInt(args[5]));
            case "mutations" -> mutations(Path.of(args[1]), Long.parseLong(args[2]), Integer.parseInt(args[3]),
                    Integer.parseInt(args[4]), Path.of(args[5]), Integer.parseInt(args[6]));
            case "cpu-variant" -> {
                out.println("VARIANT=" + io.tokenflow.Tokenflow.cpuVariant());
                out.println("INFO=" + io.tokenflow.Tokenflow.systemInfo());
                try (Model m = Model.load(Path.of(args[1])); Session s = m.newSession(ItEnv.sessionOptions(64).build())) {
                    out.println("TEXT=" + s.generate("Once upon a time", io.tokenflow.GenerationOptions.greedy(8)).text());
                } catch (io.tokenflow.ModelLoadException e) {
                    out.println("REFUSED: " + e.getMessage());
                }
            }
            default -> throw new IllegalArgumentException(args[0]);
        }
        out.flush();
        System.exit(0);
    }

    /**
     * Runs the fuzz catalogue of {@code model} ({@link GgufMutations}) from index {@code start}, printing one line per
     * copy before and after trying it: "i\tname\t" then the outcome (see {@link #tryModel}).
     */
    static void fuzz(Path model, long seed, int randomCount, Path dir, int start) throws IOException {
        byte[] original = Files.readAllBytes(model);
        List<GgufMutations.Mutation> all = GgufMutations.of(original, seed, randomCount);
        Path file = dir.resolve("fuzzed.gguf");
        for (int i = start; i < all.size(); i++) {
            GgufMutations.Mutation m = all.get(i);
            Files.write(file, m.apply().apply(original.clone()));
            System.out.print(i + "\t" + m.name() + "\t");
            System.out.flush();
            System.out.println(tryModel(file).replace('\n', ' '));
        }
        Files.deleteIfExists(file);
    }

    /**
     * LOADED (loaded, tokenized and generated 2 tokens, or refused a use with a typed exception), INVALID msg,
     * LOAD_FAILED msg, or OTHER class: msg (anything else: a test failure).
     */
    static String tryModel(Path file) {
        try (Model m = Model.load(file)) {
            try {
                m.tokenizer().encode("Once upon a time");
                try (Session s = m.newSession(SessionOptions.builder().contextSize(64).threads(1).build())) {
                    s.generate("Once upon a time", GenerationOptions.greedy(2));
                }
                return "LOADED";
            } catch (TokenflowException | IllegalArgumentException e) {
                return "LOADED (use refused: " + e + ")";
            }
        } catch (InvalidModelException e) {
            return "INVALID " + e.getMessage();
        } catch (ModelLoadException e) {
            return "LOAD_FAILED " + e.getMessage();
        } catch (Throwable t) {
            return "OTHER " + t;
        }
    }

    /**
     * Loads {@code count} copies of {@code model} with 1..8 random bytes of the first {@code span} bytes changed,
     * printing one line per copy: "i @pos:old->new... OUTCOME", OUTCOME being LOADED, INVALID msg, LOAD_FAILED msg or
     * OTHER class: msg. Copies before {@code start} are generated (the sequence stays the same) but not loaded.
     */
    static void mutations(Path model, long seed, int count, int span, Path dir, int start) throws IOException {
        byte[] original = Files.readAllBytes(model);
        Random rnd = new Random(seed);
        Path file = dir.resolve("mutated.gguf");
        for (int i = 0; i < count; i++) {
            byte[] b = original.clone();
            int k = 1 + rnd.nextInt(8);
            StringBuilder what = new StringBuilder();
            for (int j = 0; j < k; j++) {
                int pos = rnd.nextInt(Math.min(span, b.length));
                byte v = switch (rnd.nextInt(4)) {
                    case 0 -> (byte) 0x00;
                    case 1 -> (byte) 0xFF;
                    case 2 -> (byte) (b[pos] ^ (1 << rnd.nextInt(8)));
                    default -> (byte) rnd.nextInt(256);
                };
                what.append(String.format(" @%d:%02x->%02x", pos, b[pos] & 0xFF, v & 0xFF));
                b[pos] = v;
            }
            if (i < start) continue;
            Files.write(file, b);
            System.out.print(i + what.toString() + " ");
            System.out.flush();
            String outcome;
            try (Model m = Model.load(file)) {
                // a model that loads must also be safe to use a little; failing cleanly is fine
                try {
                    m.tokenizer().encode("Once upon a time");
                    try (Session s = m.newSession(SessionOptions.builder().contextSize(64).threads(1).build())) {
                        s.generate("Once upon a time", GenerationOptions.greedy(2));
                    }
                    outcome = "LOADED";
                } catch (TokenflowException e) {
                    outcome = "LOADED (use failed: " + e + ")";
                }
            } catch (InvalidModelException e) {
                outcome = "INVALID " + e.getMessage();
            } catch (ModelLoadException e) {
                outcome = "LOAD_FAILED " + e.getMessage();
            } catch (Throwable t) {
                outcome = "OTHER " + t;
            }
            System.out.println(outcome.replace('\n', ' '));
        }
        Files.deleteIfExists(file);
    }
}

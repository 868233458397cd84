package io.tokenflow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Runs llama.cpp's own {@code llama-bench} with the same test sizes, for a side-by-side comparison. */
final class LlamaBench {
    private LlamaBench() {}

    /** Runs {@code binary -m model -p P -n N -r R -t T -ngl L -o json}; returns one result per test it ran. */
    static List<BenchResult> run(Path binary, Path model, int nPrompt, int nGen, int reps, int threads, int gpuLayers) {
        if (!Files.isRegularFile(binary)) throw new CliException("llama-bench not found: " + binary, ExitCodes.USAGE);
        if (!Files.isExecutable(binary)) throw new CliException("llama-bench is not executable: " + binary, ExitCodes.USAGE);
        List<String> cmd = List.of(binary.toString(), "-m", model.toString(), "-p", Integer.toString(nPrompt),
                "-n", Integer.toString(nGen), "-r", Integer.toString(reps), "-t", Integer.toString(threads),
                "-ngl", Integer.toString(gpuLayers < 0 ? 999 : gpuLayers), "-o", "json");
        Path errLog = null;
        try {
            errLog = Files.createTempFile("tokenflow-llama-bench", ".log");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(false).redirectError(errLog.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            byte[] stdout = p.getInputStream().readAllBytes();
            int rc = p.waitFor();
            if (rc != 0) {
                throw new CliException("llama-bench exited with code " + rc + ": " + lastLine(errLog), ExitCodes.RUNTIME);
            }
            return parse(new String(stdout, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new CliException("cannot run llama-bench " + binary + ": " + e.getMessage(), ExitCodes.RUNTIME, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while llama-bench ran", ExitCodes.RUNTIME, e);
        } finally {
            if (errLog != null) {
                try {
                    Files.deleteIfExists(errLog);
                } catch (IOException e) {
                    // a stale temp file is harmless
                }
            }
        }
    }

    /** Reads llama-bench's {@code -o json} output: an array of tests with n_prompt, n_gen, avg_ts, stddev_ts. */
    static List<BenchResult> parse(String json) {
        List<BenchResult> out = new ArrayList<>();
        try {
            JsonNode root = Json.MAPPER.readTree(json);
            if (root == null || !root.isArray()) throw new IOException("not a JSON array");
            for (JsonNode t : root) {
                int nPrompt = t.path("n_prompt").asInt(0);
                int nGen = t.path("n_gen").asInt(0);
                if (nPrompt > 0 && nGen > 0) continue; // a pp+tg test: not one we compare
                out.add(new BenchResult(BenchResult.testName(nPrompt, nGen), t.path("avg_ts").asDouble(Double.NaN),
                        t.path("stddev_ts").asDouble(Double.NaN)));
            }
        } catch (IOException e) {
            throw new CliException("cannot read llama-bench's JSON output: " + ErrorReporting.oneLine(e.getMessage()),
                    ExitCodes.RUNTIME, e);
        }
        return out;
    }

    private static String lastLine(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            for (int i = lines.size() - 1; i >= 0; i--) {
                if (!lines.get(i).isBlank()) return lines.get(i).strip();
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return "(no output)";
    }
}

package io.tokenflow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.tokenflow.GenerationOptions;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the CLI in-process (picocli CommandLine with captured stdout/stderr) on the shared test models. Commands
 * that decode use one thread: ggml's spinning worker threads slow down badly when builds share the cores.
 */
class CliTest {
    private static final String PROMPT = "Once upon a time";

    record Run(int code, String out, String err) {
        JsonNode json() throws IOException {
            return Json.MAPPER.readTree(out);
        }

        String[] errLines() {
            return err.isEmpty() ? new String[0] : err.split("\\R");
        }
    }

    static Run runWithStdin(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), new PrintWriter(out),
                new PrintWriter(err));
        return new Run(code, out.toString(), err.toString());
    }

    static Run run(String... args) {
        return runWithStdin("", args);
    }

    static Path stories() {
        Path p = Path.of(System.getProperty("tokenflow.models.dir", "../tests/models"), "stories260K.gguf");
        assertThat(p).as("test model committed under tests/models").isRegularFile();
        return p;
    }

    @Test
    void generateJsonHasTheRequiredFields() throws IOException {
        Run r = run("generate", "-m", stories().toString(), "-t", "1", "-p", PROMPT, "-n", "16", "--temp", "0", "--ignore-eos", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().strip()).doesNotContain("\n"); // exactly one JSON object, one line
        JsonNode j = r.json();
        assertThat(j.isObject()).isTrue();
        assertThat(j.path("text").isTextual()).isTrue();
        assertThat(j.path("text").asText()).isNotEmpty();
        assertThat(j.path("tokens").isArray()).isTrue();
        assertThat(j.path("tokens")).hasSize(16);
        assertThat(j.path("stop_reason").asText()).isEqualTo("max_tokens");
        assertThat(j.path("model").isTextual()).isTrue();
        JsonNode s = j.path("stats");
        for (String f : new String[] {"prompt_tokens", "generated_tokens", "ttft_ms", "pp_tokens_per_s", "tg_tokens_per_s", "total_ms"}) {
            assertThat(s.has(f)).as("stats." + f).isTrue();
        }
        assertThat(s.path("generated_tokens").asInt()).isEqualTo(16);
        assertThat(s.path("prompt_tokens").asInt()).isPositive();
        assertThat(s.path("tg_tokens_per_s").asDouble()).isPositive();
    }

    @Test
    void greedyTextEqualsTheLibrarysText() {
        Path model = stories();
        String expected;
        try (Model m = Model.load(model); Session s = m.newSession(SessionOptions.builder().threads(1).build())) {
            expected = s.generate(PROMPT, GenerationOptions.greedy(40)).text();
        }
        Run r = run("generate", "-m", model.toString(), "-t", "1", PROMPT, "-n", "40", "--temp", "0");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(expected).isNotBlank();
        assertThat(r.out()).isEqualTo(expected + System.lineSeparator());
        assertThat(r.err()).isEmpty(); // no progress bar without a terminal, no logs without --verbose
    }

    @Test
    void verboseNamesTheCpuFeaturesInUse() {
        Run r = run("generate", "-m", stories().toString(), "-t", "1", PROMPT, "-n", "2", "--temp", "0", "--verbose");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).contains("tokenflow: system: ").contains("CPU_VARIANT = ").contains("AVX2 = 1");
    }

    @Test
    void missingModelIsOneLineAndExitCodeOne() {
        Run r = run("generate", "-m", "/nonexistent/dir/missing.gguf", "-p", "hi");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).startsWith("tokenflow: error: ").contains("not found").contains("missing.gguf");
    }

    @Test
    void garbageFileIsOneLineNamingTheFile(@TempDir Path dir) throws IOException {
        byte[] junk = new byte[4096];
        new Random(7).nextBytes(junk);
        Path bad = dir.resolve("garbage.gguf");
        Files.write(bad, junk);
        Run r = run("generate", "-m", bad.toString(), "-p", "hi");
        assertThat(r.code()).isNotZero();
        assertThat(r.errLines()).as(r.err()).hasSize(1);
        assertThat(r.err()).startsWith("tokenflow: error: ").contains("garbage.gguf").doesNotContain("\tat ");
    }

    @Test
    void withoutModelThePackagedDefaultGeneratesReadableText() throws IOException {
        assumeTrue(System.getenv(CommonOptions.DEFAULT_MODEL) == null
                && System.getProperty(CommonOptions.DEFAULT_MODEL) == null, "a default model is configured");
        Run r = run("generate", "-t", "1", "-n", "24", "--temp", "0", "--ignore-eos", "--json", "Once upon a time");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = r.json();
        assertThat(j.path("model").asText()).startsWith("default-");
        assertThat(j.path("tokens")).hasSize(24);
        // Readable: mostly letters and spaces, several words.
        String text = j.path("text").asText();
        assertThat(text.split("\\s+").length).isGreaterThan(8);
        assertThat(text.chars().filter(c -> Character.isLetter(c) || c == ' ').count()).isGreaterThan(text.length() * 8L / 10);
    }

    @Test
    void defaultModelComesFromTheSystemProperty() {
        String model = stories().toString();
        assumeTrue(System.getProperty(CommonOptions.DEFAULT_MODEL) == null, "a default model is configured");
        System.setProperty(CommonOptions.DEFAULT_MODEL, model);
        try {
            Run r = run("generate", "-t", "1", "-p", PROMPT, "-n", "4", "--json");
            assertThat(r.code()).as(r.err()).isZero();
        } finally {
            System.clearProperty(CommonOptions.DEFAULT_MODEL);
        }
    }

    @Test
    void badOptionValuesAreUsageErrors() {
        Run r = run("generate", "-m", "/nonexistent.gguf", "-p", "hi", "--top-p", "2");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).contains("--top-p");

        Run unknown = run("generate", "--no-such-option");
        assertThat(unknown.code()).isEqualTo(2);
        assertThat(unknown.errLines()).hasSize(1);

        Run kv = run("generate", "-m", "x.gguf", "-p", "hi", "--kv-type", "q3");
        assertThat(kv.code()).isEqualTo(2);
        assertThat(kv.err()).contains("--kv-type");
    }

    @Test
    void inspectJsonReportsTheVocabulary() throws IOException {
        Run r = run("inspect", "-m", stories().toString(), "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = r.json();
        assertThat(j.path("vocab_size").asInt()).isEqualTo(512);
        assertThat(j.path("architecture").asText()).isEqualTo("llama");
        assertThat(j.path("layers").asInt()).isEqualTo(5);
        assertThat(j.path("parameters").asLong()).isEqualTo(292_800L);
        assertThat(j.path("chat_template").asBoolean()).isFalse();
        assertThat(j.path("gguf_version").asInt()).isEqualTo(3);
    }

    @Test
    void inspectAllTableAbbreviatesLongArrays() {
        Run r = run("inspect", "-m", stories().toString(), "--all");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("architecture").contains("vocab").contains("512").contains("chat template");
        assertThat(r.out()).contains("tokenizer.ggml.tokens").contains("(512 STRING)");
    }

    @Test
    void benchSpecReportsPlainAndSpeculativeGeneration() throws IOException {
        Run r = run("bench", "-m", stories().toString(), "-t", "1", "-p", "16", "-n", "8", "-r", "1", "--spec", "ngram",
                "--draft-budget", "4", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode spec = Json.MAPPER.readTree(r.out()).path("spec");
        assertThat(spec.path("spec_policy").asText()).isEqualTo("ngram");
        assertThat(spec.path("plain_tokens_per_s").asDouble()).isPositive();
        assertThat(spec.path("spec_tokens_per_s").asDouble()).isPositive();
        assertThat(run("bench", "-m", stories().toString(), "--spec", "bogus").code()).isEqualTo(2);
    }

    @Test
    void generateKvJsonReportsTheCache() throws IOException {
        String prompt = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. "
                + "One day, she saw a big, red ball under a tree. Her friend Tom came and said, can I play too?";
        Run r = run("generate", "-m", stories().toString(), "-t", "1", "-n", "12", "--temp", "0", "--kv", "windowkv:0.5",
                "--json", "-p", prompt);
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode st = r.json().path("stats");
        assertThat(st.path("kv_policy").asText()).isEqualTo("windowkv");
        int promptTokens = st.path("prompt_tokens").asInt();
        long used = st.path("kv_cells_used").asLong();
        long full = st.path("kv_cells_full").asLong();
        assertThat(full).isEqualTo(promptTokens + 11);
        assertThat(used).isLessThanOrEqualTo(promptTokens / 2 + 11).isGreaterThan(0);
        assertThat(st.path("evicted_tokens").asLong()).isEqualTo(full - used);
        assertThat(st.path("kv_bytes_used").asLong()).isLessThan(st.path("kv_bytes_full").asLong());
        // Bad budgets are usage errors with the reason.
        Run bad = run("generate", "-m", stories().toString(), "--kv", "windowkv:1.5", "-p", "Hi");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("1.5");
    }

    @Test
    void benchKvComparesWithTheFullCache() throws IOException {
        Run r = run("bench", "-m", stories().toString(), "-t", "1", "-p", "128", "-n", "8", "-r", "1", "--kv", "snapkv:0.5", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode kv = Json.MAPPER.readTree(r.out()).path("kv");
        assertThat(kv.path("kv_policy").asText()).startsWith("snapkv");
        assertThat(kv.path("full").path("kv_cells_used").asLong()).isEqualTo(135);
        assertThat(kv.path("compressed").path("kv_cells_used").asLong()).isEqualTo(64 + 7);
        assertThat(kv.path("kv_bytes_ratio").asDouble()).isBetween(0.45, 0.6);
        assertThat(kv.path("compressed").path("tg_tokens_per_s").asDouble()).isPositive();
    }

    @Test
    void evalJsonGivesAccuracyWithIntervals() throws IOException {
        Run r = run("eval", "-m", stories().toString(), "-t", "1", "--task", "passkey", "--samples", "3", "--lengths", "64,96", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = r.json();
        assertThat(j.path("task").asText()).isEqualTo("passkey");
        assertThat(j.path("samples").asInt()).isEqualTo(6);
        double acc = j.path("accuracy").asDouble();
        assertThat(acc).isBetween(0.0, 1.0);
        assertThat(j.path("ci95").get(0).asDouble()).isLessThanOrEqualTo(acc);
        assertThat(j.path("ci95").get(1).asDouble()).isGreaterThanOrEqualTo(acc);
        assertThat(j.path("lengths")).hasSize(2);
        assertThat(j.path("lengths").get(1).path("length").asInt()).isEqualTo(96);
        assertThat(run("eval", "-m", stories().toString(), "--task", "bogus").code()).isEqualTo(2);
    }

    @Test
    void benchJsonGivesPositiveSpeeds() throws IOException {
        Run r = run("bench", "-m", stories().toString(), "-t", "1", "-p", "32", "-n", "8", "-r", "1", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        JsonNode j = r.json();
        assertThat(j.path("pp_tokens_per_s").asDouble()).isPositive();
        assertThat(j.path("tg_tokens_per_s").asDouble()).isPositive();
        assertThat(j.path("results")).hasSize(2);
        assertThat(j.path("results").get(0).path("test").asText()).isEqualTo("pp32");
        assertThat(j.path("results").get(1).path("test").asText()).isEqualTo("tg8");
        assertThat(j.path("threads").asInt()).isPositive();
    }

    @Test
    void chatWithoutTemplateSuggestsChatml() {
        Run r = run("chat", "-m", stories().toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).contains("no chat template").contains("--template chatml");
    }

    @Test
    void chatReadsStdinUntilExit() {
        // A newline stop string keeps each reply on one line, so lines of stdout count the replies.
        Run r = runWithStdin("Hello there\n\nHow are you?\n/exit\nnever sent\n", "chat", "-m", stories().toString(),
                "--template", "chatml", "-t", "1", "-n", "8", "--stop", "\n", "--system", "Be brief.");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().chars().filter(c -> c == '\n').count()).as(r.out()).isEqualTo(2);
        assertThat(r.err()).isEmpty();
    }

    @Test
    void chatJsonPrintsOneObjectPerReply() throws Exception {
        Run r = runWithStdin("Hello there\nHow are you?\n", "chat", "-m", stories().toString(), "--template", "chatml",
                "-t", "1", "-n", "6", "--json");
        assertThat(r.code()).isZero();
        String[] lines = r.out().strip().split("\n");
        assertThat(lines).hasSize(2);
        for (String line : lines) {
            JsonNode j = Json.MAPPER.readTree(line);
            assertThat(j.path("text").isTextual()).isTrue();
            assertThat(j.path("stats").path("generated_tokens").asInt()).isBetween(1, 6);
        }
        // The second turn reuses the first turn's cached prefix.
        assertThat(Json.MAPPER.readTree(lines[1]).path("stats").path("prompt_tokens").asInt())
                .isGreaterThan(Json.MAPPER.readTree(lines[0]).path("stats").path("prompt_tokens").asInt());
    }

    @Test
    void chatWithAnUnknownTemplateIsAUsageError() {
        Run r = runWithStdin("hi\n", "chat", "-m", stories().toString(), "--template", "no-such-template");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).contains("no-such-template");
    }

    @Test
    void serveRejectsBadOptionsBeforeListening() {
        Run spec = run("serve", "-m", stories().toString(), "--speculation", "telepathy");
        assertThat(spec.code()).isEqualTo(2);
        assertThat(spec.errLines()).hasSize(1);
        assertThat(spec.err()).contains("--speculation").contains("telepathy");
        Run port = run("serve", "-m", stories().toString(), "--port", "70000");
        assertThat(port.code()).isEqualTo(2);
        assertThat(port.err()).contains("--port");
        Run slots = run("serve", "-m", stories().toString(), "--parallel", "8", "--ctx-size", "4");
        assertThat(slots.code()).isEqualTo(2);
        assertThat(slots.err()).contains("--ctx-size");
    }

    @Test
    void versionAndHelp() {
        Run v = run("--version");
        assertThat(v.code()).isZero();
        assertThat(v.out()).startsWith("tokenflow ");
        Run h = run("help");
        assertThat(h.code()).isZero();
        assertThat(h.out()).contains("generate").contains("chat").contains("serve").contains("inspect").contains("bench");
        Run none = run();
        assertThat(none.code()).isEqualTo(2);
    }
}

package io.tokenflow.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokenflow.ChatMessage;
import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.InvalidModelException;
import io.tokenflow.Model;
import io.tokenflow.ModelLoadException;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import io.tokenflow.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Open/close cycles do not leak, closed objects refuse use, and bad files fail with the documented exceptions. */
class LifecycleTest {
    @TempDir
    Path tmp;

    @Test
    void sessionOpenCloseCyclesLeaveNativeMemoryFlat() {
        try (Model model = Model.load(ItEnv.stories())) {
            SessionOptions so = ItEnv.sessionOptions(256).build();
            GenerationOptions o = GenerationOptions.builder().maxTokens(4).ignoreEos(true).build();
            int[] expected = null;
            long warm = 0;
            long t0 = System.nanoTime();
            for (int i = 1; i <= 200; i++) {
                try (Session s = model.newSession(so)) {
                    GenerationResult r = s.generate("Once upon a time", o);
                    if (expected == null) expected = r.tokens();
                    else assertThat(r.tokens()).as("cycle %d", i).containsExactly(expected);
                }
                // the first full GC itself leaves RSS raised for a while: settle with one at cycle 10, measure after 20
                if (i == 10) System.gc();
                if (i == 20) {
                    System.gc();
                    warm = ItEnv.rssKiB();
                }
            }
            System.gc();
            long end = ItEnv.rssKiB();
            long growth = end - warm;
            String msg = String.format("VmRSS after 20 cycles %d KiB, after 200 cycles %d KiB: growth %d KiB (%.1f ms per cycle)",
                    warm, end, growth, (System.nanoTime() - t0) / 1e6 / 200);
            System.out.println("[LifecycleTest] " + msg);
            assertThat(growth).as(msg).isLessThan(20 * 1024);
        }
    }

    @Test
    void modelCloseClosesItsSessionsAndEverythingRefusesUseAfterClose() {
        Model model = Model.load(ItEnv.stories());
        Tokenizer tok = model.tokenizer();
        Session a = model.newSession(ItEnv.sessionOptions(128).build());
        Session b = model.newSession(ItEnv.sessionOptions(128).build());
        a.generate("Once upon a time", GenerationOptions.greedy(2));
        b.close();
        b.close(); // double close of a session is harmless

        model.close();
        assertThat(model.isClosed()).isTrue();
        assertThat(a.isClosed()).as("open session closed by Model.close").isTrue();
        model.close(); // double close of a model is harmless
        a.close(); // closing a session after its model is harmless

        assertThatThrownBy(model::tokenizer).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(model::newSession).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> model.applyChatTemplate(List.of(ChatMessage.user("hi")), true, "chatml"))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> a.generate("Once", GenerationOptions.greedy(2))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(() -> a.scoring().evaluate(new int[] {1})).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(a::reset).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> tok.encode("Once")).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> tok.decode(new int[] {1})).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> tok.piece(1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> tok.isEndOfGeneration(2)).isInstanceOf(IllegalStateException.class);
        a.cancel(); // cancel after close is a no-op
        // what is plain Java data stays readable
        assertThat(model.info().vocabularySize()).isEqualTo(512);
        assertThat(model.toString()).contains("closed");
    }

    @Test
    void closedSessionRefusesUseButItsModelStaysUsable() {
        try (Model model = Model.load(ItEnv.stories())) {
            Session s = model.newSession(ItEnv.sessionOptions(128).build());
            s.close();
            assertThatThrownBy(() -> s.generate("Once", GenerationOptions.greedy(2))).isInstanceOf(IllegalStateException.class);
            try (Session t = model.newSession(ItEnv.sessionOptions(128).build())) {
                assertThat(t.generate("Once upon a time", GenerationOptions.greedy(3)).tokens()).hasSize(3);
            }
        }
    }

    @Test
    void missingFileIsAModelLoadException() {
        Path missing = tmp.resolve("does-not-exist.gguf");
        assertThatThrownBy(() -> Model.load(missing)).isExactlyInstanceOf(ModelLoadException.class)
                .hasMessageContaining("does-not-exist.gguf");
        assertThatThrownBy(() -> Model.load(tmp)).isInstanceOf(ModelLoadException.class); // a directory
    }

    @Test
    void truncatedCopiesAreInvalidModels() throws IOException {
        byte[] full = Files.readAllBytes(ItEnv.stories());
        for (int len : new int[] {0, 3, 24, 100, 4096, full.length / 2, full.length - 1}) {
            Path p = tmp.resolve("truncated-" + len + ".gguf");
            Files.write(p, Arrays.copyOf(full, len));
            assertThatThrownBy(() -> Model.load(p)).as("first %d of %d bytes", len, full.length)
                    .isInstanceOf(InvalidModelException.class);
        }
    }

    @Test
    void randomBytesAreAnInvalidModel() throws IOException {
        byte[] junk = new byte[64 * 1024];
        new Random(5).nextBytes(junk);
        Path p = tmp.resolve("random.gguf");
        Files.write(p, junk);
        assertThatThrownBy(() -> Model.load(p)).isInstanceOf(InvalidModelException.class).hasMessageContaining("magic");
        // the right magic followed by junk
        junk[0] = 'G'; junk[1] = 'G'; junk[2] = 'U'; junk[3] = 'F'; junk[4] = 3; junk[5] = 0; junk[6] = 0; junk[7] = 0;
        Files.write(p, junk);
        assertThatThrownBy(() -> Model.load(p)).isInstanceOf(InvalidModelException.class);
    }

    /**
     * 200 copies of stories260K with random bytes of the first 2 KiB (the GGUF header: counts, hyperparameters,
     * the start of the vocabulary) changed either load, or fail with ModelLoadException/InvalidModelException; a
     * model that loads is also tokenized with and generates from. Runs in a child JVM so that a native abort is
     * reported here (with the mutation that caused it) instead of killing the test run.
     */
    @Test
    void mutatedHeadersNeverCrashTheJvm() {
        Path stories = ItEnv.stories();
        int count = 200;
        Map<String, Integer> outcomes = new TreeMap<>();
        List<String> crashes = new ArrayList<>();
        List<String> others = new ArrayList<>();
        Pattern line = Pattern.compile("^(\\d+)((?: @\\d+:[0-9a-f]{2}->[0-9a-f]{2})+) ?(.*)$");
        int next = 0;
        // a crash ends the child: note the mutation it was loading and go on after it (at most 10 times)
        while (next < count && crashes.size() < 10) {
            ChildJvm.Result r = ChildJvm.run(Duration.ofSeconds(150), "mutations", stories.toString(), "20240611",
                    Integer.toString(count), "2048", tmp.toString(), Integer.toString(next));
            int last = next - 1;
            String lastMutation = "";
            String lastOutcome = "";
            for (String l : r.stdout().split("\n")) {
                Matcher m = line.matcher(l);
                if (!m.matches()) continue;
                last = Integer.parseInt(m.group(1));
                lastMutation = m.group(2).strip();
                lastOutcome = m.group(3);
                String kind = lastOutcome.split(" ", 2)[0];
                if (!List.of("LOADED", "INVALID", "LOAD_FAILED", "OTHER").contains(kind)) continue; // died loading it
                outcomes.merge(kind, 1, Integer::sum);
                if (kind.equals("OTHER")) others.add(l);
            }
            if (r.exitCode() == 0 && last == count - 1) break;
            String abort = r.stderr().lines()
                    .filter(s -> s.contains("GGML_ASSERT") || s.contains("fatal error") || s.contains("terminate called")
                            || s.contains("SIGSEGV") || s.contains("SIGFPE") || s.contains("SIGBUS"))
                    .findFirst().orElse(ChildJvm.tail(r.stderr(), 300));
            crashes.add("mutation " + last + " [" + lastMutation + "]: exit " + r.exitCode() + (r.timedOut() ? " (timeout)" : "")
                    + ": " + abort);
            outcomes.merge("CRASH", 1, Integer::sum);
            next = last + 1;
        }
        System.out.println("[LifecycleTest] mutated header outcomes: " + outcomes);
        crashes.forEach(c -> System.out.println("[LifecycleTest] crash: " + c));
        assertThat(crashes).as("mutated copies that killed the JVM (native abort) instead of failing with an exception")
                .isEmpty();
        assertThat(others).as("outcomes other than loading or ModelLoadException/InvalidModelException").isEmpty();
        assertThat(outcomes.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(count);
    }

    /**
     * A tokenizer-only load (no weights) must not ask llama.cpp for per-layer hyperparameters it did not load
     * (llama_model_n_head aborts when n_layer is 0). Child JVM, so an abort fails this test only.
     */
    @Test
    void vocabOnlyLoadWorksAndRefusesSessions() {
        Path stories = ItEnv.stories();
        ChildJvm.Result r = ChildJvm.run(Duration.ofSeconds(60), "vocab-only", stories.toString());
        assertThat(r.exitCode()).as("child JVM loading with vocabOnly(true):%n%s", r.describe()).isZero();
        assertThat(r.stdout()).contains("OK tokens=").contains("vocab=512").contains("SESSION REFUSED");
    }
}

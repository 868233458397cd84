package io.tokenflow.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GGUF fuzz suite: every copy in {@link GgufMutations}' catalogue of the test models (each metadata key and
 * tensor-info field set to extreme values, truncations, seeded random bytes) must load and generate, or fail with
 * a typed exception. A child JVM tries them; when one ends the child (a native abort), the mutation is recorded and
 * the next child goes on after it, so one run reports every crash. The catalogue is fixed by the model bytes and the
 * seed; {@code fuzz-regressions.txt} names the copies that ever ended the JVM, and they must stay in it.
 */
class GgufFuzzTest {
    static final long SEED = 20261203L;

    @TempDir
    Path tmp;

    @Test
    void storiesCatalogueNeverCrashesTheJvm() throws IOException {
        run("stories260K", ItEnv.stories(), 300);
    }

    @Test
    void tinyRandomLlamaCatalogueNeverCrashesTheJvm() throws IOException {
        run("llama-2-tiny-random", ItEnv.tinyRandom(), 50);
    }

    @Test
    void everyEverCrashingCopyIsStillInTheCatalogue() throws IOException {
        Set<String> names = GgufMutations.of(Files.readAllBytes(ItEnv.stories()), SEED, 300).stream()
                .map(GgufMutations.Mutation::name).collect(Collectors.toSet());
        assertThat(regressions()).isNotEmpty();
        assertThat(names).containsAll(regressions());
    }

    private void run(String label, Path model, int randomCount) throws IOException {
        int count = GgufMutations.of(Files.readAllBytes(model), SEED, randomCount).size();
        Map<String, Integer> outcomes = new TreeMap<>();
        List<String> crashes = new ArrayList<>();
        List<String> others = new ArrayList<>();
        int next = 0;
        long t0 = System.nanoTime();
        while (next < count && crashes.size() < 25) {
            ChildJvm.Result r = ChildJvm.run(Duration.ofSeconds(240), "fuzz", model.toString(), Long.toString(SEED),
                    Integer.toString(randomCount), tmp.toString(), Integer.toString(next));
            int last = next - 1;
            String lastName = "";
            for (String l : r.stdout().split("\n")) {
                String[] f = l.split("\t", 3);
                if (f.length < 2 || !f[0].matches("\\d+")) continue;
                last = Integer.parseInt(f[0]);
                lastName = f[1];
                String outcome = f.length == 3 ? f[2] : "";
                String kind = outcome.split(" ", 2)[0];
                if (kind.isEmpty()) continue; // it died on this one
                outcomes.merge(kind, 1, Integer::sum);
                if (kind.equals("OTHER")) others.add(l);
            }
            if (r.exitCode() == 0 && last == count - 1) break;
            String why = r.stderr().lines().filter(s -> s.contains("tokenflow: fatal") || s.contains("GGML_ASSERT")
                    || s.contains("SIGSEGV") || s.contains("SIGFPE") || s.contains("SIGBUS") || s.contains("terminate"))
                    .findFirst().orElse(ChildJvm.tail(r.stderr(), 300));
            crashes.add(last + " [" + lastName + "]: exit " + r.exitCode() + (r.timedOut() ? " (timeout)" : "") + ": " + why);
            outcomes.merge("CRASH", 1, Integer::sum);
            next = last + 1;
        }
        System.out.printf("[GgufFuzzTest] %s: %d copies in %.0f s: %s%n", label, count, (System.nanoTime() - t0) / 1e9, outcomes);
        crashes.forEach(c -> System.out.println("[GgufFuzzTest] crash: " + c));
        assertThat(crashes).as("copies of " + label + " that ended the JVM instead of failing with a typed exception").isEmpty();
        assertThat(others).as("outcomes other than loading or a typed exception").isEmpty();
        assertThat(outcomes.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(count);
    }

    static List<String> regressions() throws IOException {
        try (InputStream in = GgufFuzzTest.class.getResourceAsStream("fuzz-regressions.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().map(String::strip)
                    .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        }
    }
}

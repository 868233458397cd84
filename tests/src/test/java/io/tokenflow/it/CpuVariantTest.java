package io.tokenflow.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenflow.Tokenflow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * ggml's CPU backend ships as variants (scripts/build-llama.sh): the natives pick the best one this CPU runs, each
 * variant this CPU supports generates, and a variant that cannot be loaded is a clear error, not a crash. The
 * expected choice is worked out here from /proc/cpuinfo, independently of ggml's own feature detection.
 */
class CpuVariantTest {
    /** The shipped variants, best last, with the CPU flags (as /proc/cpuinfo names them) each needs. */
    static final Map<String, List<String>> VARIANTS = new LinkedHashMap<>();
    static {
        VARIANTS.put("x64", List.of());
        VARIANTS.put("haswell", List.of("avx", "avx2", "fma", "f16c", "bmi2"));
        VARIANTS.put("skylakex", List.of("avx", "avx2", "fma", "f16c", "bmi2", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"));
        VARIANTS.put("zen4", List.of("avx", "avx2", "fma", "f16c", "bmi2", "avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl",
                "avx512vbmi", "avx512_vnni", "avx512_bf16"));
    }

    static Set<String> cpuFlags() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
            if (line.startsWith("flags")) return new HashSet<>(Arrays.asList(line.substring(line.indexOf(':') + 1).trim().split("\\s+")));
        }
        return Set.of();
    }

    static List<String> supported() throws IOException {
        Set<String> flags = cpuFlags();
        List<String> out = new ArrayList<>();
        VARIANTS.forEach((name, needs) -> { if (flags.containsAll(needs)) out.add(name); });
        return out;
    }

    @Test
    void theBestVariantThisCpuSupportsIsLoaded() throws IOException {
        List<String> ok = supported();
        System.out.println("[CpuVariantTest] this CPU runs " + ok + "; loaded: " + Tokenflow.cpuVariant());
        assertThat(Tokenflow.cpuVariant()).isEqualTo(ok.get(ok.size() - 1));
        assertThat(Tokenflow.systemInfo()).startsWith("CPU_VARIANT = " + Tokenflow.cpuVariant() + " |");
    }

    /** TOKENFLOW_CPU_VARIANT forces each variant in turn (x64: no SIMD at all): all generate the same greedy text. */
    @Test
    void everyVariantThisCpuRunsGeneratesTheSameText() throws IOException {
        Map<String, String> texts = new LinkedHashMap<>();
        for (String v : supported()) {
            ChildJvm.Result r = ChildJvm.run(Duration.ofMinutes(3), Map.of("TOKENFLOW_CPU_VARIANT", v), "cpu-variant",
                    ItEnv.stories().toString());
            assertThat(r.exitCode()).as("%s: %s", v, ChildJvm.tail(r.stderr(), 2000)).isZero();
            assertThat(r.stdout()).contains("VARIANT=" + v + "\n");
            String text = r.stdout().lines().filter(l -> l.startsWith("TEXT=")).findFirst().orElseThrow(
                    () -> new AssertionError(v + " generated nothing: " + r.stdout()));
            texts.put(v, text);
        }
        System.out.println("[CpuVariantTest] " + texts);
        assertThat(texts).hasSize(supported().size());
        assertThat(new HashSet<>(texts.values())).as("greedy text per variant %s", texts).hasSize(1);
        assertThat(texts.values().iterator().next().length()).isGreaterThan("TEXT=".length());
    }

    @Test
    void aVariantThatCannotBeLoadedIsAClearError() {
        ChildJvm.Result r = ChildJvm.run(Duration.ofMinutes(2), Map.of("TOKENFLOW_CPU_VARIANT", "pentium"), "cpu-variant",
                ItEnv.stories().toString());
        assertThat(r.exitCode()).as(ChildJvm.tail(r.stderr(), 2000)).isZero();
        assertThat(r.stdout()).contains("VARIANT=\n").contains("REFUSED: ").contains("TOKENFLOW_CPU_VARIANT=pentium")
                .contains("no libggml-cpu-pentium.so");
    }
}

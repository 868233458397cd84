package io.tokenflow.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.tokenflow.GenerationOptions;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.Device;
import io.tokenflow.Tokenflow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The native libraries in use are the ones JavaCPP extracted from the platform jar into its cache dir, never the
 * llama.cpp build folder or java-api/target/native-libs (which would mean an accidental LD_LIBRARY_PATH or
 * rpath dependency on the build machine).
 */
class NativeLoadingTest {
    private static final Pattern OURS = Pattern.compile("lib(llama|ggml[\\w-]*|tokenflow|tfkernels|jniTokenflowNative)\\.so(\\.\\d+)*$");

    @Test
    void mappedNativeLibrariesComeFromTheJavacppCache() throws IOException {
        String cacheProp = System.getProperty("org.bytedeco.javacpp.cachedir");
        assumeTrue(cacheProp != null, "org.bytedeco.javacpp.cachedir is not set (the parent pom's surefire argLine sets it)");
        Path cache = Path.of(cacheProp).toRealPath();
        try (Model model = Model.load(ItEnv.stories()); Session s = model.newSession(ItEnv.sessionOptions(64).build())) {
            s.generate("Once upon a time", GenerationOptions.greedy(2)); // every backend library is in use now
            Set<String> mapped = new TreeSet<>();
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                int slash = line.indexOf('/');
                if (slash < 0) continue;
                String path = line.substring(slash).replace(" (deleted)", "");
                if (OURS.matcher(Path.of(path).getFileName().toString()).find()) mapped.add(path);
            }
            System.out.println("[NativeLoadingTest] mapped: " + mapped);
            assertThat(mapped).as("mapped llama/ggml/tokenflow libraries").isNotEmpty();
            assertThat(mapped.stream().map(p -> Path.of(p).getFileName().toString().replaceAll("\\.so.*", "")))
                    .contains("libllama", "libggml", "libggml-base", "libggml-cpu-" + Tokenflow.cpuVariant(), "libtokenflow",
                            "libjniTokenflowNative");

            List<String> forbidden = new java.util.ArrayList<>();
            forbidden.add(Path.of(System.getProperty("tokenflow.repo", ".."), "java-api", "target", "native-libs")
                    .toAbsolutePath().normalize().toString());
            llamaBinDir().ifPresent(forbidden::add);
            for (String p : mapped) {
                assertThat(p).as("mapped from the JavaCPP cache %s", cache).startsWith(cache.toString() + "/");
                for (String f : forbidden) assertThat(p).doesNotStartWith(f);
                assertThat(p).doesNotContain("/native-libs/").doesNotContain("/native-build/");
            }
        }
    }

    @Test
    void devicesListACpu() {
        List<Device> devices = Tokenflow.devices();
        System.out.println("[NativeLoadingTest] devices: " + devices);
        assertThat(devices).isNotEmpty();
        assertThat(devices).anySatisfy(d -> {
            assertThat(d.name()).startsWithIgnoringCase("CPU");
            assertThat(d.type()).isEqualTo(Device.Type.CPU);
            assertThat(d.offloadable()).isFalse();
            assertThat(d.description()).isNotBlank();
            assertThat(d.memoryTotal()).isGreaterThan(1L << 28);  // system memory, at least 256 MiB
            assertThat(d.memoryFree()).isBetween(1L, d.memoryTotal());
        });
    }

    @Test
    void systemInfoNamesTheCpuFeaturesOfTheBuild() {
        String info = Tokenflow.systemInfo();
        System.out.println("[NativeLoadingTest] system: " + info);
        // the variant in use, then its features: these build machines have AVX2 + FMA at least
        assertThat(info).startsWith("CPU_VARIANT = " + Tokenflow.cpuVariant() + " |").contains("AVX2 = 1").contains("FMA = 1");
    }

    static Optional<String> llamaBinDir() {
        return ItEnv.nativeBuild().map((Properties p) -> p.getProperty("llama.bin.dir")).map(d -> {
            try {
                return Path.of(d).toRealPath().toString();
            } catch (IOException e) {
                return d;
            }
        });
    }
}

package io.tokenflow;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Pins the runtime's public surface: the public types outside {@code io.tokenflow.internal} must be exactly those in
 * {@code public-api.txt}. Engines' helpers stay package-private; a new public type is a decision, made in that file.
 */
class PublicApiTest {
    @Test
    void publicTypesAreExactlyTheListedOnes() throws Exception {
        assertThat(publicTypes()).as("public types outside io.tokenflow.internal (update public-api.txt deliberately)")
                .containsExactlyElementsOf(listed());
    }

    @Test
    void theApiStaysSmall() throws Exception {
        long topLevel = publicTypes().stream().filter(n -> !n.contains("$")).count();
        // 45 until the serving foundation (Embedder, io.tokenflow.batch: 8 types) was added for the server; 54 with Device
        assertThat(topLevel).as("top-level public types").isLessThanOrEqualTo(54);
    }

    @Test
    void noPublicSignatureExposesJavaCpp() throws Exception {
        for (String name : publicTypes()) {
            Class<?> c = Class.forName(name, false, getClass().getClassLoader());
            for (var m : c.getMethods()) {
                if (!Modifier.isPublic(m.getModifiers()) || m.getDeclaringClass() != c) continue;
                List<Class<?>> types = new ArrayList<>(List.of(m.getParameterTypes()));
                types.add(m.getReturnType());
                for (Class<?> t : types) {
                    assertThat(t.getName()).as(name + "." + m.getName()).doesNotStartWith("org.bytedeco");
                }
            }
        }
    }

    private static List<String> listed() throws IOException {
        try (InputStream in = PublicApiTest.class.getResourceAsStream("public-api.txt")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).sorted().toList();
        }
    }

    /** Public types (nested ones whose enclosing types are public too) in the runtime's compiled classes. */
    private static List<String> publicTypes() throws IOException, URISyntaxException, ClassNotFoundException {
        Path root = Path.of(Session.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                String rel = root.relativize(p).toString().replace('\\', '/');
                if (!rel.endsWith(".class") || rel.startsWith("io/tokenflow/internal/") || rel.endsWith("package-info.class")) {
                    continue;
                }
                Class<?> c = Class.forName(rel.substring(0, rel.length() - 6).replace('/', '.'), false,
                        PublicApiTest.class.getClassLoader());
                if (c.isAnonymousClass() || c.isLocalClass() || c.isSynthetic()) continue;
                boolean pub = Modifier.isPublic(c.getModifiers());
                for (Class<?> e = c.getEnclosingClass(); e != null && pub; e = e.getEnclosingClass()) {
                    pub = Modifier.isPublic(e.getModifiers());
                }
                if (pub) out.add(c.getName());
            }
        }
        out.sort(null);
        return out;
    }
}

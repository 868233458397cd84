package io.tokenflow;

import java.nio.file.Files;
import java.nio.file.Path;

/** The test models committed under {@code tests/models} ({@code tokenflow.models.dir}); a missing one fails the test. */
final class TestModels {
    private TestModels() {}

    static Path dir() {
        return Path.of(System.getProperty("tokenflow.models.dir", "../tests/models"));
    }

    static Path require(String name) {
        Path p = dir().resolve(name);
        if (!Files.isRegularFile(p)) throw new AssertionError("test model " + p.toAbsolutePath().normalize()
                + " is missing (it is committed under tests/models)");
        return p;
    }

    static Path stories() { return require("stories260K.gguf"); }
}

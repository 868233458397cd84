package io.tokenflow;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the shared test models; tests that need one skip with a reason when it is absent. */
final class TestModels {
    private TestModels() {}

    static Path dir() {
        return Path.of(System.getProperty("tokenflow.models.dir", "../../shared/models"));
    }

    static Path require(String name) {
        Path p = dir().resolve(name);
        assumeTrue(Files.isRegularFile(p), "test model " + p + " is absent (shared/models not laid out here)");
        return p;
    }

    static Path stories() { return require("stories260K.gguf"); }
}

package io.tokenflow.gguf;

import java.nio.file.Files;
import java.nio.file.Path;

/** The model fixtures committed under {@code tests/models} ({@code tokenflow.models.dir}). */
final class Fixtures {
    private Fixtures() {}

    /** The fixture file; a missing one fails the test (it is part of the clone). */
    static Path model(String fileName) {
        Path path = Path.of(System.getProperty("tokenflow.models.dir", "../tests/models")).resolve(fileName);
        if (!Files.isRegularFile(path)) throw new AssertionError("fixture " + path.toAbsolutePath().normalize()
                + " is missing (it is committed under tests/models)");
        return path;
    }
}

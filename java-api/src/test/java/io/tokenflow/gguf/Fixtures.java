package io.tokenflow.gguf;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** The shared model fixtures: {@code tokenflow.models.dir}, else {@code ../../shared/models} from the module. */
final class Fixtures {
    private Fixtures() {}

    /** The fixture file, or the test is skipped (not failed) when it is absent. */
    static Path model(String fileName) {
        String dir = System.getProperty("tokenflow.models.dir");
        Path path = (dir != null ? Path.of(dir) : Path.of("..", "..", "shared", "models")).resolve(fileName);
        assumeTrue(Files.isRegularFile(path), "fixture " + path.toAbsolutePath().normalize()
                + " is absent (set -Dtokenflow.models.dir to the directory holding it)");
        return path;
    }
}

package io.tokenflow.internal;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Publishing a finished file: written next to its target under another name, then moved over it, so readers (other
 * processes sharing a cache, a crash half-way) never see a partial file.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** Moves {@code from} over {@code to}, atomically where the file system can (otherwise a plain replacing move). */
    public static void replace(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}

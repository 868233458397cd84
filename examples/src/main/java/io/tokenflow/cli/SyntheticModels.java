package io.tokenflow.cli;

import io.tokenflow.internal.AtomicFiles;
import io.tokenflow.gguf.SyntheticLlama;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code -m synthetic:NAME}: a seeded random-weight llama model written once into the cache
 * ({@code $TOKENFLOW_CACHE/models} or {@code ~/.cache/tokenflow/models}). For speed and memory work and for a
 * first command that needs no download; never for quality figures.
 */
final class SyntheticModels {
    static final String PREFIX = "synthetic:";

    private static final Map<String, Supplier<SyntheticLlama>> PRESETS = Map.of(
            "tiny", SyntheticLlama::tiny,
            "1b", SyntheticLlama::llama1B);

    private SyntheticModels() {}

    static boolean isSynthetic(String ref) {
        return ref.startsWith(PREFIX);
    }

    /** Writes the model if the cache lacks it; returns its path. Progress goes to {@code status}. */
    static Path resolve(String ref, StatusLine status) {
        String name = ref.substring(PREFIX.length()).toLowerCase(Locale.ROOT);
        Supplier<SyntheticLlama> preset = PRESETS.get(name);
        if (preset == null) {
            throw CliException.usage("unknown synthetic model '" + name + "'; choose one of " + PRESETS.keySet());
        }
        Path file = io.tokenflow.Tokenflow.cacheDir().resolve("models").resolve("synthetic-" + name + ".gguf");
        SyntheticLlama spec = preset.get();
        try {
            if (Files.isRegularFile(file) && Files.size(file) == spec.fileSizeBytes()) return file;
            Files.createDirectories(file.getParent());
            Path part = file.resolveSibling(file.getFileName() + ".part");
            String label = "writing " + file.getFileName();
            spec.write(part, f -> status.progress(label, (float) f));
            status.done();
            AtomicFiles.replace(part, file);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write synthetic model " + file + ": " + e.getMessage(), e);
        }
    }
}

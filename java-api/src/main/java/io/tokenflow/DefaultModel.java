package io.tokenflow;

import io.tokenflow.internal.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Properties;

/**
 * The small default model, found on the class path ({@code io/tokenflow/models/default.gguf}, described by
 * {@code default.properties}: name, sha256, size, source, license). It ships as its own artifact,
 * {@code io.tokenflow:tokenflow-model-stories}, so apps that load their own models do not carry it. llama.cpp loads models from files, so the first
 * use copies it to {@code $TOKENFLOW_CACHE/models/default-<sha256 prefix>.gguf} (default cache
 * {@code ~/.cache/tokenflow}), checking its sha256; later uses find the file there.
 */
public final class DefaultModel {
    private static final String RESOURCE_DIR = "/io/tokenflow/models/";

    private DefaultModel() {}

    /** What {@code default.properties} says about the packaged model. */
    public static Properties describe() {
        try (InputStream in = DefaultModel.class.getResourceAsStream(RESOURCE_DIR + "default.properties")) {
            if (in == null) {
                throw new ModelLoadException("no default model on the class path: add the dependency "
                        + "io.tokenflow:tokenflow-model-stories (same version as tokenflow), or load a GGUF file with Model.load(path)");
            }
            Properties p = new Properties();
            p.load(in);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The packaged model as a file (copied out of the jar on first use, verified by sha256). */
    public static synchronized Path path() {
        Properties p = describe();
        String sha = p.getProperty("sha256");
        long size = Long.parseLong(p.getProperty("size"));
        Path target = Tokenflow.cacheDir().resolve("models").resolve("default-" + sha.substring(0, 12) + ".gguf");
        try {
            if (Files.isRegularFile(target) && Files.size(target) == size) return target;
            Files.createDirectories(target.getParent());
            Path part = Files.createTempFile(target.getParent(), "default-", ".part");
            try {
                MessageDigest digest = MessageDigest.getInstance("SHA-256");
                try (InputStream raw = DefaultModel.class.getResourceAsStream(RESOURCE_DIR + p.getProperty("file"))) {
                    if (raw == null) throw new ModelLoadException("the default model file is missing from the tokenflow-model-stories jar");
                    try (InputStream in = new DigestInputStream(raw, digest)) {
                        Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
                String got = HexFormat.of().formatHex(digest.digest());
                if (!got.equals(sha)) {
                    throw new ModelLoadException("the default model on the class path is damaged: sha256 " + got + ", expected " + sha);
                }
                AtomicFiles.replace(part, target);
            } finally {
                Files.deleteIfExists(part);
            }
            return target;
        } catch (IOException e) {
            throw new ModelLoadException("cannot copy the default model to " + target + ": " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

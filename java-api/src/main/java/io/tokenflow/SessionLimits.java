package io.tokenflow;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a session's options must respect beyond their own ranges, once the model and the context size are known:
 * checked in Java so that llama.cpp never sees (and asserts on, or fails slowly with) values the machine or the
 * model cannot take.
 */
final class SessionLimits {
    private SessionLimits() {}

    /** A context of {@code ctx} tokens with these options: the KV cache fits in memory, sequences fit the context. */
    static void check(ModelInfo info, long ctx, SessionOptions o) {
        if (o.sequences() > ctx) {
            throw new IllegalArgumentException("sequences (" + o.sequences() + ") must not exceed the context size (" + ctx + ")");
        }
        long kvPerToken = (long) Math.ceil(2.0 * info.layerCount() * (double) info.embeddingLength() * info.kvHeadCount()
                / Math.max(1, info.headCount()) * o.kvCacheType().bytesPerElement());
        long need = kvPerToken * ctx;
        long available = availableMemory();
        if (available > 0 && need > available) {
            throw new TokenflowException(String.format(
                    "context size %d needs %d MiB of KV cache but only %d MiB of memory is available; use a smaller contextSize",
                    ctx, need >> 20, available >> 20));
        }
    }

    /** A generation's options in a context of {@code contextSize} tokens. */
    static void checkGeneration(GenerationOptions o, int contextSize) {
        if (o.repeatLastN() > contextSize) {
            throw new IllegalArgumentException("repeatLastN (" + o.repeatLastN() + ") is longer than the context ("
                    + contextSize + "); -1 means the whole context");
        }
    }

    private static long availableMemory() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024L;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or unreadable: no check
        }
        return -1;
    }
}

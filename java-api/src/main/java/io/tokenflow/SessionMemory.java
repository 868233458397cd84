package io.tokenflow;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Refuses a context whose KV cache alone would not fit in available memory, instead of failing natively. */
final class SessionMemory {
    private SessionMemory() {}

    static void check(ModelInfo info, long ctx, SessionOptions o) {
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

package io.tokenflow.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Server-sent events on a response stream, flushed per event (or per run of events already waiting: {@link #append}).
 * A failed write means the client is gone: the writer
 * turns {@link #broken()} and ignores later writes, so the caller cancels the generation instead of handling I/O errors
 * everywhere.
 */
final class SseWriter {
    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);

    private final OutputStream out;
    private boolean broken;
    private long lastWriteNanos = System.nanoTime();

    SseWriter(OutputStream out) {
        this.out = out;
    }

    /** {@code data: JSON} + blank line. Returns false when the client is gone. */
    boolean data(JsonNode json) {
        return write(DATA, Json.bytes(json), END);
    }

    /**
     * {@code data: JSON} + blank line, left in the response buffer until {@link #flush()}: tokens that are already
     * waiting (a busy server, a slow client) go out in one write instead of one write and flush each.
     */
    boolean append(JsonNode json) {
        if (broken) return false;
        try {
            out.write(DATA);
            out.write(Json.bytes(json));
            out.write(END);
            return true;
        } catch (IOException | RuntimeException e) {
            broken = true;
            return false;
        }
    }

    /** Sends what {@link #append} left in the buffer. Returns false when the client is gone. */
    boolean flush() {
        if (broken) return false;
        try {
            out.flush();
            lastWriteNanos = System.nanoTime();
            return true;
        } catch (IOException | RuntimeException e) {
            broken = true;
            return false;
        }
    }

    /** {@code data: [DONE]}. */
    boolean done() {
        return write(DATA, "[DONE]".getBytes(StandardCharsets.US_ASCII), END);
    }

    /**
     * A comment line, which SSE clients ignore: written while a request waits in a queue or in a long prefill, because
     * only a write tells that the client has gone away.
     */
    boolean comment(String text) {
        return write((": " + text).getBytes(StandardCharsets.UTF_8), new byte[0], END);
    }

    long millisSinceLastWrite() { return (System.nanoTime() - lastWriteNanos) / 1_000_000; }

    boolean broken() { return broken; }

    private boolean write(byte[] a, byte[] b, byte[] c) {
        if (broken) return false;
        try {
            out.write(a);
            out.write(b);
            out.write(c);
            out.flush();
            lastWriteNanos = System.nanoTime();
            return true;
        } catch (IOException | RuntimeException e) { // Jetty reports a reset peer as EofException or an IllegalStateException
            broken = true;
            return false;
        }
    }
}

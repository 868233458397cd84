package io.tokenflow.gguf;

import io.tokenflow.InvalidModelException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.function.Function;

/**
 * Little-endian reads from the start of a file through one fixed 64 KiB buffer, so that parsing a header never
 * maps or loads the (possibly many-GB) file. Running out of bytes throws the {@link InvalidModelException} built
 * by {@code truncated} from a description of what was being read.
 */
final class HeaderInput {
    private static final int BUFFER_SIZE = 1 << 16;

    private final FileChannel channel;
    private final long size;
    private final Function<String, InvalidModelException> truncated;
    private final ByteBuffer buf = ByteBuffer.allocate(BUFFER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    /** File position of the next byte to load into {@link #buf}. */
    private long loaded;

    HeaderInput(FileChannel channel, long size, Function<String, InvalidModelException> truncated) {
        this.channel = channel;
        this.size = size;
        this.truncated = truncated;
        buf.limit(0);
    }

    /** File position of the next byte to be read. */
    long position() { return loaded - buf.remaining(); }

    /** Bytes between the read position and the end of the file. */
    long remaining() { return size - position(); }

    int u8(String what) throws IOException {
        require(1, what);
        return buf.get() & 0xFF;
    }

    int i8(String what) throws IOException {
        require(1, what);
        return buf.get();
    }

    int u16(String what) throws IOException {
        require(2, what);
        return buf.getShort() & 0xFFFF;
    }

    int i16(String what) throws IOException {
        require(2, what);
        return buf.getShort();
    }

    long u32(String what) throws IOException {
        require(4, what);
        return buf.getInt() & 0xFFFF_FFFFL;
    }

    int i32(String what) throws IOException {
        require(4, what);
        return buf.getInt();
    }

    /** A uint64 or int64: the raw 64 bits. */
    long i64(String what) throws IOException {
        require(8, what);
        return buf.getLong();
    }

    float f32(String what) throws IOException {
        require(4, what);
        return buf.getFloat();
    }

    double f64(String what) throws IOException {
        require(8, what);
        return buf.getDouble();
    }

    /**
     * The next {@code n} bytes as a buffer that is only valid until the next read. The caller must already have
     * bounded {@code n} by {@link #remaining()}, so the allocation below is backed by bytes that exist.
     */
    ByteBuffer take(int n, String what) throws IOException {
        if (n <= BUFFER_SIZE) {
            require(n, what);
            ByteBuffer view = buf.slice().limit(n);
            buf.position(buf.position() + n);
            return view;
        }
        if (n > remaining()) {
            throw truncated.apply(what);
        }
        ByteBuffer out = ByteBuffer.allocate(n);
        out.put(buf);
        while (out.hasRemaining()) {
            int r = channel.read(out, loaded);
            if (r < 0) {
                throw truncated.apply(what);
            }
            loaded += r;
        }
        return out.flip();
    }

    private void require(int n, String what) throws IOException {
        if (buf.remaining() >= n) {
            return;
        }
        if (n > remaining()) {
            throw truncated.apply(what);
        }
        buf.compact();
        while (buf.position() < n) {
            int r = channel.read(buf, loaded);
            if (r < 0) { // the file shrank while we read it
                buf.flip();
                throw truncated.apply(what);
            }
            loaded += r;
        }
        buf.flip();
    }
}

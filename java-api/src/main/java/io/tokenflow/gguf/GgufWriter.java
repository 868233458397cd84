package io.tokenflow.gguf;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Streams a GGUF (version 3) file: first declare metadata and tensors, then write each tensor's bytes in
 * declaration order with any number of {@link #writeTensorData} calls. Only the header is held in memory, so
 * tensors of any size can be written. The header goes to disk with the first data write (or on close).
 * Setting {@code general.alignment} (UINT32) before declaring tensors changes the alignment from the default 32.
 *
 * <pre>{@code
 * try (GgufWriter w = GgufWriter.create(path)) {
 *     w.putString("general.architecture", "llama");
 *     w.addTensor("token_embd.weight", GgmlType.F32, 64, 512);
 *     w.writeTensorData(buffer);   // 64 * 512 * 4 bytes, in one or more calls
 * }
 * }</pre>
 */
public final class GgufWriter implements Closeable {
    private final FileChannel channel;
    private final GgufHeader header;
    private List<GgufTensorInfo> tensors;
    /** Index of the tensor being written, and how many of its bytes have been written. */
    private int current;
    private long written;
    private boolean closed;

    private GgufWriter(FileChannel channel, GgufHeader header) {
        this.channel = channel;
        this.header = header;
    }

    /** Creates (or truncates) the file at {@code path}. */
    public static GgufWriter create(Path path) throws IOException {
        return open(path, new GgufHeader());
    }

    static GgufWriter open(Path path, GgufHeader header) throws IOException {
        return new GgufWriter(FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING), header);
    }

    /** Adds a metadata entry. @throws IllegalArgumentException on an empty or duplicate key */
    public GgufWriter put(String key, GgufValue value) {
        requireDeclaring();
        header.put(key, value);
        return this;
    }

    public GgufWriter putUInt8(String key, int value) { return put(key, GgufValue.uint8(value)); }

    public GgufWriter putInt8(String key, int value) { return put(key, GgufValue.int8(value)); }

    public GgufWriter putUInt16(String key, int value) { return put(key, GgufValue.uint16(value)); }

    public GgufWriter putInt16(String key, int value) { return put(key, GgufValue.int16(value)); }

    public GgufWriter putUInt32(String key, long value) { return put(key, GgufValue.uint32(value)); }

    public GgufWriter putInt32(String key, int value) { return put(key, GgufValue.int32(value)); }

    public GgufWriter putUInt64(String key, long value) { return put(key, GgufValue.uint64(value)); }

    public GgufWriter putInt64(String key, long value) { return put(key, GgufValue.int64(value)); }

    public GgufWriter putFloat32(String key, float value) { return put(key, GgufValue.float32(value)); }

    public GgufWriter putFloat64(String key, double value) { return put(key, GgufValue.float64(value)); }

    public GgufWriter putBool(String key, boolean value) { return put(key, GgufValue.bool(value)); }

    public GgufWriter putString(String key, String value) { return put(key, GgufValue.string(value)); }

    public GgufWriter putArray(String key, GgufArray value) { return put(key, GgufValue.array(value)); }

    public GgufWriter putStrings(String key, List<String> values) { return putArray(key, GgufArray.ofStrings(values)); }

    public GgufWriter putInt32s(String key, int... values) { return putArray(key, GgufArray.ofInt32(values)); }

    public GgufWriter putFloat32s(String key, float... values) { return putArray(key, GgufArray.ofFloat32(values)); }

    /**
     * Declares the next tensor; its data must be written after that of the tensors declared before it.
     *
     * @param dims ggml order, {@code ne0} (the contiguous dimension, a multiple of the type's block size) first
     * @return the tensor's info, with its offset in the data section and its size
     */
    public GgufTensorInfo addTensor(String name, GgmlType type, long... dims) {
        requireDeclaring();
        return header.addTensor(name, type, dims);
    }

    /** The size the file will have once every declared tensor is written. */
    public long fileSize() {
        return header.fileSize();
    }

    /**
     * Appends {@code data} (all of its remaining bytes) to the current tensor, moving on to the next tensor once
     * the current one has all its declared bytes.
     *
     * @throws IllegalArgumentException if {@code data} holds more bytes than the current tensor has left
     * @throws IllegalStateException    if every declared tensor is already complete
     */
    public void writeTensorData(ByteBuffer data) throws IOException {
        requireOpen();
        if (tensors == null) {
            writeHeader();
        }
        if (current == tensors.size()) {
            throw new IllegalStateException("all " + tensors.size() + " declared tensors are already written");
        }
        GgufTensorInfo t = tensors.get(current);
        long left = t.byteSize() - written;
        if (data.remaining() > left) {
            throw new IllegalArgumentException("tensor '" + t.name() + "' has " + left + " of its " + t.byteSize()
                    + " bytes left, got " + data.remaining());
        }
        written += writeFully(data);
        if (written == t.byteSize()) {
            int padding = (int) (GgufParser.alignUp(t.byteSize(), header.alignment()) - t.byteSize());
            writeFully(ByteBuffer.allocate(padding));
            current++;
            written = 0;
        }
    }

    /**
     * Writes the header if no data was written, and closes the file.
     *
     * @throws IllegalStateException if some declared tensor did not get all its bytes (the file is then invalid)
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try (channel) {
            if (tensors == null) {
                writeHeader();
            }
            if (current < tensors.size()) {
                GgufTensorInfo t = tensors.get(current);
                throw new IllegalStateException("incomplete GGUF file: tensor '" + t.name() + "' got " + written
                        + " of " + t.byteSize() + " bytes and " + (tensors.size() - current - 1)
                        + " tensors after it got none");
            }
        }
    }

    private void writeHeader() throws IOException {
        tensors = header.tensors();
        writeFully(header.encode());
    }

    private long writeFully(ByteBuffer data) throws IOException {
        long n = data.remaining();
        while (data.hasRemaining()) {
            channel.write(data);
        }
        return n;
    }

    private void requireDeclaring() {
        requireOpen();
        if (tensors != null) {
            throw new IllegalStateException("metadata and tensors must be declared before any data is written");
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("writer is closed");
        }
    }
}

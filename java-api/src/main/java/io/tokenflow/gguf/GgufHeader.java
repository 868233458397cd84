package io.tokenflow.gguf;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF header being assembled: metadata and tensor declarations, the resulting layout (tensor offsets, data
 * section start, file size) and its encoding. Tensors are laid out in declaration order, each padded to the
 * alignment, as llama.cpp requires.
 */
final class GgufHeader {
    static final int VERSION = 3;

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final Map<String, GgufTensorInfo> tensors = new LinkedHashMap<>();
    private long alignment = GgufParser.DEFAULT_ALIGNMENT;
    /** Bytes of the data section so far: every tensor's size padded to the alignment. */
    private long dataSize;

    void put(String key, GgufValue value) {
        if (key.isEmpty()) {
            throw new IllegalArgumentException("metadata key must not be empty");
        }
        if (metadata.containsKey(key)) {
            throw new IllegalArgumentException("duplicate metadata key '" + key + "'");
        }
        if (key.equals(GgufParser.ALIGNMENT_KEY)) {
            alignment = checkAlignment(value);
        }
        metadata.put(key, value);
    }

    private long checkAlignment(GgufValue value) {
        if (value.type() != GgufValueType.UINT32) {
            throw new IllegalArgumentException(GgufParser.ALIGNMENT_KEY + " must be UINT32, is " + value.type());
        }
        long a = (Long) value.value();
        if (a == 0 || (a & (a - 1)) != 0) {
            throw new IllegalArgumentException(GgufParser.ALIGNMENT_KEY + " " + a + " is not a power of two");
        }
        if (!tensors.isEmpty()) {
            throw new IllegalStateException(GgufParser.ALIGNMENT_KEY + " must be set before any tensor is declared");
        }
        return a;
    }

    GgufTensorInfo addTensor(String name, GgmlType type, long... dims) {
        int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (nameBytes == 0 || nameBytes > GgufParser.MAX_TENSOR_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name '" + name + "' must be 1 to "
                    + GgufParser.MAX_TENSOR_NAME_BYTES + " UTF-8 bytes");
        }
        if (tensors.containsKey(name)) {
            throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        }
        if (dims.length < 1 || dims.length > GgufParser.MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "' must have 1 to " + GgufParser.MAX_DIMS
                    + " dimensions, has " + dims.length);
        }
        long elements = 1;
        for (long d : dims) {
            if (d < 1) {
                throw new IllegalArgumentException("tensor '" + name + "' has dimension " + d);
            }
            elements = Math.multiplyExact(elements, d);
        }
        if (dims[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "' first dimension " + dims[0]
                    + " is not a multiple of the " + type + " block size " + type.blockSize());
        }
        long byteSize = type.byteSize(elements);
        GgufTensorInfo info = new GgufTensorInfo(name, dims, type, dataSize, byteSize);
        dataSize = Math.addExact(dataSize, GgufParser.alignUp(byteSize, alignment));
        tensors.put(name, info);
        return info;
    }

    long alignment() { return alignment; }

    List<GgufTensorInfo> tensors() { return List.copyOf(tensors.values()); }

    long dataOffset() { return GgufParser.alignUp(encode().remaining(), alignment); }

    long fileSize() { return dataOffset() + dataSize; }

    /** The header bytes, padded with zeros up to the data section. */
    ByteBuffer encode() {
        Encoder out = new Encoder();
        out.u32(GgufParser.MAGIC);
        out.u32(VERSION);
        out.u64(tensors.size());
        out.u64(metadata.size());
        metadata.forEach((key, value) -> {
            out.string(key);
            out.u32(value.type().id());
            out.value(value.type(), value.value());
        });
        for (GgufTensorInfo t : tensors.values()) {
            out.string(t.name());
            long[] dims = t.dims();
            out.u32(dims.length);
            for (long d : dims) {
                out.u64(d);
            }
            out.u32(t.type().id());
            out.u64(t.offset());
        }
        out.pad(alignment);
        return out.buf.flip();
    }

    /** A growable little-endian buffer. */
    private static final class Encoder {
        ByteBuffer buf = ByteBuffer.allocate(1 << 12).order(ByteOrder.LITTLE_ENDIAN);

        private ByteBuffer room(int n) {
            if (buf.remaining() < n) {
                int capacity = Math.max(buf.capacity() * 2, buf.position() + n);
                buf = ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN).put(buf.flip());
            }
            return buf;
        }

        void u32(long v) { room(4).putInt((int) v); }

        void u64(long v) { room(8).putLong(v); }

        void string(String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            u64(bytes.length);
            room(bytes.length).put(bytes);
        }

        void pad(long alignment) {
            int n = (int) (GgufParser.alignUp(buf.position(), alignment) - buf.position());
            room(n).put(new byte[n]);
        }

        void value(GgufValueType type, Object v) {
            switch (type) {
                case UINT8, INT8 -> room(1).put((byte) (int) (Integer) v);
                case UINT16, INT16 -> room(2).putShort((short) (int) (Integer) v);
                case UINT32 -> u32((Long) v);
                case INT32 -> room(4).putInt((Integer) v);
                case FLOAT32 -> room(4).putFloat((Float) v);
                case BOOL -> room(1).put((byte) ((Boolean) v ? 1 : 0));
                case STRING -> string((String) v);
                case ARRAY -> {
                    GgufArray a = (GgufArray) v;
                    u32(a.elementType().id());
                    u64(a.size());
                    for (Object e : a.elements()) {
                        value(a.elementType(), e);
                    }
                }
                case UINT64, INT64 -> u64((Long) v);
                case FLOAT64 -> room(8).putDouble((Double) v);
            }
        }
    }
}

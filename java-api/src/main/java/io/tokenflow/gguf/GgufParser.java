package io.tokenflow.gguf;

import io.tokenflow.InvalidModelException;
import io.tokenflow.ModelLoadException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads and validates a GGUF header. No number from the file is trusted: every count and length is bounded by the
 * bytes left in the file before anything is allocated from it, so a corrupt or hostile header fails with an
 * {@link InvalidModelException} naming the problem and its location, never with an OOM.
 */
final class GgufParser {
    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
    static final long DEFAULT_ALIGNMENT = 32;
    static final String ALIGNMENT_KEY = "general.alignment";
    /** ggml keeps tensor names NUL-terminated in 64 bytes ({@code GGML_MAX_NAME}). */
    static final int MAX_TENSOR_NAME_BYTES = 63;
    static final int MAX_DIMS = 4;
    /** Far above any real metadata string (chat templates are kilobytes); guards heaps against corrupt lengths. */
    static final int MAX_STRING_BYTES = 64 << 20;
    static final int MAX_ARRAY_DEPTH = 8;
    /** Smallest encodings: 8-byte length + 1-byte key + 4-byte type + 1-byte value. */
    private static final int MIN_KV_BYTES = 8 + 1 + 4 + 1;
    /** 8-byte length + 1-byte name + n_dims + one dim + type + offset. */
    private static final int MIN_TENSOR_INFO_BYTES = 8 + 1 + 4 + 8 + 4 + 8;

    private final String file;
    private final long fileSize;
    private final HeaderInput in;
    private final CharsetDecoder strictUtf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    /** What is being read ("kv[3] 'general.name'"), for error messages. */
    private String context = "header";
    /** Array nesting depth of the value being read, and the element index at each depth (1-based depths). */
    private int depth;
    private final long[] index = new long[MAX_ARRAY_DEPTH + 1];

    private GgufParser(String file, FileChannel channel, long fileSize) {
        this.file = file;
        this.fileSize = fileSize;
        this.in = new HeaderInput(channel, fileSize, what -> invalid(
                "truncated at byte " + fileSize + " while reading " + describe(what)));
    }

    static GgufFile parse(Path path) {
        String name = String.valueOf(path.getFileName());
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            return new GgufParser(name, channel, channel.size()).readFile(path);
        } catch (NoSuchFileException e) {
            throw new ModelLoadException(name + ": no such file: " + path, e);
        } catch (IOException e) {
            throw new ModelLoadException(name + ": cannot read " + path + ": " + e, e);
        }
    }

    private GgufFile readFile(Path path) throws IOException {
        long magic = in.u32("magic");
        if (magic != MAGIC) {
            throw invalid("not a GGUF file: magic is " + quoteMagic(magic) + ", expected \"GGUF\"");
        }
        long version = in.u32("version");
        if (version != 2 && version != 3) {
            throw invalid("unsupported GGUF version " + version + " (supported: 2, 3)");
        }
        long tensorCount = in.i64("tensor count");
        long kvCount = in.i64("kv count");
        long kvLimit = in.remaining() / MIN_KV_BYTES;
        if (kvCount < 0 || kvCount > kvLimit) {
            throw invalid("kv count " + Long.toUnsignedString(kvCount) + " is more than the remaining "
                    + in.remaining() + " bytes could hold (at most " + kvLimit + ")");
        }
        long tensorLimit = (in.remaining() - kvCount * MIN_KV_BYTES) / MIN_TENSOR_INFO_BYTES;
        if (tensorCount < 0 || tensorCount > tensorLimit) {
            throw invalid("tensor count " + Long.toUnsignedString(tensorCount) + " is more than the remaining "
                    + in.remaining() + " bytes could hold alongside " + kvCount + " kv pairs (at most "
                    + tensorLimit + ")");
        }

        Map<String, GgufValue> metadata = readMetadata(kvCount);
        long alignment = alignment(metadata);
        List<GgufTensorInfo> tensors = readTensorInfos(tensorCount, alignment);
        long dataOffset = alignUp(in.position(), alignment);
        checkTensorRanges(tensors, dataOffset);
        return new GgufFile(path, fileSize, (int) version, alignment, dataOffset, metadata, tensors);
    }

    private Map<String, GgufValue> readMetadata(long kvCount) throws IOException {
        Map<String, GgufValue> metadata = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            context = "kv[" + i + "]";
            String key = readString("key", true);
            if (key.isEmpty()) {
                throw invalid(context + " has an empty key");
            }
            context = "kv[" + i + "] '" + key + "'";
            if (metadata.containsKey(key)) {
                throw invalid(context + ": duplicate key");
            }
            GgufValueType type = readValueType("value type");
            metadata.put(key, new GgufValue(type, readValue(type)));
        }
        return metadata;
    }

    private long alignment(Map<String, GgufValue> metadata) {
        GgufValue v = metadata.get(ALIGNMENT_KEY);
        if (v == null) {
            return DEFAULT_ALIGNMENT;
        }
        if (v.type() != GgufValueType.UINT32) {
            throw invalid(ALIGNMENT_KEY + " must be UINT32, is " + v);
        }
        long alignment = (Long) v.value();
        if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
            throw invalid(ALIGNMENT_KEY + " " + alignment + " is not a power of two");
        }
        return alignment;
    }

    private List<GgufTensorInfo> readTensorInfos(long tensorCount, long alignment) throws IOException {
        List<GgufTensorInfo> tensors = new ArrayList<>((int) Math.min(tensorCount, 4096));
        Set<String> names = new HashSet<>();
        for (long i = 0; i < tensorCount; i++) {
            context = "tensor[" + i + "]";
            String name = readString("name", true);
            int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
            if (name.isEmpty() || nameBytes > MAX_TENSOR_NAME_BYTES) {
                throw invalid(context + " name '" + name + "' must be 1 to " + MAX_TENSOR_NAME_BYTES
                        + " bytes, is " + nameBytes);
            }
            context = "tensor[" + i + "] '" + name + "'";
            if (!names.add(name)) {
                throw invalid(context + ": duplicate tensor name");
            }
            long nDims = in.u32("dimension count");
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw invalid(context + " has " + nDims + " dimensions, must be 1 to " + MAX_DIMS);
            }
            long[] dims = new long[(int) nDims];
            for (int d = 0; d < dims.length; d++) {
                dims[d] = in.i64("dimension " + d);
                if (dims[d] < 1) {
                    throw invalid(context + " dimension " + d + " is " + Long.toUnsignedString(dims[d])
                            + ", must be 1 to " + Long.MAX_VALUE);
                }
            }
            long typeId = in.u32("ggml type");
            GgmlType type = GgmlType.byId(typeId)
                    .orElseThrow(() -> invalid(context + " has unknown ggml type " + typeId));
            long offset = in.i64("data offset");
            if (dims[0] % type.blockSize() != 0) {
                throw invalid(context + " first dimension " + dims[0] + " is not a multiple of the " + type
                        + " block size " + type.blockSize());
            }
            long byteSize;
            try {
                long elements = 1;
                for (long d : dims) {
                    elements = Math.multiplyExact(elements, d);
                }
                byteSize = type.byteSize(elements);
            } catch (ArithmeticException e) {
                throw invalid(context + " shape " + Arrays.toString(dims) + " of " + type + " overflows 64 bits");
            }
            if (offset < 0 || offset % alignment != 0) {
                throw invalid(context + " data offset " + Long.toUnsignedString(offset)
                        + " is not a multiple of the alignment " + alignment);
            }
            tensors.add(new GgufTensorInfo(name, dims, type, offset, byteSize));
        }
        return tensors;
    }

    private void checkTensorRanges(List<GgufTensorInfo> tensors, long dataOffset) {
        for (GgufTensorInfo t : tensors) {
            if (t.offset() > fileSize || t.byteSize() > fileSize || dataOffset + t.offset() + t.byteSize() > fileSize) {
                throw invalid("tensor '" + t.name() + "' data " + range(t, dataOffset)
                        + " extends past end of file (" + fileSize + " bytes)");
            }
        }
        List<GgufTensorInfo> byOffset = new ArrayList<>(tensors);
        byOffset.sort(Comparator.comparingLong(GgufTensorInfo::offset));
        for (int i = 1; i < byOffset.size(); i++) {
            GgufTensorInfo a = byOffset.get(i - 1);
            GgufTensorInfo b = byOffset.get(i);
            if (a.offset() + a.byteSize() > b.offset()) {
                throw invalid("tensor '" + a.name() + "' data " + range(a, dataOffset) + " overlaps tensor '"
                        + b.name() + "' data " + range(b, dataOffset));
            }
        }
    }

    private static String range(GgufTensorInfo t, long dataOffset) {
        try {
            long start = Math.addExact(dataOffset, t.offset());
            return "[" + start + ", " + Math.addExact(start, t.byteSize()) + ")";
        } catch (ArithmeticException e) {
            return "at data offset " + t.offset() + " (" + t.byteSize() + " bytes)";
        }
    }

    private Object readValue(GgufValueType type) throws IOException {
        return switch (type) {
            case UINT8 -> in.u8("value");
            case INT8 -> in.i8("value");
            case UINT16 -> in.u16("value");
            case INT16 -> in.i16("value");
            case UINT32 -> in.u32("value");
            case INT32 -> in.i32("value");
            case FLOAT32 -> in.f32("value");
            case BOOL -> readBool();
            case STRING -> readString("string", false);
            case ARRAY -> readArray();
            case UINT64, INT64 -> in.i64("value");
            case FLOAT64 -> in.f64("value");
        };
    }

    private boolean readBool() throws IOException {
        int b = in.u8("bool");
        if (b > 1) {
            throw invalid(describe("bool") + " is " + b + ", must be 0 or 1");
        }
        return b == 1;
    }

    private GgufArray readArray() throws IOException {
        if (depth == MAX_ARRAY_DEPTH) {
            throw invalid(describe("array") + " is nested more than " + MAX_ARRAY_DEPTH + " deep");
        }
        GgufValueType type = readValueType("array element type");
        long n = in.i64("array length");
        long limit = Math.min(in.remaining() / type.minEncodedSize(), Integer.MAX_VALUE - 8);
        if (n < 0 || n > limit) {
            throw invalid(describe("array length") + " " + Long.toUnsignedString(n) + " is more than the remaining "
                    + in.remaining() + " bytes could hold (at most " + limit + " " + type + " elements)");
        }
        int count = (int) n;
        depth++;
        List<?> elements = switch (type) {
            case UINT8, INT8, UINT16, INT16, INT32 -> {
                int[] a = new int[count];
                for (int i = 0; i < count; i++) {
                    index[depth] = i;
                    a[i] = ((Number) readValue(type)).intValue();
                }
                yield PrimitiveLists.ofInts(a);
            }
            case UINT32, UINT64, INT64 -> {
                long[] a = new long[count];
                for (int i = 0; i < count; i++) {
                    index[depth] = i;
                    a[i] = ((Number) readValue(type)).longValue();
                }
                yield PrimitiveLists.ofLongs(a);
            }
            case FLOAT32 -> {
                float[] a = new float[count];
                for (int i = 0; i < count; i++) {
                    index[depth] = i;
                    a[i] = in.f32("value");
                }
                yield PrimitiveLists.ofFloats(a);
            }
            case FLOAT64 -> {
                double[] a = new double[count];
                for (int i = 0; i < count; i++) {
                    index[depth] = i;
                    a[i] = in.f64("value");
                }
                yield PrimitiveLists.ofDoubles(a);
            }
            case BOOL -> {
                boolean[] a = new boolean[count];
                for (int i = 0; i < count; i++) {
                    index[depth] = i;
                    a[i] = readBool();
                }
                yield PrimitiveLists.ofBooleans(a);
            }
            case STRING, ARRAY -> {
                List<Object> a = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    index[depth] = i;
                    a.add(readValue(type));
                }
                yield a;
            }
        };
        depth--;
        return new GgufArray(type, elements);
    }

    private GgufValueType readValueType(String what) throws IOException {
        long id = in.u32(what);
        return GgufValueType.byId(id).orElseThrow(() -> invalid(describe(what) + " " + id + " is unknown"));
    }

    /** Keys and tensor names must be valid UTF-8; string values are decoded leniently, as llama.cpp does not check. */
    private String readString(String what, boolean strict) throws IOException {
        long len = in.i64(what + " length");
        if (len < 0 || len > in.remaining() || len > MAX_STRING_BYTES) {
            throw invalid(describe(what + " length") + " " + Long.toUnsignedString(len) + " exceeds the "
                    + (len >= 0 && len > MAX_STRING_BYTES && len <= in.remaining()
                            ? "limit of " + MAX_STRING_BYTES + " bytes"
                            : "remaining " + in.remaining() + " bytes of the file"));
        }
        ByteBuffer bytes = in.take((int) len, what);
        if (!strict) {
            return new String(bytes.array(), bytes.arrayOffset() + bytes.position(), (int) len, StandardCharsets.UTF_8);
        }
        try {
            CharBuffer chars = strictUtf8.reset().decode(bytes);
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw invalid(describe(what) + " is not valid UTF-8");
        }
    }

    private String describe(String what) {
        StringBuilder sb = new StringBuilder(context);
        if (depth > 0) {
            sb.append(" element ");
            for (int d = 1; d <= depth; d++) {
                sb.append('[').append(index[d]).append(']');
            }
        }
        return sb.append(' ').append(what).toString();
    }

    private InvalidModelException invalid(String message) {
        return new InvalidModelException(file + ": " + message);
    }

    private static String quoteMagic(long magic) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < 4; i++) {
            int c = (int) (magic >>> (8 * i)) & 0xFF;
            sb.append(c >= 0x20 && c < 0x7F ? String.valueOf((char) c) : String.format("\\x%02x", c));
        }
        return sb.append('"').toString();
    }

    static long alignUp(long n, long alignment) {
        return (n + alignment - 1) & -alignment;
    }
}

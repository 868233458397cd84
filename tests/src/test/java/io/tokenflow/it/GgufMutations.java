package io.tokenflow.it;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/**
 * The GGUF fuzz catalogue: a deterministic list of mutated copies of one model file, built from the file's own
 * layout (header counts, every metadata key's type and value, array counts and element types, every tensor's
 * dimensions, type and offset), extreme values for each, truncations, and seeded random byte changes. A mutation
 * that changes the header's length is re-laid out so the tensor data still starts on the file's alignment (so the
 * mutation, not a shifted data section, is what is tested). Names are stable: {@code fuzz-regressions.txt} lists
 * the ones that ever ended the JVM.
 */
final class GgufMutations {
    /** One mutated copy: a stable name and how to make it from the original bytes. */
    record Mutation(String name, UnaryOperator<byte[]> apply) {}

    private static final int T_UINT8 = 0, T_INT8 = 1, T_UINT16 = 2, T_INT16 = 3, T_UINT32 = 4, T_INT32 = 5,
            T_FLOAT32 = 6, T_BOOL = 7, T_STRING = 8, T_ARRAY = 9, T_UINT64 = 10, T_INT64 = 11, T_FLOAT64 = 12;
    private static final int[] SIZE = {1, 1, 2, 2, 4, 4, 4, 1, -1, -1, 8, 8, 8};

    /** Where a metadata value or a tensor field lies in the file. */
    private record Kv(String key, int typeAt, int type, int valueAt, int valueEnd, int elemTypeAt, int countAt) {}

    private record Tensor(String name, int nDimsAt, int[] dimAt, int typeAt, int offsetAt) {}

    private final byte[] original;
    private final List<Kv> kvs = new ArrayList<>();
    private final List<Tensor> tensors = new ArrayList<>();
    private int headerEnd;
    private long alignment = 32;
    private long dataStart;

    private GgufMutations(byte[] original) {
        this.original = original;
        scan();
    }

    /** The catalogue for {@code model}'s bytes; the same bytes always give the same list. */
    static List<Mutation> of(byte[] model, long seed, int randomCount) {
        GgufMutations g = new GgufMutations(model);
        Map<String, UnaryOperator<byte[]>> out = new LinkedHashMap<>();
        g.header(out);
        for (Kv kv : g.kvs) g.metadata(kv, out);
        for (Tensor t : g.tensors) g.tensor(t, out);
        g.truncations(out);
        g.random(out, seed, randomCount);
        List<Mutation> list = new ArrayList<>();
        out.forEach((name, f) -> list.add(new Mutation(name, f)));
        return list;
    }

    // --- the layout -------------------------------------------------------------------------------------------

    private void scan() {
        ByteBuffer b = ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN);
        b.position(8);
        long nTensors = b.getLong();
        long nKv = b.getLong();
        for (long i = 0; i < nKv; i++) {
            String key = string(b);
            int typeAt = b.position();
            int type = b.getInt();
            int valueAt = b.position();
            int elemTypeAt = -1, countAt = -1;
            if (type == T_ARRAY) {
                elemTypeAt = b.position();
                int et = b.getInt();
                countAt = b.position();
                long count = b.getLong();
                for (long j = 0; j < count; j++) skip(b, et);
            } else {
                skip(b, type);
            }
            if (key.equals("general.alignment")) alignment = Integer.toUnsignedLong(original[valueAt] & 0xFF
                    | (original[valueAt + 1] & 0xFF) << 8 | (original[valueAt + 2] & 0xFF) << 16 | (original[valueAt + 3] & 0xFF) << 24);
            kvs.add(new Kv(key, typeAt, type, valueAt, b.position(), elemTypeAt, countAt));
        }
        for (long i = 0; i < nTensors; i++) {
            String name = string(b);
            int nDimsAt = b.position();
            int nDims = b.getInt();
            int[] dimAt = new int[nDims];
            for (int d = 0; d < nDims; d++) {
                dimAt[d] = b.position();
                b.getLong();
            }
            int typeAt = b.position();
            b.getInt();
            int offsetAt = b.position();
            b.getLong();
            tensors.add(new Tensor(name, nDimsAt, dimAt, typeAt, offsetAt));
        }
        headerEnd = b.position();
        dataStart = (headerEnd + alignment - 1) / alignment * alignment;
    }

    private static String string(ByteBuffer b) {
        int n = (int) b.getLong();
        byte[] s = new byte[n];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private static void skip(ByteBuffer b, int type) {
        if (type == T_STRING) {
            int n = (int) b.getLong();  // read first: the skip starts after the length field
            b.position(b.position() + n);
        } else {
            b.position(b.position() + SIZE[type]);
        }
    }

    // --- mutation families -----------------------------------------------------------------------------------

    private void header(Map<String, UnaryOperator<byte[]>> out) {
        for (long v : new long[] {0, 1, 2, 4, 0xFFFFFFFFL}) out.put("header version=" + v, put(4, 4, v));
        long nTensors = tensors.size(), nKv = kvs.size();
        for (long v : new long[] {0, nTensors - 1, nTensors + 1, 1L << 32, 1L << 62}) out.put("header n_tensors=" + v, put(8, 8, v));
        for (long v : new long[] {0, nKv - 1, nKv + 1, 1L << 40}) out.put("header n_kv=" + v, put(16, 8, v));
    }

    private void metadata(Kv kv, Map<String, UnaryOperator<byte[]>> out) {
        String k = "kv " + kv.key() + " ";
        switch (kv.type()) {
            case T_UINT8, T_INT8, T_UINT16, T_INT16, T_UINT32, T_INT32, T_UINT64, T_INT64 -> {
                int size = SIZE[kv.type()];
                for (long v : new long[] {0, 1, 2, 3, 7, 8, 255, 4096, 65535, -1, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 31}) {
                    out.put(k + "int=" + v, put(kv.valueAt(), size, v));
                }
            }
            case T_FLOAT32 -> {
                for (float v : new float[] {0f, -1f, -1e-6f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e38f, 1f}) {
                    out.put(k + "f32=" + v, put(kv.valueAt(), 4, Float.floatToRawIntBits(v)));
                }
            }
            case T_FLOAT64 -> {
                for (double v : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY, 1e300}) {
                    out.put(k + "f64=" + v, put(kv.valueAt(), 8, Double.doubleToRawLongBits(v)));
                }
            }
            case T_BOOL -> {
                for (int v : new int[] {0, 1, 2, 255}) out.put(k + "bool=" + v, put(kv.valueAt(), 1, v));
            }
            case T_STRING -> {
                for (String v : new String[] {"", "x", "bert", "gpt2", "t5", "rwkv", "plamo2", "no_vocab", "llama",
                        "\u00ff\u00fe", "a".repeat(5000)}) {
                    out.put(k + "str='" + (v.length() > 20 ? v.charAt(0) + "x" + v.length() : v) + "'", replaceString(kv, v));
                }
                out.put(k + "strlen=2^40", put(kv.valueAt(), 8, 1L << 40));
            }
            case T_ARRAY -> {
                long count = readLong(kv.countAt());
                for (long v : new long[] {0, 1, count - 1, count + 1, 1L << 40}) out.put(k + "count=" + v, put(kv.countAt(), 8, v));
                for (int t : new int[] {T_UINT8, T_INT32, T_FLOAT32, T_STRING, T_ARRAY, 99}) {
                    out.put(k + "elemtype=" + t, put(kv.elemTypeAt(), 4, t));
                }
                if (readInt(kv.elemTypeAt()) == T_STRING) {
                    for (String v : new String[] {"", "a", "<0x0A>", "\u00ff"}) out.put(k + "all='" + v + "'", replaceStrings(kv, v));
                }
            }
            default -> { }
        }
        for (int t : new int[] {T_UINT8, T_UINT32, T_FLOAT32, T_STRING, T_ARRAY, T_UINT64, 13, 99}) {
            if (t != kv.type()) out.put(k + "type=" + t, put(kv.typeAt(), 4, t));
        }
    }

    private void tensor(Tensor t, Map<String, UnaryOperator<byte[]>> out) {
        String k = "tensor " + t.name() + " ";
        // ggml types: F32 0, F16 1, Q4_0 2, Q4_1 3, Q8_0 8, Q2_K 10, Q6_K 14, I8 24, I32 26, BF16 30; 39+ unknown
        for (int type : new int[] {0, 1, 2, 3, 8, 10, 14, 24, 26, 30, 39, 99, -1}) out.put(k + "type=" + type, put(t.typeAt(), 4, type));
        for (int n : new int[] {0, 1, 3, 4, 5, 255}) out.put(k + "n_dims=" + n, put(t.nDimsAt(), 4, n));
        if (t.dimAt().length > 0) {
            for (long d : new long[] {0, 1, 2, 3, 1L << 31, 1L << 40, -1}) out.put(k + "dim0=" + d, put(t.dimAt()[0], 8, d));
        }
        long offset = readLong(t.offsetAt());
        for (long d : new long[] {1, 16, 32, -32}) out.put(k + "offset+=" + d, put(t.offsetAt(), 8, offset + d));
        out.put(k + "offset=2^60", put(t.offsetAt(), 8, 1L << 60));
    }

    private void truncations(Map<String, UnaryOperator<byte[]>> out) {
        int n = original.length;
        for (int i = 0; i < 24; i++) {
            int cut = (int) ((long) n * i / 24);
            out.put("truncate " + cut, b -> java.util.Arrays.copyOf(b, cut));
        }
        for (int cut : new int[] {headerEnd - 1, headerEnd, (int) dataStart, n - 1}) out.put("truncate " + cut, b -> java.util.Arrays.copyOf(b, cut));
    }

    private void random(Map<String, UnaryOperator<byte[]>> out, long seed, int count) {
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) {
            int k = 1 + rnd.nextInt(6);
            int[] pos = new int[k];
            int[] val = new int[k];
            StringBuilder name = new StringBuilder("random");
            for (int j = 0; j < k; j++) {
                pos[j] = rnd.nextInt(headerEnd);
                val[j] = rnd.nextInt(256);
                name.append(String.format(" @%d=%02x", pos[j], val[j]));
            }
            out.put(name.toString(), b -> {
                for (int j = 0; j < pos.length; j++) b[pos[j]] = (byte) val[j];
                return b;
            });
        }
    }

    // --- byte surgery ------------------------------------------------------------------------------------------

    private int readInt(int at) {
        return ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getInt(at);
    }

    private long readLong(int at) {
        return ByteBuffer.wrap(original).order(ByteOrder.LITTLE_ENDIAN).getLong(at);
    }

    /** Writes the low {@code size} bytes of {@code v} at {@code at} (little-endian), in place. */
    private static UnaryOperator<byte[]> put(int at, int size, long v) {
        return b -> {
            for (int i = 0; i < size; i++) b[at + i] = (byte) (v >>> (8 * i));
            return b;
        };
    }

    /** A string value replaced by {@code text}; the header is re-laid out so the data keeps its alignment. */
    private UnaryOperator<byte[]> replaceString(Kv kv, String text) {
        byte[] s = text.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer value = ByteBuffer.allocate(8 + s.length).order(ByteOrder.LITTLE_ENDIAN).putLong(s.length).put(s);
        return replaceValue(kv, value.array());
    }

    /** An array of strings whose every element is {@code text} (same count). */
    private UnaryOperator<byte[]> replaceStrings(Kv kv, String text) {
        long count = readLong(kv.countAt());
        byte[] s = text.getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer value = ByteBuffer.allocate((int) (12 + count * (8 + s.length))).order(ByteOrder.LITTLE_ENDIAN);
        value.putInt(T_STRING).putLong(count);
        for (long i = 0; i < count; i++) value.putLong(s.length).put(s);
        return replaceValue(kv, value.array());
    }

    /** The value bytes of {@code kv} replaced; the header is re-laid out so the data keeps its alignment. */
    private UnaryOperator<byte[]> replaceValue(Kv kv, byte[] s) {
        return b -> {
            ByteBuffer header = ByteBuffer.allocate(headerEnd - (kv.valueEnd() - kv.valueAt()) + s.length)
                    .order(ByteOrder.LITTLE_ENDIAN);
            header.put(b, 0, kv.valueAt()).put(s).put(b, kv.valueEnd(), headerEnd - kv.valueEnd());
            int newStart = (int) ((header.capacity() + alignment - 1) / alignment * alignment);
            byte[] copy = new byte[newStart + (b.length - (int) dataStart)];
            System.arraycopy(header.array(), 0, copy, 0, header.capacity());
            System.arraycopy(b, (int) dataStart, copy, newStart, b.length - (int) dataStart);
            return copy;
        };
    }
}

package io.tokenflow.gguf;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A small valid GGUF file with one key of every value type, several kinds of array and three tensors. */
final class SampleGguf {
    private SampleGguf() {}

    static Map<String, GgufValue> metadata() {
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put("general.architecture", GgufValue.string("sample"));
        kv.put("t.u8", GgufValue.uint8(200));
        kv.put("t.i8", GgufValue.int8(-5));
        kv.put("t.u16", GgufValue.uint16(60000));
        kv.put("t.i16", GgufValue.int16(-300));
        kv.put("t.u32", GgufValue.uint32(4_000_000_000L));
        kv.put("t.i32", GgufValue.int32(-7));
        kv.put("t.f32", GgufValue.float32(1.5f));
        kv.put("t.bool", GgufValue.bool(true));
        kv.put("t.str", GgufValue.string("héllo ✓"));
        kv.put("t.u64", GgufValue.uint64(-1L));
        kv.put("t.i64", GgufValue.int64(Long.MIN_VALUE));
        kv.put("t.f64", GgufValue.float64(Math.PI));
        kv.put("t.strings", GgufValue.array(GgufArray.ofStrings(List.of("a", "", "ünï"))));
        kv.put("t.ints", GgufValue.array(GgufArray.ofInt32(1, -2, 3)));
        kv.put("t.floats", GgufValue.array(GgufArray.ofFloat32(0.5f, Float.NaN, -0f)));
        kv.put("t.bytes", GgufValue.array(GgufArray.of(GgufValueType.UINT8, List.of(0, 255, 7))));
        kv.put("t.bools", GgufValue.array(GgufArray.of(GgufValueType.BOOL, List.of(true, false))));
        kv.put("t.u64s", GgufValue.array(GgufArray.of(GgufValueType.UINT64, List.of(1L, -1L))));
        kv.put("t.empty", GgufValue.array(GgufArray.of(GgufValueType.INT32, List.of())));
        kv.put("t.nested", GgufValue.array(GgufArray.of(GgufValueType.ARRAY, List.of(
                GgufArray.of(GgufValueType.INT16, List.of(1, 2)),
                GgufArray.ofStrings(List.of("x"))))));
        return kv;
    }

    /** Writes the sample; tensor bytes are a counter pattern so that misplaced data would show. */
    static Path write(Path path) throws IOException {
        try (GgufWriter w = GgufWriter.create(path)) {
            metadata().forEach(w::put);
            w.addTensor("a", GgmlType.F32, 4, 3);
            w.addTensor("b", GgmlType.F16, 8);
            w.addTensor("c", GgmlType.Q8_0, 32, 2);
            for (long size : new long[] {48, 16, 68}) {
                ByteBuffer data = ByteBuffer.allocate((int) size);
                for (int i = 0; i < size; i++) {
                    data.put((byte) i);
                }
                w.writeTensorData(data.flip());
            }
        }
        return path;
    }
}

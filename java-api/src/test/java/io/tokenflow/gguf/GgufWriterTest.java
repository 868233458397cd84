package io.tokenflow.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GgufWriterTest {
    @TempDir
    Path dir;

    @Test
    void everyValueTypeAndTensorRoundTrips() throws IOException {
        Path path = SampleGguf.write(dir.resolve("sample.gguf"));
        GgufFile f = GgufFile.read(path);

        assertThat(f.version()).isEqualTo(3);
        assertThat(f.alignment()).isEqualTo(32);
        assertThat(f.dataOffset() % 32).isZero();
        assertThat(f.metadataEntries()).containsExactlyEntriesOf(SampleGguf.metadata());
        assertThat(f.metadata().get("t.u64")).isEqualTo(-1L);
        assertThat(f.metadata().get("t.nested")).isEqualTo(List.of(List.of(1, 2), List.of("x")));
        assertThat(f.metadataEntry("t.u32")).contains(GgufValue.uint32(4_000_000_000L));
        assertThat(f.architecture()).isEqualTo("sample");

        assertThat(f.tensors()).containsExactly(
                new GgufTensorInfo("a", new long[] {4, 3}, GgmlType.F32, 0, 48),
                new GgufTensorInfo("b", new long[] {8}, GgmlType.F16, 64, 16),
                new GgufTensorInfo("c", new long[] {32, 2}, GgmlType.Q8_0, 96, 68));
        assertThat(f.fileSize()).isEqualTo(Files.size(path)).isEqualTo(f.dataOffset() + 96 + 96);

        byte[] bytes = Files.readAllBytes(path);
        assertThat(bytes[(int) f.dataOffset() + 64 + 15]).isEqualTo((byte) 15);
        assertThat(bytes[(int) f.dataOffset() + 96 + 67]).isEqualTo((byte) 67);
    }

    @Test
    void valuesLargerThanTheReadBufferRoundTrip() throws IOException {
        String big = "ünïcødé ✓ ".repeat(10_000); // ~150 KB, more than the reader's 64 KiB buffer
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            many.add("token-" + i);
        }
        Path path = dir.resolve("big.gguf");
        try (GgufWriter w = GgufWriter.create(path)) {
            w.putString("big", big).putStrings("many", many).putString("after", "end");
        }
        GgufFile f = GgufFile.read(path);
        assertThat(f.getString("big")).contains(big);
        assertThat(f.getStringList("many")).contains(many);
        assertThat(f.getString("after")).contains("end");
    }

    @Test
    void typedGetters() throws IOException {
        GgufFile f = GgufFile.read(SampleGguf.write(dir.resolve("sample.gguf")));

        assertThat(f.getString("t.str")).contains("héllo ✓");
        assertThat(f.getLong("t.u32")).hasValue(4_000_000_000L);
        assertThat(f.getInt("t.i16")).hasValue(-300);
        assertThat(f.getFloat("t.f64")).contains((float) Math.PI);
        assertThat(f.getBool("t.bool")).contains(true);
        assertThat(f.getStringList("t.strings")).contains(List.of("a", "", "ünï"));
        assertThat(f.getString("missing")).isEmpty();
        assertThat(f.getLong("missing")).isEmpty();

        assertThatThrownBy(() -> f.getString("t.u8")).hasMessageContaining("'t.u8' is UINT8, expected STRING");
        assertThatThrownBy(() -> f.getInt("t.u32")).hasMessageContaining("does not fit in an int");
        assertThatThrownBy(() -> f.getLong("t.u64")).hasMessageContaining("does not fit in a long");
        assertThatThrownBy(() -> f.getStringList("t.ints")).hasMessageContaining("ARRAY<INT32>");
        assertThatThrownBy(() -> f.metadata().put("x", 1)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void customAlignmentPadsDataAndTensors() throws IOException {
        Path path = dir.resolve("aligned.gguf");
        try (GgufWriter w = GgufWriter.create(path)) {
            w.putUInt32("general.alignment", 256);
            w.addTensor("x", GgmlType.F32, 3);
            w.addTensor("y", GgmlType.F32, 5);
            w.writeTensorData(ByteBuffer.allocate(12));
            w.writeTensorData(ByteBuffer.allocate(8));
            w.writeTensorData(ByteBuffer.allocate(12));
        }
        GgufFile f = GgufFile.read(path);
        assertThat(f.alignment()).isEqualTo(256);
        assertThat(f.dataOffset()).isEqualTo(256);
        assertThat(f.tensor("y").orElseThrow().offset()).isEqualTo(256);
        assertThat(f.fileSize()).isEqualTo(256 * 3);
    }

    @Test
    void tensorDataMayArriveInPiecesButNeverMoreThanDeclared() throws IOException {
        Path path = dir.resolve("pieces.gguf");
        try (GgufWriter w = GgufWriter.create(path)) {
            w.addTensor("x", GgmlType.F32, 4);
            w.writeTensorData(ByteBuffer.allocate(10));
            assertThatThrownBy(() -> w.writeTensorData(ByteBuffer.allocate(7)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("tensor 'x' has 6 of its 16 bytes left, got 7");
            assertThatThrownBy(() -> w.putInt32("late", 1)).isInstanceOf(IllegalStateException.class);
            w.writeTensorData(ByteBuffer.allocate(6));
            assertThatThrownBy(() -> w.writeTensorData(ByteBuffer.allocate(1)))
                    .isInstanceOf(IllegalStateException.class);
        }
        assertThat(GgufFile.read(path).tensors()).hasSize(1);
    }

    @Test
    void closingWithMissingDataFails() throws IOException {
        GgufWriter w = GgufWriter.create(dir.resolve("short.gguf"));
        w.addTensor("x", GgmlType.F32, 4);
        w.addTensor("y", GgmlType.F32, 4);
        w.writeTensorData(ByteBuffer.allocate(4));
        assertThatThrownBy(w::close).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("tensor 'x' got 4 of 16 bytes and 1 tensors after it got none");
    }

    @Test
    void fileWithoutTensorsHoldsJustTheHeader() throws IOException {
        Path path = dir.resolve("empty.gguf");
        try (GgufWriter w = GgufWriter.create(path)) {
            w.putString("general.architecture", "none");
            assertThat(w.fileSize()).isEqualTo(96); // 68 header bytes, padded to 32
        }
        GgufFile f = GgufFile.read(path);
        assertThat(f.tensors()).isEmpty();
        assertThat(f.metadata()).isEqualTo(Map.of("general.architecture", "none"));
    }

    @Test
    void rejectsInvalidDeclarations() throws IOException {
        try (GgufWriter w = GgufWriter.create(dir.resolve("bad.gguf"))) {
            w.putInt32("k", 1);
            assertThatThrownBy(() -> w.putInt32("k", 2)).hasMessageContaining("duplicate metadata key 'k'");
            assertThatThrownBy(() -> w.putInt32("", 2)).hasMessageContaining("empty");
            assertThatThrownBy(() -> w.putUInt8("u", 256)).hasMessageContaining("out of range for UINT8");
            assertThatThrownBy(() -> w.putUInt32("general.alignment", 48)).hasMessageContaining("power of two");
            assertThatThrownBy(() -> w.addTensor("q", GgmlType.Q4_0, 16)).hasMessageContaining("block size 32");
            assertThatThrownBy(() -> w.addTensor("five", GgmlType.F32, 1, 1, 1, 1, 1))
                    .hasMessageContaining("1 to 4 dimensions");
            assertThatThrownBy(() -> w.addTensor("zero", GgmlType.F32, 0)).hasMessageContaining("dimension 0");
            assertThatThrownBy(() -> w.addTensor("x".repeat(64), GgmlType.F32, 1)).hasMessageContaining("1 to 63");
            w.addTensor("t", GgmlType.F32, 1);
            assertThatThrownBy(() -> w.addTensor("t", GgmlType.F32, 1)).hasMessageContaining("duplicate tensor");
            assertThatThrownBy(() -> w.putUInt32("general.alignment", 64)).hasMessageContaining("before any tensor");
            w.writeTensorData(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(1f).flip());
        }
    }
}

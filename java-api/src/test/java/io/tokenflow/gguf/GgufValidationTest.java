package io.tokenflow.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import io.tokenflow.InvalidModelException;
import io.tokenflow.ModelLoadException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GgufFile.read on broken input: always an InvalidModelException that says what and where, nothing else. */
class GgufValidationTest {
    private static final int F32 = GgmlType.F32.id();

    @TempDir
    Path dir;

    private AbstractThrowableAssert<?, ? extends Throwable> assertInvalid(RawGguf gguf) throws IOException {
        return assertInvalid(gguf.bytes());
    }

    private AbstractThrowableAssert<?, ? extends Throwable> assertInvalid(byte[] bytes) throws IOException {
        Path path = Files.write(dir.resolve("bad.gguf"), bytes);
        return assertThatThrownBy(() -> GgufFile.read(path)).isExactlyInstanceOf(InvalidModelException.class)
                .hasMessageStartingWith("bad.gguf: ");
    }

    /** One kv and one 4-element F32 tensor: valid as is. */
    private static RawGguf minimal(long tensorOffset, long... dims) {
        return RawGguf.header(3, 1, 1).kvString("general.architecture", "x")
                .tensor("t", F32, tensorOffset, dims).align(32).zeros(16);
    }

    @Test
    void minimalBaseIsValid() throws IOException {
        GgufFile f = GgufFile.read(minimal(0, 4).writeTo(dir.resolve("ok.gguf")));
        assertThat(f.tensors()).hasSize(1);
        assertThat(f.dataOffset()).isEqualTo(128);
    }

    @Test
    void truncatedAtEveryHeaderByteAndInsideTheData() throws IOException {
        byte[] full = Files.readAllBytes(SampleGguf.write(dir.resolve("sample.gguf")));
        GgufFile f = GgufFile.read(dir.resolve("sample.gguf"));
        long dataEnd = f.dataOffset() + f.tensors().get(2).offset() + f.tensors().get(2).byteSize();
        for (int len = 0; len < dataEnd; len += len < f.dataOffset() ? 1 : 13) {
            assertInvalid(Arrays.copyOf(full, len)).as("truncated to %d bytes", len);
        }
        assertInvalid(Arrays.copyOf(full, (int) dataEnd - 1)).hasMessageContaining("tensor 'c' data [")
                .hasMessageContaining("extends past end of file (" + (dataEnd - 1) + " bytes)");
        assertInvalid(RawGguf.header(3, 0, 2).kvU32("abcdefghijkl", 1).zeros(3))
                .hasMessage("bad.gguf: truncated at byte 55 while reading kv[1] key length");
        assertInvalid(new byte[0]).hasMessage("bad.gguf: truncated at byte 0 while reading header magic");
        // only the last tensor's padding is missing: still a complete model
        assertThat(GgufFile.read(Files.write(dir.resolve("ok.gguf"), Arrays.copyOf(full, (int) dataEnd))).tensors())
                .hasSize(3);
    }

    @Test
    void fuzzedHeadersFailOnlyWithInvalidModelException() throws IOException {
        byte[] original = Files.readAllBytes(SampleGguf.write(dir.resolve("sample.gguf")));
        int headerEnd = (int) GgufFile.read(dir.resolve("sample.gguf")).dataOffset();
        Path path = dir.resolve("fuzz.gguf");
        SplittableRandom random = new SplittableRandom(20240601);
        int valid = 0;
        int invalid = 0;
        for (int iteration = 0; iteration < 6000; iteration++) {
            byte[] bytes = original.clone();
            ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            int mutations = random.nextInt(1, 4);
            for (int m = 0; m < mutations; m++) {
                int pos = random.nextInt(headerEnd - 8);
                switch (random.nextInt(5)) {
                    case 0 -> bytes[pos] ^= (byte) (1 << random.nextInt(8));
                    case 1 -> bytes[pos] = (byte) new int[] {0x00, 0xFF, random.nextInt(256)}[random.nextInt(3)];
                    case 2 -> buf.putLong(pos, new long[] {Long.MAX_VALUE, -1L, 1L << 62, 1L << 32,
                            random.nextLong(), random.nextLong(1 << 20)}[random.nextInt(6)]);
                    case 3 -> buf.putInt(pos, random.nextInt(45)); // a plausible but wrong type id or count
                    default -> bytes = Arrays.copyOf(bytes, random.nextInt(bytes.length));
                }
                buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
                if (bytes.length < headerEnd) {
                    break;
                }
            }
            Files.write(path, bytes);
            try {
                GgufFile.read(path);
                valid++;
            } catch (InvalidModelException e) {
                assertThat(e.getMessage()).startsWith("fuzz.gguf: ");
                invalid++;
            } catch (Throwable t) {
                fail("iteration " + iteration + ": unexpected " + t, t);
            }
        }
        assertThat(valid + invalid).isEqualTo(6000);
        assertThat(invalid).as("mutations that broke the header").isGreaterThan(4000); // 5481 with this seed
    }

    @Test
    void badMagic() throws IOException {
        byte[] bytes = minimal(0, 4).bytes();
        bytes[3] = 'X';
        assertInvalid(bytes).hasMessage("bad.gguf: not a GGUF file: magic is \"GGUX\", expected \"GGUF\"");
    }

    @Test
    void unsupportedVersions() throws IOException {
        assertInvalid(RawGguf.header(1, 0, 0)).hasMessageContaining("unsupported GGUF version 1 (supported: 2, 3)");
        assertInvalid(RawGguf.header(99, 0, 0)).hasMessageContaining("unsupported GGUF version 99");
        assertThat(GgufFile.read(RawGguf.header(2, 0, 0).writeTo(dir.resolve("v2.gguf"))).version()).isEqualTo(2);
    }

    @Test
    void countsBeyondWhatTheFileCouldHold() throws IOException {
        assertInvalid(RawGguf.header(3, 0, 1L << 62).zeros(100))
                .hasMessageContaining("kv count 4611686018427387904 is more than the remaining 100 bytes");
        assertInvalid(RawGguf.header(3, -1, 0).zeros(100))
                .hasMessageContaining("tensor count 18446744073709551615 is more than the remaining 100 bytes");
    }

    @Test
    void hugeStringLength() throws IOException {
        assertInvalid(RawGguf.header(3, 0, 1).u64(Long.MAX_VALUE).zeros(20))
                .hasMessageContaining("kv[0] key length 9223372036854775807 exceeds the remaining 20 bytes");
        assertInvalid(RawGguf.header(3, 0, 1).str("k").u32(GgufValueType.STRING.id()).u64(-1).zeros(20))
                .hasMessageContaining("kv[0] 'k' string length 18446744073709551615 exceeds the remaining 20");
    }

    @Test
    void hugeArrayLength() throws IOException {
        assertInvalid(RawGguf.header(3, 0, 1).str("k").u32(GgufValueType.ARRAY.id())
                .u32(GgufValueType.INT32.id()).u64(1L << 40).zeros(40))
                .hasMessageContaining("kv[0] 'k' array length 1099511627776 is more than the remaining 40 bytes")
                .hasMessageContaining("at most 10 INT32 elements");
    }

    @Test
    void tensorOffsetMisaligned() throws IOException {
        assertInvalid(minimal(8, 4))
                .hasMessage("bad.gguf: tensor[0] 't' data offset 8 is not a multiple of the alignment 32");
    }

    @Test
    void tensorPastEndOfFile() throws IOException {
        assertInvalid(minimal(0, 8))
                .hasMessage("bad.gguf: tensor 't' data [128, 160) extends past end of file (144 bytes)");
        assertInvalid(minimal(1L << 62, 4)).hasMessageContaining("extends past end of file");
    }

    @Test
    void dimensionCounts() throws IOException {
        assertInvalid(minimal(0)).hasMessageContaining("tensor[0] 't' has 0 dimensions, must be 1 to 4");
        assertInvalid(minimal(0, 1, 1, 1, 1, 1)).hasMessageContaining("tensor[0] 't' has 5 dimensions, must be 1 to 4");
        assertInvalid(minimal(0, 4, 0)).hasMessageContaining("tensor[0] 't' dimension 1 is 0");
        assertInvalid(minimal(0, 1L << 32, 1L << 32)).hasMessageContaining("overflows 64 bits");
    }

    @Test
    void unknownGgmlType() throws IOException {
        for (long type : new long[] {4, 31, 43, 1000, 0xFFFF_FFFFL}) {
            assertInvalid(RawGguf.header(3, 1, 0).tensor("t", type, 0, 4).align(32).zeros(64))
                    .hasMessageContaining("tensor[0] 't' has unknown ggml type " + type);
        }
    }

    @Test
    void blockSizeMustDivideFirstDimension() throws IOException {
        assertInvalid(RawGguf.header(3, 1, 0).tensor("q", GgmlType.Q4_K.id(), 0, 128, 2).align(32).zeros(400))
                .hasMessageContaining("first dimension 128 is not a multiple of the Q4_K block size 256");
    }

    @Test
    void overlappingTensors() throws IOException {
        assertInvalid(RawGguf.header(3, 2, 0).tensor("a", F32, 0, 16).tensor("b", F32, 32, 4).align(32).zeros(128))
                .hasMessage("bad.gguf: tensor 'a' data [96, 160) overlaps tensor 'b' data [128, 144)");
    }

    @Test
    void duplicates() throws IOException {
        assertInvalid(RawGguf.header(3, 0, 2).kvU32("a", 1).kvU32("a", 2))
                .hasMessageContaining("kv[1] 'a': duplicate key");
        assertInvalid(RawGguf.header(3, 2, 0).tensor("t", F32, 0, 4).tensor("t", F32, 32, 4).align(32).zeros(64))
                .hasMessageContaining("tensor[1] 't': duplicate tensor name");
    }

    @Test
    void badKeysAndNames() throws IOException {
        assertInvalid(RawGguf.header(3, 0, 1).u64(2).raw(new byte[] {(byte) 0xC3, 0x28}).u32(4).u32(1))
                .hasMessageContaining("kv[0] key is not valid UTF-8");
        assertInvalid(RawGguf.header(3, 0, 1).kvU32("", 1)).hasMessageContaining("kv[0] has an empty key");
        assertInvalid(RawGguf.header(3, 1, 0).tensor("x".repeat(64), F32, 0, 4).align(32).zeros(16))
                .hasMessageContaining("must be 1 to 63 bytes, is 64");
    }

    @Test
    void badValues() throws IOException {
        assertInvalid(RawGguf.header(3, 0, 1).str("k").u32(13).u32(0))
                .hasMessageContaining("kv[0] 'k' value type 13 is unknown");
        assertInvalid(RawGguf.header(3, 0, 1).str("k").u32(GgufValueType.BOOL.id()).u8(2))
                .hasMessageContaining("kv[0] 'k' bool is 2, must be 0 or 1");
        assertInvalid(RawGguf.header(3, 0, 1).str("k").u32(GgufValueType.ARRAY.id()).u32(99).u64(0))
                .hasMessageContaining("kv[0] 'k' array element type 99 is unknown");
        assertInvalid(RawGguf.header(3, 0, 1).str("k").u32(GgufValueType.ARRAY.id())
                .u32(GgufValueType.STRING.id()).u64(2).str("ok").u64(500))
                .hasMessageContaining("kv[0] 'k' element [1] string length 500 exceeds the remaining 0 bytes");
    }

    @Test
    void arrayNestingIsBounded() throws IOException {
        RawGguf ok = RawGguf.header(3, 0, 1).str("k").u32(GgufValueType.ARRAY.id());
        for (int i = 0; i < 7; i++) {
            ok.u32(GgufValueType.ARRAY.id()).u64(1);
        }
        ok.u32(GgufValueType.INT8.id()).u64(1).u8(5);
        GgufFile f = GgufFile.read(ok.writeTo(dir.resolve("nested.gguf")));
        Object expected = 5;
        for (int level = 0; level < 8; level++) {
            expected = List.of(expected);
        }
        assertThat(f.metadata().get("k")).isEqualTo(expected);

        RawGguf deep = RawGguf.header(3, 0, 1).str("k").u32(GgufValueType.ARRAY.id());
        for (int i = 0; i < 8; i++) {
            deep.u32(GgufValueType.ARRAY.id()).u64(1);
        }
        deep.u32(GgufValueType.INT8.id()).u64(1).u8(5);
        assertInvalid(deep)
                .hasMessageContaining("kv[0] 'k' element [0][0][0][0][0][0][0][0] array is nested more than 8 deep");
    }

    @Test
    void alignmentMustBeAUint32PowerOfTwo() throws IOException {
        assertInvalid(RawGguf.header(3, 0, 1).kvU32("general.alignment", 48))
                .hasMessageContaining("general.alignment 48 is not a power of two");
        assertInvalid(RawGguf.header(3, 0, 1).kvU32("general.alignment", 0))
                .hasMessageContaining("general.alignment 0 is not a power of two");
        assertInvalid(RawGguf.header(3, 0, 1).kvString("general.alignment", "32"))
                .hasMessageContaining("general.alignment must be UINT32");
    }

    @Test
    void missingOrUnreadableFileIsALoadErrorNotAnInvalidModel() {
        assertThatThrownBy(() -> GgufFile.read(dir.resolve("absent.gguf")))
                .isExactlyInstanceOf(ModelLoadException.class).hasMessageContaining("no such file");
        assertThatThrownBy(() -> GgufFile.read(dir)).isExactlyInstanceOf(ModelLoadException.class);
    }
}

package io.tokenflow.speculative;

import io.tokenflow.internal.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;

/**
 * Token Recycling's memory: for every vocabulary token, the top-k tokens most recently predicted right after it.
 * {@code int[V][k]} stored flat, zero-initialised. A row whose first two entries are both 0 has never been written
 * (a real top-k row holds k distinct ids). Not thread-safe.
 *
 * <p>File format (big-endian): magic {@code "TFRECYC1"}, int32 V, int32 k, V*k int32 ids row-major, then the CRC-32
 * of everything before it as an int32.
 */
final class AdjacencyMatrix {

    private static final byte[] MAGIC = "TFRECYC1".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER = MAGIC.length + 8;

    private final int vocabSize;
    private final int k;
    private final int[] rows;

    public AdjacencyMatrix(int vocabSize, int k) {
        if (vocabSize <= 0) throw new IllegalArgumentException("vocabSize must be positive, got " + vocabSize);
        if (k <= 0 || k > 64) throw new IllegalArgumentException("k must be in [1, 64], got " + k);
        if ((long) vocabSize * k > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("matrix too large: " + vocabSize + " x " + k);
        }
        this.vocabSize = vocabSize;
        this.k = k;
        this.rows = new int[vocabSize * k];
    }

    public int vocabSize() { return vocabSize; }

    public int k() { return k; }

    /** Candidate {@code rank} after {@code token}. */
    public int get(int token, int rank) {
        checkToken(token);
        if (rank < 0 || rank >= k) throw new IndexOutOfBoundsException("rank " + rank + " outside [0, " + k + ")");
        return rows[token * k + rank];
    }

    public int[] row(int token) {
        checkToken(token);
        return Arrays.copyOfRange(rows, token * k, token * k + k);
    }

    /** Whether the row of {@code token} was ever written (see the class comment). */
    public boolean known(int token) {
        checkToken(token);
        int at = token * k;
        return k == 1 ? rows[at] != 0 : (rows[at] | rows[at + 1]) != 0;
    }

    /** Overwrites the row of {@code token} with {@code src[offset .. offset + k)}; every id must be in [0, V). */
    public void setRow(int token, int[] src, int offset) {
        checkToken(token);
        if (offset < 0 || offset + k > src.length) {
            throw new IndexOutOfBoundsException("row [" + offset + ", " + (offset + k) + ") outside [0, " + src.length + ")");
        }
        for (int j = offset; j < offset + k; j++) {
            if (src[j] < 0 || src[j] >= vocabSize) {
                throw new IllegalArgumentException("candidate id " + src[j] + " outside the vocabulary [0, " + vocabSize + ")");
            }
        }
        System.arraycopy(src, offset, rows, token * k, k);
    }

    /** Forgets everything (all rows zero). */
    public void clear() { Arrays.fill(rows, 0); }

    /** Writes the matrix to {@code path} atomically (a temporary file in the same folder, then a rename). */
    public void save(Path path) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(HEADER + rows.length * 4 + 4).order(ByteOrder.BIG_ENDIAN);
        buf.put(MAGIC).putInt(vocabSize).putInt(k);
        buf.asIntBuffer().put(rows);
        buf.position(HEADER + rows.length * 4);
        CRC32 crc = new CRC32();
        crc.update(buf.array(), 0, buf.position());
        buf.putInt((int) crc.getValue());
        Path abs = path.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null) Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, abs.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, buf.array());
            AtomicFiles.replace(tmp, abs);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Replaces this matrix's contents with the file's; the file's V and k must equal this matrix's. */
    public void load(Path path) throws IOException {
        int[] data = readRows(path, vocabSize, k);
        System.arraycopy(data, 0, rows, 0, rows.length);
    }

    /** Reads a saved matrix, checking magic, size, checksum and that it has the expected V and k. */
    public static AdjacencyMatrix read(Path path, int vocabSize, int k) throws IOException {
        AdjacencyMatrix m = new AdjacencyMatrix(vocabSize, k);
        m.load(path);
        return m;
    }

    private static int[] readRows(Path path, int vocabSize, int k) throws IOException {
        byte[] bytes = Files.readAllBytes(path);
        if (bytes.length < HEADER + 4 || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new IOException(path + " is not a Token Recycling matrix (bad magic)");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN);
        int v = buf.getInt(MAGIC.length);
        int kk = buf.getInt(MAGIC.length + 4);
        if (v != vocabSize || kk != k) {
            throw new IllegalArgumentException(path + " holds a " + v + " x " + kk + " matrix, expected V = " + vocabSize + ", k = " + k
                    + " (a matrix from another model or setting)");
        }
        long expected = HEADER + (long) v * kk * 4 + 4;
        if (bytes.length != expected) throw new IOException(path + " is truncated or padded: " + bytes.length + " bytes, expected " + expected);
        CRC32 crc = new CRC32();
        crc.update(bytes, 0, bytes.length - 4);
        if ((int) crc.getValue() != buf.getInt(bytes.length - 4)) throw new IOException(path + " is corrupt (checksum mismatch)");
        int[] data = new int[v * kk];
        buf.position(HEADER);
        buf.asIntBuffer().get(data);
        for (int id : data) {
            if (id < 0 || id >= v) throw new IOException(path + " holds token id " + id + " outside [0, " + v + ")");
        }
        return data;
    }

    private void checkToken(int token) {
        if (token < 0 || token >= vocabSize) throw new IndexOutOfBoundsException("token " + token + " outside [0, " + vocabSize + ")");
    }
}

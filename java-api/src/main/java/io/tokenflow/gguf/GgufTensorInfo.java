package io.tokenflow.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * One tensor's entry in a GGUF header.
 *
 * @param name     unique tensor name
 * @param dims     1 to 4 dimensions, ggml order ({@code ne0}, the contiguous one, first)
 * @param type     element type
 * @param offset   start of the tensor's bytes, relative to the file's data section
 * @param byteSize number of bytes of tensor data (excluding alignment padding)
 */
public record GgufTensorInfo(String name, long[] dims, GgmlType type, long offset, long byteSize) {

    public GgufTensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        dims = dims.clone();
    }

    @Override
    public long[] dims() { return dims.clone(); }

    /** Number of elements: the product of the dimensions. */
    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && name.equals(t.name) && Arrays.equals(dims, t.dims)
                && type == t.type && offset == t.offset && byteSize == t.byteSize;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(dims), type, offset, byteSize);
    }

    @Override
    public String toString() {
        return name + " " + type + Arrays.toString(dims) + " @" + offset + "+" + byteSize;
    }
}

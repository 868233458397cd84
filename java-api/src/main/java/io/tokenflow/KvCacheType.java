package io.tokenflow;

/** Element type of the KV cache (ggml types). F32 is exact; F16 halves memory; Q8_0 quarters it. */
public enum KvCacheType {
    F32(0, 4.0), F16(1, 2.0), BF16(30, 2.0), Q8_0(8, 34.0 / 32), Q4_0(2, 18.0 / 32);

    final int ggmlType;
    final double bytesPerElement;

    KvCacheType(int ggmlType, double bytesPerElement) {
        this.ggmlType = ggmlType;
        this.bytesPerElement = bytesPerElement;
    }

    public double bytesPerElement() { return bytesPerElement; }
}

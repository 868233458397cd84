package io.tokenflow;

/** Whether llama.cpp uses flash attention; AUTO lets it decide per backend. */
public enum FlashAttention {
    AUTO(-1), OFF(0), ON(1);

    final int nativeValue;

    FlashAttention(int v) { this.nativeValue = v; }
}

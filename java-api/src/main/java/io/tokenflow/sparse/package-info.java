/**
 * Query-aware sparse attention at decode time: every token stays in the KV cache, and each step every sparse layer
 * reads only the K/V rows its current query needs (Quest, TidalDecode, TokenSelect; {@link SparseAttention}).
 * Selection and masking run natively inside llama.cpp's graph; {@link SparseStats} reports what was read.
 */
package io.tokenflow.sparse;

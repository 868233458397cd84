package io.tokenflow;

/** Special token ids of a vocabulary; -1 where the model has none. */
public record SpecialTokens(int bos, int eos, int eot, int sep, int nl, int pad, boolean addBos) {}

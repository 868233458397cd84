package io.tokenflow.server;

/**
 * Sampling defaults when a request leaves a field out: llama.cpp's server defaults (temperature 0.8, top-p 0.95,
 * top-k 40, min-p 0.05) rather than OpenAI's (temperature 1, top-p 1), so a model answers here as it does in
 * llama-server. Temperature 0 is greedy.
 */
final class Defaults {
    static final double TEMPERATURE = 0.8;
    static final double TOP_P = 0.95;
    static final int TOP_K = 40;
    static final double MIN_P = 0.05;

    private Defaults() {}
}

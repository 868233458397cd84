/**
 * tokenflow's OpenAI-compatible HTTP server: {@link io.tokenflow.server.TokenflowServer} serves one model over
 * {@code /v1/chat/completions}, {@code /v1/completions}, {@code /v1/embeddings}, {@code /v1/models}, {@code /health},
 * {@code /metrics}, {@code /tokenize} and {@code /detokenize}, with plain requests continuously batched and requests
 * that ask for speculation, KV compression or sparse attention run one at a time in a context of their own (see
 * server/README.md).
 */
package io.tokenflow.server;

package io.tokenflow.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code -m MODEL} and {@code --verbose}: what every command that loads a model takes. */
final class CommonOptions {
    /** System property or environment variable naming the model to use when {@code -m} is omitted. */
    static final String DEFAULT_MODEL = "TOKENFLOW_DEFAULT_MODEL";

    @Option(names = {"-m", "--model"}, paramLabel = "MODEL",
            description = "GGUF model file (default: $" + DEFAULT_MODEL + ", else the small model packaged in tokenflow).")
    Path model;

    @Option(names = "--rpc", paramLabel = "HOST:PORT[,...]",
            description = "Put the model's layers on llama.cpp RPC servers (started with 'tokenflow rpc-server' on"
                    + " those machines), split by their memory; the rest runs here.")
    String rpc;

    @Option(names = {"-ngl", "--gpu-layers"}, paramLabel = "N", defaultValue = "0",
            description = "Layers to offload to the GPU (-Pcuda natives with an NVIDIA GPU) or to the --rpc servers; -1 or 99: "
                    + "all (default: 0, CPU only; with --rpc: all).")
    int gpuLayers;

    @Option(names = {"-sm", "--split-mode"}, paramLabel = "MODE", defaultValue = "layer",
            description = "How offloaded layers spread over several devices: none (all on --main-gpu), layer, row (default: ${DEFAULT-VALUE}).")
    String splitMode;

    @Option(names = {"-mg", "--main-gpu"}, paramLabel = "I", defaultValue = "0",
            description = "With --split-mode none: the device used (RPC servers first, then GPUs; default: ${DEFAULT-VALUE}).")
    int mainGpu;

    @Option(names = {"-ts", "--tensor-split"}, paramLabel = "N0,N1,...",
            description = "Share of the offloaded layers per device, e.g. 3,1 (default: by free memory).")
    String tensorSplit;

    @Option(names = {"-v", "--verbose"},
            description = "Show llama.cpp's log and tokenflow's debug lines on stderr, and stack traces of errors.")
    boolean verbose;

    /** The model to load: {@code -m}, else {@value #DEFAULT_MODEL}, else the model packaged in the jar. */
    Path modelPath() {
        if (model != null) return model;
        String fallback = System.getProperty(DEFAULT_MODEL, System.getenv(DEFAULT_MODEL));
        if (fallback != null && !fallback.isBlank()) return Path.of(fallback.trim());
        return io.tokenflow.DefaultModel.path();
    }
}

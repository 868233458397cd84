package io.tokenflow.cli;

import io.tokenflow.Model;
import io.tokenflow.ModelOptions;
import io.tokenflow.Tokenflow;
import io.tokenflow.train.InductionModel;
import java.nio.file.Files;
import java.nio.file.Path;

/** Loads the model of a command: log routing, a progress bar on stderr, and errors that name the file. */
final class ModelLoading {
    /** {@code -m tokenflow:induction}: the hand-constructed retrieval model (see InductionModel), written once into the cache. */
    static final String INDUCTION = "tokenflow:induction";

    private ModelLoading() {}

    static Model load(CommonOptions options, CliIo io) {
        Path path = options.modelPath();
        if (path.toString().equals(INDUCTION)) {
            try {
                path = InductionModel.cached();
            } catch (java.io.IOException e) {
                throw new CliException("could not write the induction model: " + e.getMessage(), ExitCodes.RUNTIME, e);
            }
        } else if (SyntheticModels.isSynthetic(path.toString())) {
            path = SyntheticModels.resolve(path.toString(), new StatusLine(io.err(), Terminal.progressOnStderr(io.errIsTerminal())));
        }
        if (!Files.exists(path)) { // before touching native code: a typo needs no native library
            throw new CliException("model file not found: " + path, ExitCodes.RUNTIME);
        }
        ModelOptions.Builder modelOptions = ModelOptions.builder();
        try {
            modelOptions.rpcServers(options.rpc);
        } catch (IllegalArgumentException e) {
            throw new CliException("--rpc: " + e.getMessage(), ExitCodes.USAGE);
        }
        devices(modelOptions, options);
        NativeLogging.configure(options.verbose, io.err());
        if (options.verbose) {
            io.err().println("tokenflow: system: " + Tokenflow.systemInfo());
            io.err().flush();
        }
        StatusLine bar = new StatusLine(io.err(), Terminal.progressOnStderr(io.errIsTerminal()));
        String label = "loading " + path.getFileName();
        bar.progress(label, 0);
        try {
            Model model = Model.load(path, modelOptions.progress(f -> bar.progress(label, f)).build());
            bar.progress(label, 1);
            bar.done();
            return model;
        } catch (RuntimeException e) {
            bar.clear();
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            String name = path.getFileName() == null ? path.toString() : path.getFileName().toString();
            if (!msg.contains(name)) msg = path + ": " + msg;
            throw new CliException(msg, ExitCodes.RUNTIME, e);
        }
    }

    /** -ngl, -sm, -mg, -ts into the model options (llama.cpp's names and meanings); usage errors name the flag. */
    static void devices(ModelOptions.Builder b, CommonOptions o) {
        if (o.gpuLayers < -1) throw new CliException("--gpu-layers must be >= -1, got " + o.gpuLayers, ExitCodes.USAGE);
        // llama.cpp's tools take 99 (or any count past the model's layers) for "all"
        b.gpuLayers(o.gpuLayers);
        try {
            b.splitMode(ModelOptions.SplitMode.valueOf(o.splitMode.strip().toUpperCase(java.util.Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            throw new CliException("--split-mode must be none, layer or row, got '" + o.splitMode + "'", ExitCodes.USAGE);
        }
        if (o.mainGpu < -1 || o.mainGpu > 63) throw new CliException("--main-gpu must be in [-1, 63], got " + o.mainGpu, ExitCodes.USAGE);
        b.mainGpu(o.mainGpu);
        if (o.tensorSplit != null && !o.tensorSplit.isBlank()) {
            String[] parts = o.tensorSplit.split("[,/]");
            float[] shares = new float[parts.length];
            try {
                for (int i = 0; i < parts.length; i++) shares[i] = Float.parseFloat(parts[i].strip());
                b.tensorSplit(shares);
                b.build();  // the record checks the shares
            } catch (IllegalArgumentException e) {
                throw new CliException("--tensor-split: " + e.getMessage(), ExitCodes.USAGE);
            }
        }
    }
}

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
}

package io.tokenflow.cli;

import io.tokenflow.RpcServer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tokenflow rpc-server}: llama.cpp's RPC server (the pinned ggml-rpc, as its rpc-server tool) serving this
 * machine's CPU to models loaded elsewhere with {@code --rpc}. Warns, as llama.cpp does, that it is unauthenticated;
 * louder when it listens beyond loopback (it refuses nothing: a trusted private network is a valid place).
 */
@Command(name = "rpc-server", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve this machine's CPU to models on other machines (they load with --rpc HOST:PORT).",
                "Unauthenticated and unencrypted: keep it on loopback or a trusted private network."})
final class RpcServerCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--host", paramLabel = "HOST", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host = "127.0.0.1";

    @Option(names = {"-p", "--port"}, paramLabel = "PORT", description = "Port to listen on (default: ${DEFAULT-VALUE}).")
    int port = 50052;

    @Option(names = {"-t", "--threads"}, paramLabel = "N",
            description = "CPU threads that compute for clients (default: the available processors).")
    Integer threads;

    @Option(names = {"-c", "--cache"}, paramLabel = "DIR",
            description = "Keep large tensors in this existing folder by hash, so a client reloading a model sends only hashes.")
    Path cache;

    @Option(names = {"-v", "--verbose"}, description = "Show llama.cpp's log on stderr.")
    boolean verbose;

    @Override
    public Integer call() {
        CliIo io = Main.io(spec);
        int n = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        boolean loopback;
        try {
            loopback = RpcServer.isLoopback(host);
            if (port < 1 || port > 65535) throw new IllegalArgumentException("port must be in 1..65535, got " + port);
            if (n < 1 || n > 1024) throw new IllegalArgumentException("threads must be in 1..1024, got " + n);
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
        io.err().println(RpcServer.WARNING);
        if (!loopback) {
            io.err().println("WARNING: --host " + host + " is not loopback: every machine that can reach " + host + ":"
                    + port + " can use this server and read its memory. Make sure only trusted machines can.");
        }
        io.err().printf("tokenflow: RPC server on %s:%d with %d threads (Ctrl-C stops it)%n", host, port, n);
        io.err().flush();
        NativeLogging.configure(verbose, io.err());
        try {
            RpcServer.run(host, port, n, cache);  // returns only by throwing
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        } catch (RuntimeException e) {
            throw new CliException(e.getMessage(), ExitCodes.RUNTIME, e);
        }
        return ExitCodes.RUNTIME;
    }
}

package io.tokenflow.cli;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The {@code tokenflow} command: generate, chat, serve, inspect, bench, eval, train-tiny, rpc-server. */
@Command(name = "tokenflow", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "LLM inference on the JVM over a pinned llama.cpp.",
        subcommands = {GenerateCommand.class, ChatCommand.class, ServeCommand.class, InspectCommand.class, BenchCommand.class, EvalCommand.class,
                TrainTinyCommand.class, RpcServerCommand.class,
                CommandLine.HelpCommand.class},
        footer = {"", "Exit codes: 0 ok, 1 runtime error, 2 usage error.",
                "Run 'tokenflow help COMMAND' for the options of a command."})
public final class Main implements Callable<Integer> {
    @Spec CommandSpec spec;

    private final CliIo io;

    Main(CliIo io) {
        this.io = io;
    }

    /** The streams of this run (subcommands reach them through their root command). */
    CliIo io() { return io; }

    static CliIo io(CommandSpec spec) {
        return ((Main) spec.root().userObject()).io;
    }

    @Override
    public Integer call() {
        spec.commandLine().usage(io.err());
        return ExitCodes.USAGE;
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out), StandardCharsets.UTF_8));
        PrintWriter err = new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.err), StandardCharsets.UTF_8));
        boolean errTty = Terminal.isTerminal(2);
        boolean interactive = Terminal.isTerminal(0) && Terminal.isTerminal(1);
        int code = run(args, new CliIo(System.in, out, err, errTty, interactive));
        System.exit(code);
    }

    /** Runs one command line with these streams; returns the exit code. Never throws. */
    static int run(String[] args, CliIo io) {
        try {
            return newCommandLine(io).execute(args);
        } catch (Throwable t) { // an Error (no native library, out of memory) escaping picocli
            return ErrorReporting.report(t, io.err(), ErrorReporting.verbose(args));
        } finally {
            io.out().flush();
            io.err().flush();
        }
    }

    /** For tests: stdin empty, stdout/stderr captured, no terminal. */
    static int run(String[] args, InputStream in, PrintWriter out, PrintWriter err) {
        return run(args, new CliIo(in, out, err, false, false));
    }

    static CommandLine newCommandLine(CliIo io) {
        CommandLine cl = new CommandLine(new Main(io));
        cl.setOut(io.out());
        cl.setErr(io.err());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExecutionExceptionHandler(ErrorReporting::handleExecutionException);
        cl.setParameterExceptionHandler(ErrorReporting::handleParameterException);
        return cl;
    }
}

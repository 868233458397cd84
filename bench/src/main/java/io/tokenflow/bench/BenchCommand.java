package io.tokenflow.bench;

import io.tokenflow.Tokenflow;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.concurrent.Callable;
import picocli.CommandLine;

/**
 * What the benchmark programs share: each is a picocli {@code @Command} whose {@code main} is
 * {@code System.exit(BenchCommand.execute(new X(), args))}, with usage on {@code --help} and a bad argument reported as
 * one line (exit status 2, as the hand-written parsing had) instead of a stack trace or the whole usage text. The
 * programs that run models extend this class: llama.cpp's log is switched off before {@link #run()}.
 */
abstract class BenchCommand implements Callable<Integer> {
    /** The measurement, with the arguments parsed into the subclass's fields. */
    abstract void run() throws IOException;

    @Override
    public final Integer call() throws IOException {
        Tokenflow.setNativeLogLevel(Level.OFF);
        run();
        return 0;
    }

    /** The median of x (the upper one for an even count), x unchanged. */
    static double median(double[] x) {
        double[] y = x.clone();
        java.util.Arrays.sort(y);
        return y[y.length / 2];
    }

    /**
     * Sleeps: between two sessions' measurements, so that the last one's polling ggml thread pool has gone idle and
     * does not compete for the cores.
     */
    static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Writes text to out through a temporary file beside it, so a reader never sees half a result. */
    static void writeAtomically(java.nio.file.Path out, CharSequence text) throws IOException {
        java.nio.file.Path parent = out.toAbsolutePath().getParent();
        java.nio.file.Files.createDirectories(parent);
        java.nio.file.Path tmp = java.nio.file.Files.createTempFile(parent, out.getFileName().toString(), ".tmp");
        java.nio.file.Files.writeString(tmp, text);
        io.tokenflow.internal.AtomicFiles.replace(tmp, out);
    }

    /** Parses {@code args} into {@code command}, runs it and returns the exit status (0 when it completed). */
    static int execute(Callable<Integer> command, String[] args) {
        CommandLine cl = new CommandLine(command);
        cl.setParameterExceptionHandler((e, a) -> {
            CommandLine c = e.getCommandLine();
            c.getErr().println(c.getCommandName() + ": " + e.getMessage() + " (--help for usage)");
            c.getErr().flush();
            return c.getCommandSpec().exitCodeOnInvalidInput();
        });
        return cl.execute(args);
    }
}

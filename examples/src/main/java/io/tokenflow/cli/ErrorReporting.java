package io.tokenflow.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Turns every failure into one line on stderr ({@code tokenflow: error: ...}) and an exit code: 2 for usage
 * errors (bad options, invalid values), 1 for everything else. Stack traces only with {@code --verbose}.
 */
final class ErrorReporting {
    private ErrorReporting() {}

    static int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parsed) {
        return report(ex, cmd.getErr(), verbose(parsed));
    }

    static int handleParameterException(ParameterException ex, String[] args) {
        PrintWriter err = ex.getCommandLine().getErr();
        String name = ex.getCommandLine().getCommandSpec().qualifiedName();
        err.println("tokenflow: error: " + oneLine(ex.getMessage()) + " (see '" + name + " --help')");
        err.flush();
        return ExitCodes.USAGE;
    }

    static int report(Throwable t, PrintWriter err, boolean verbose) {
        int code = t instanceof CliException c ? c.exitCode()
                : t instanceof IllegalArgumentException ? ExitCodes.USAGE
                : ExitCodes.RUNTIME;
        if (verbose) {
            t.printStackTrace(err);
        }
        err.println("tokenflow: error: " + describe(t));
        err.flush();
        return code;
    }

    static String describe(Throwable t) {
        String msg = t.getMessage();
        boolean nativeClass = t instanceof NoClassDefFoundError && msg != null && msg.contains("io.tokenflow.internal");
        if (t instanceof UnsatisfiedLinkError || nativeClass) {
            return "the native library could not be loaded: " + oneLine(msg);
        }
        if (t instanceof OutOfMemoryError) {
            return "out of Java heap memory (" + oneLine(msg) + "); raise -Xmx";
        }
        if (msg == null || msg.isBlank()) {
            return t.getClass().getSimpleName() + (t.getCause() != null ? ": " + describe(t.getCause()) : "");
        }
        return oneLine(msg);
    }

    static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    static boolean verbose(ParseResult parsed) {
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) return true;
        }
        return false;
    }

    static boolean verbose(String[] args) {
        return args != null && Arrays.stream(args).anyMatch(a -> a.equals("--verbose") || a.equals("-v"));
    }
}

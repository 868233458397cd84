package io.tokenflow.cli;

/** A failure the CLI reports as one line on stderr, with the process exit code to use. */
final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int exitCode;

    CliException(String message, int exitCode) {
        this(message, exitCode, null);
    }

    CliException(String message, int exitCode, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    /** A usage error (exit code 2): a missing or invalid argument. */
    static CliException usage(String message) {
        return new CliException(message, ExitCodes.USAGE);
    }

    int exitCode() { return exitCode; }
}

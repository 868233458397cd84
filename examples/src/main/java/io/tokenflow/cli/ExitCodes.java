package io.tokenflow.cli;

/** Process exit codes of the {@code tokenflow} command. */
final class ExitCodes {
    /** Success. */
    static final int OK = 0;
    /** A runtime failure: unloadable model, context overflow, native error, I/O error. */
    static final int RUNTIME = 1;
    /** A usage failure: unknown option, missing or invalid argument value. */
    static final int USAGE = 2;
    /** A long job stopped at its time budget and can be resumed (train-tiny). */
    static final int INCOMPLETE = 3;

    private ExitCodes() {}
}

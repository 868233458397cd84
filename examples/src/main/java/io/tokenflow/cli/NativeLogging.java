package io.tokenflow.cli;

import io.tokenflow.Tokenflow;
import java.io.PrintWriter;
import java.lang.System.Logger.Level;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Where log lines go: with {@code --verbose}, llama.cpp's own log (INFO and above, verbatim) and tokenflow's
 * debug lines to stderr; otherwise llama.cpp is silenced and only tokenflow warnings are shown, one line each.
 */
final class NativeLogging {
    // tokenflow logs through System.Logger, which is java.util.logging in the CLI's runtime.
    private static final Logger TOKENFLOW = Logger.getLogger("io.tokenflow");
    private static final String NATIVE = "io.tokenflow.llama";

    private NativeLogging() {}

    static synchronized void configure(boolean verbose, PrintWriter err) {
        for (Handler h : TOKENFLOW.getHandlers()) {
            if (h instanceof ErrHandler) TOKENFLOW.removeHandler(h);
        }
        TOKENFLOW.setUseParentHandlers(false);
        TOKENFLOW.setLevel(verbose ? java.util.logging.Level.FINE : java.util.logging.Level.WARNING);
        TOKENFLOW.addHandler(new ErrHandler(err));
        Tokenflow.setNativeLogLevel(verbose ? Level.INFO : Level.OFF);
    }

    /** Writes llama.cpp's lines as they are and other records as {@code tokenflow: LEVEL: message}. */
    private static final class ErrHandler extends Handler {
        private final PrintWriter err;

        ErrHandler(PrintWriter err) {
            this.err = err;
            setLevel(java.util.logging.Level.ALL);
        }

        @Override
        public void publish(LogRecord r) {
            if (r == null || !isLoggable(r)) return;
            String msg = r.getMessage() == null ? "" : r.getMessage();
            synchronized (err) {
                if (NATIVE.equals(r.getLoggerName())) {
                    err.println(msg); // one complete llama.cpp line, without its newline
                } else {
                    String level = r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue() ? "warning" : "debug";
                    err.println("tokenflow: " + level + ": " + msg);
                }
                err.flush();
            }
        }

        @Override
        public void flush() { err.flush(); }

        @Override
        public void close() { flush(); }
    }
}

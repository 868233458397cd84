package io.tokenflow.cli;

import io.tokenflow.Tokenflow;
import java.io.PrintWriter;
import java.lang.System.Logger.Level;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Where log lines go: with {@code --verbose}, llama.cpp's own log (INFO and above, verbatim) and tokenflow's
 * debug lines to stderr; otherwise llama.cpp is silenced and only tokenflow warnings are shown, one line each. The
 * server's Jetty and Javalin records (SLF4J, bound to java.util.logging) go the same way: INFO with --verbose, else
 * warnings only.
 */
final class NativeLogging {
    // tokenflow logs through System.Logger, which is java.util.logging in the CLI's runtime.
    private static final Logger TOKENFLOW = Logger.getLogger("io.tokenflow");
    private static final String NATIVE = "io.tokenflow.llama";
    // The server's libraries log through SLF4J, bound to java.util.logging (slf4j-jdk14): same handler, quieter level.
    private static final Logger[] LIBRARIES = {Logger.getLogger("org.eclipse.jetty"), Logger.getLogger("io.javalin")};

    private NativeLogging() {}

    static synchronized void configure(boolean verbose, PrintWriter err) {
        for (Handler h : TOKENFLOW.getHandlers()) {
            if (h instanceof ErrHandler) TOKENFLOW.removeHandler(h);
        }
        TOKENFLOW.setUseParentHandlers(false);
        TOKENFLOW.setLevel(verbose ? java.util.logging.Level.FINE : java.util.logging.Level.WARNING);
        ErrHandler handler = new ErrHandler(err);
        TOKENFLOW.addHandler(handler);
        for (Logger lib : LIBRARIES) {
            for (Handler h : lib.getHandlers()) {
                if (h instanceof ErrHandler) lib.removeHandler(h);
            }
            lib.setUseParentHandlers(false);
            lib.setLevel(verbose ? java.util.logging.Level.INFO : java.util.logging.Level.WARNING);
            lib.addHandler(handler);
        }
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

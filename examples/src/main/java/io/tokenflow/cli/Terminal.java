package io.tokenflow.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/** Whether the process's standard streams are terminals (Java has no isatty; Linux's /proc answers it). */
final class Terminal {
    private Terminal() {}

    /** Whether file descriptor {@code fd} (0, 1 or 2) of this process is a terminal. */
    static boolean isTerminal(int fd) {
        try {
            String target = Path.of("/proc/self/fd/" + fd).toRealPath().toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
        } catch (IOException | RuntimeException e) {
            return System.console() != null;
        }
    }

    /**
     * Whether progress lines go to stderr: {@code TOKENFLOW_PROGRESS} (system property or environment variable)
     * {@code always} or {@code never} decides, otherwise whether stderr is a terminal.
     */
    static boolean progressOnStderr(boolean stderrIsTerminal) {
        String v = System.getProperty("TOKENFLOW_PROGRESS", System.getenv("TOKENFLOW_PROGRESS"));
        if (v != null) {
            v = v.trim().toLowerCase(Locale.ROOT);
            if (v.equals("always") || v.equals("1") || v.equals("true")) return true;
            if (v.equals("never") || v.equals("0") || v.equals("false")) return false;
        }
        return stderrIsTerminal;
    }
}

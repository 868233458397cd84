package io.tokenflow.internal;

import io.tokenflow.ContextOverflowException;
import io.tokenflow.NativeException;
import java.util.concurrent.CancellationException;

/**
 * The one table that turns libtokenflow's {@code TF_ERR_*} return codes into Java exceptions; every native owner in
 * this package checks through it, so a code means the same thing wherever it comes back.
 *
 * <table>
 *   <caption>return code to exception</caption>
 *   <tr><td>{@code TF_ERR_ARG}</td><td>{@link IllegalArgumentException}: an argument the Java checks let through</td></tr>
 *   <tr><td>{@code TF_ERR_NO_SLOT}</td><td>{@link ContextOverflowException}: the KV cache has no room</td></tr>
 *   <tr><td>{@code TF_ERR_ABORTED}</td><td>{@link CancellationException}: {@code cancel()} interrupted the call</td></tr>
 *   <tr><td>{@code TF_ERR_NATIVE}, {@code TF_ERR_BUFFER}, other</td><td>{@link NativeException}</td></tr>
 * </table>
 */
public final class NativeErrors {
    /** {@code TF_OK} and {@code TF_ERR_ARG}, for native owners outside this package (the trainer). */
    public static final int OK = TokenflowNative.TF_OK;
    public static final int ERR_ARG = TokenflowNative.TF_ERR_ARG;

    private NativeErrors() {}

    /** {@code rc} itself when it is not an error (>= 0); otherwise the table's exception, with the native message. */
    public static int check(int rc, String what) {
        if (rc >= 0) return rc;
        throw toException(rc, what);
    }

    /** The exception for an error code (< 0): "{@code what}: native message". */
    public static RuntimeException toException(int rc, String what) {
        String msg = what + ": " + lastError();
        return switch (rc) {
            case TokenflowNative.TF_ERR_ARG -> new IllegalArgumentException(msg);
            case TokenflowNative.TF_ERR_NO_SLOT -> new ContextOverflowException(msg);
            case TokenflowNative.TF_ERR_ABORTED -> new CancellationException(msg);
            default -> new NativeException(msg + " (code " + rc + ")");
        };
    }

    /** The calling thread's last native error message (empty when none). */
    public static String lastError() {
        org.bytedeco.javacpp.BytePointer p = TokenflowNative.tf_last_error();
        return p == null || p.isNull() ? "" : p.getString(java.nio.charset.StandardCharsets.UTF_8);
    }
}

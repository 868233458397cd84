package io.tokenflow;

import io.tokenflow.internal.NativeErrors;
import io.tokenflow.internal.TokenflowNative;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * llama.cpp's RPC server (ggml-rpc) in this process: serves this machine's CPU as a device that other processes'
 * models put layers on ({@link ModelOptions.Builder#rpcServers(String)}; llama.cpp's own clients too). One client
 * connection at a time. {@link #run} blocks for as long as it serves.
 *
 * <p><b>Unauthenticated and unencrypted</b> ({@link #WARNING}): listen on loopback or a trusted private network only.
 */
public final class RpcServer {
    /** llama.cpp's rpc-server warning (its own words first), and what it means. */
    public static final String WARNING = """
            WARNING: Never expose the RPC server to an open network!
                     This is an experimental feature and is not secure!
                     It has no authentication and no encryption: anyone who can reach its port can run computations
                     on this machine and read and write the memory buffers it holds (weights, caches, activations).
                     Listen on 127.0.0.1 or a trusted private network only.""";

    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._-]{1,253}");

    private RpcServer() {}

    /**
     * Serves until the process ends.
     *
     * @param host address or name to listen on (no ':'; "127.0.0.1" keeps it on this machine, "0.0.0.0" every
     *     interface)
     * @param port 1..65535
     * @param threads CPU threads that compute for the clients, 1..1024
     * @param cacheDir null, or an existing folder where large tensors are kept by hash, so that a client loading the
     *     same model again sends only hashes
     * @throws IllegalArgumentException an argument is out of range
     * @throws NativeException the server cannot serve (address in use, not a local address, no RPC backend)
     */
    public static void run(String host, int port, int threads, Path cacheDir) {
        checkHost(host);
        if (port < 1 || port > 65535) throw new IllegalArgumentException("port must be in 1..65535, got " + port);
        if (threads < 1 || threads > 1024) throw new IllegalArgumentException("threads must be in 1..1024, got " + threads);
        if (cacheDir != null && !Files.isDirectory(cacheDir)) {
            throw new IllegalArgumentException("cache folder does not exist: " + cacheDir);
        }
        Tokenflow.init();
        int rc = TokenflowNative.tf_rpc_server_run(host, port, threads,
                cacheDir == null ? null : cacheDir.toAbsolutePath().toString());
        throw NativeErrors.toException(rc < 0 ? rc : TokenflowNative.TF_ERR_NATIVE, "rpc server");
    }

    /**
     * Whether {@code host} names only this machine (a loopback address, or a name that resolves to loopback
     * addresses only). Unknown names count as not loopback.
     */
    public static boolean isLoopback(String host) {
        checkHost(host);
        try {
            InetAddress[] all = InetAddress.getAllByName(host);
            for (InetAddress a : all) {
                if (!a.isLoopbackAddress()) return false;
            }
            return all.length > 0;
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static void checkHost(String host) {
        if (host == null || !HOST.matcher(host).matches()) {
            throw new IllegalArgumentException("host must be a name or IPv4 address (letters, digits, '.', '-', '_'), got "
                    + host);
        }
    }
}

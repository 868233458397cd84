package io.tokenflow.it;

import io.tokenflow.RpcServer;

/** A child JVM of {@link RpcTest}: an RPC server on HOST PORT with THREADS threads, until it is killed. */
public final class RpcServerMain {
    private RpcServerMain() {}

    public static void main(String[] args) {
        RpcServer.run(args[0], Integer.parseInt(args[1]), Integer.parseInt(args[2]), null);
    }
}

package io.tokenflow.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.tokenflow.cli.CliTest.Run;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code rpc-server} and {@code --rpc}: argument checks, the security warning, failures as one line (no hang). */
class RpcCliTest {
    @Test
    void badArgumentsAreUsageErrors() {
        Run port = CliTest.run("rpc-server", "--port", "0");
        assertThat(port.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(port.err()).contains("port must be in 1..65535");
        Run host = CliTest.run("rpc-server", "--host", "::1");
        assertThat(host.code()).isEqualTo(ExitCodes.USAGE);
        Run rpc = CliTest.run("generate", "-m", CliTest.stories().toString(), "--rpc", "localhost", "-p", "hi");
        assertThat(rpc.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(rpc.err()).contains("--rpc").contains("not host:port");
    }

    @Test
    void anUnreachableServerIsOneLineAndExitCodeOne() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        int p = port;
        Run r = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> CliTest.run("generate", "-m",
                CliTest.stories().toString(), "--rpc", "127.0.0.1:" + p, "-p", "hi", "-n", "2"));
        assertThat(r.code()).isEqualTo(ExitCodes.RUNTIME);
        assertThat(r.errLines()).as(r.err()).hasSize(1);
        assertThat(r.err()).contains("RPC server 127.0.0.1:" + p + " does not answer");
    }

    @Test
    void theServerWarnsThenFailsCleanlyOnAPortInUse() throws IOException {
        try (ServerSocket taken = new ServerSocket(0)) {  // every interface: no host can listen on this port now
            int port = taken.getLocalPort();
            Run loop = assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> CliTest.run("rpc-server", "--port", Integer.toString(port), "-t", "1"));
            assertThat(loop.code()).isEqualTo(ExitCodes.RUNTIME);
            assertThat(loop.err()).contains("Never expose the RPC server to an open network")
                    .contains("read and write the memory buffers").doesNotContain("is not loopback")
                    .contains("could not listen");
            Run open = assertTimeoutPreemptively(Duration.ofSeconds(30),
                    () -> CliTest.run("rpc-server", "--host", "0.0.0.0", "--port", Integer.toString(port), "-t", "1"));
            assertThat(open.code()).isEqualTo(ExitCodes.RUNTIME);
            assertThat(open.err()).contains("--host 0.0.0.0 is not loopback");
        }
    }
}

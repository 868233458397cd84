package io.tokenflow.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.tokenflow.GenerationOptions;
import io.tokenflow.Model;
import io.tokenflow.ModelLoadException;
import io.tokenflow.ModelOptions;
import io.tokenflow.NativeException;
import io.tokenflow.RpcServer;
import io.tokenflow.Session;
import io.tokenflow.TokenflowException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * llama.cpp's RPC backend on loopback: two RPC servers as child JVMs ({@link RpcServerMain}, the facade's
 * tf_rpc_server_run), the default model's layers split between them.
 */
class RpcTest {
    private static final String PROMPT = "Once upon a time";
    private static final int TOKENS = 24;

    private final List<Process> servers = new ArrayList<>();

    @AfterEach
    void stopServers() throws InterruptedException {
        for (Process p : servers) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void twoServersGiveTheLocalGreedyTokens() throws Exception {
        int[] local = greedy(ModelOptions.defaults());
        int port1 = freePort(), port2 = freePort();
        start(port1);
        start(port2);
        String list = "127.0.0.1:" + port1 + ",127.0.0.1:" + port2;
        int[] remote = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> greedy(ModelOptions.builder().rpcServers(list).build()));
        assertThat(remote).hasSize(TOKENS).containsExactly(local);
    }

    @Test
    void aServerKilledMidGenerationFailsTheCallThenTheModelReloads() throws Exception {
        int[] local = greedy(ModelOptions.defaults());
        int port1 = freePort(), port2 = freePort();
        start(port1);
        Process second = start(port2);
        String list = "127.0.0.1:" + port1 + ",127.0.0.1:" + port2;
        AtomicInteger seen = new AtomicInteger();
        long[] killedAt = new long[1];
        long[] failedAt = new long[1];
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (Model model = Model.loadDefault(ModelOptions.builder().rpcServers(list).build());
                 Session session = model.newSession(ItEnv.sessionOptions(128).build())) {
                assertThatThrownBy(() -> session.generate(PROMPT, GenerationOptions.greedy(TOKENS), (token, text) -> {
                    if (seen.incrementAndGet() == 5) {
                        second.destroyForcibly();
                        try {
                            second.waitFor(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        killedAt[0] = System.nanoTime();
                    }
                })).isInstanceOf(NativeException.class)
                        .hasMessageContaining("RPC server 127.0.0.1:" + port2 + " lost");
                failedAt[0] = System.nanoTime();
                // the model stays refused: a new call, and a new session, fail the same way (no zeros decoded)
                assertThatThrownBy(() -> session.generate(PROMPT, GenerationOptions.greedy(2)))
                        .isInstanceOf(NativeException.class).hasMessageContaining("lost");
                assertThatThrownBy(() -> model.newSession(ItEnv.sessionOptions(128).build()))
                        .isInstanceOf(TokenflowException.class).hasMessageContaining("lost");
            }
        });
        assertThat(seen.get()).isBetween(5, TOKENS - 1);
        assertThat(Duration.ofNanos(failedAt[0] - killedAt[0])).isLessThan(Duration.ofSeconds(5));

        // the same port again: the model loads against the restarted server and gives the same tokens
        start(port2);
        int[] again = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> greedy(ModelOptions.builder().rpcServers(list).build()));
        assertThat(again).containsExactly(local);
    }

    @Test
    void anUnreachableServerFailsTheLoad() {
        int port = freePort();  // nothing listens there
        assertTimeoutPreemptively(Duration.ofSeconds(30), () ->
                assertThatThrownBy(() -> Model.loadDefault(ModelOptions.builder().rpcServers("127.0.0.1:" + port).build()))
                        .isInstanceOf(ModelLoadException.class)
                        .hasMessageContaining("RPC server 127.0.0.1:" + port + " does not answer"));
        // and the process is still fine: a local load works afterwards
        assertThat(greedy(ModelOptions.defaults())).hasSize(TOKENS);
    }

    @Test
    void badServerListsAreRefusedBeforeNativeCode() {
        for (String bad : List.of("localhost", "127.0.0.1:0", "127.0.0.1:65536", "host:12ab", ":5000", "a b:1",
                "127.0.0.1:1,127.0.0.1:1", "[::1]:5000", "127.0.0.1:1,")) {
            assertThatThrownBy(() -> ModelOptions.builder().rpcServers(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(ModelOptions.builder().rpcServers(" 10.0.0.2:50052, gpu-box.lan:1 ").build().rpcServers())
                .isEqualTo("10.0.0.2:50052,gpu-box.lan:1");
        assertThat(ModelOptions.defaults().rpcServers()).isEmpty();
        assertThatThrownBy(() -> RpcServer.run("127.0.0.1", 0, 1, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RpcServer.run("0:0", 5000, 1, null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RpcServer.run("127.0.0.1", 5000, 0, null)).isInstanceOf(IllegalArgumentException.class);
        assertThat(RpcServer.isLoopback("127.0.0.1")).isTrue();
        assertThat(RpcServer.isLoopback("0.0.0.0")).isFalse();
    }

    private static int[] greedy(ModelOptions options) {
        try (Model model = Model.loadDefault(options); Session session = model.newSession(ItEnv.sessionOptions(128).build())) {
            return session.generate(PROMPT, GenerationOptions.greedy(TOKENS)).tokens();
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Starts an RPC server child JVM on the port and waits until it accepts connections. */
    private Process start(int port) throws IOException, InterruptedException {
        Path log = Files.createTempFile("tf-rpc-server", ".log");
        log.toFile().deleteOnExit();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
        if (cache != null) cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
        cmd.addAll(List.of("-Xmx256m", "-XX:-CreateCoredumpOnCrash", "-cp", System.getProperty("java.class.path"),
                RpcServerMain.class.getName(), "127.0.0.1", Integer.toString(port), "1"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("GGML_NO_BACKTRACE", "1");
        Process p = pb.start();
        servers.add(p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) throw new AssertionError("RPC server exited: " + Files.readString(log));
            // the server serves one connection at a time: this probe connects, is served (nothing) and closes
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return p;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new AssertionError("RPC server on port " + port + " did not start: " + Files.readString(log));
    }
}

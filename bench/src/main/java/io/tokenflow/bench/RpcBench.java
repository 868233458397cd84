package io.tokenflow.bench;

import io.tokenflow.GenerationOptions;
import io.tokenflow.Model;
import io.tokenflow.ModelOptions;
import io.tokenflow.RpcServer;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * What llama.cpp's RPC transport costs: greedy decode speed of one model loaded locally (mapped, and read into
 * memory), with all its layers on one loopback RPC server, and split between two, in alternating rounds (medians). The servers are child JVMs of this one
 * ({@code --serve}, the facade's tf_rpc_server_run); the three models stay loaded, the two RPC ones sharing the
 * first server's connection. Loopback has no wire latency or bandwidth limit: this is the protocol's and the
 * pipeline's cost on one machine, a lower bound for real networks. Random-weight models: speed only.
 */
@Command(name = "RpcBench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Decode tokens/s: local vs one vs two loopback llama.cpp RPC servers; writes OUT.json.")
public final class RpcBench extends BenchCommand {
    @Parameters(index = "0", paramLabel = "MODEL", description = "GGUF model.")
    Path model;
    @Parameters(index = "1", arity = "0..1", paramLabel = "OUT.json", defaultValue = "bench/results/rpc.json",
            description = "Output (default: ${DEFAULT-VALUE}).")
    Path out;
    @Option(names = "-r", defaultValue = "3", description = "Alternating rounds (default: ${DEFAULT-VALUE}).")
    int rounds;
    @Option(names = "-n", defaultValue = "32", description = "Tokens generated per measurement (default: ${DEFAULT-VALUE}).")
    int gen;
    @Option(names = "-t", defaultValue = "2", description = "Threads, here and in each server (default: ${DEFAULT-VALUE}).")
    int threads;

    // "local, read": the weights read into memory instead of mapped, as an RPC server holds them (anonymous memory,
    // which may get transparent huge pages): separates the memory's effect from the transport's
    // "local, fastest": single tokens with ggml's default kernels, as the servers run them, instead of tokenflow's
    // batch-invariant ones (SessionOptions.batchInvariant)
    static final String[] SETUPS = {"local", "local, read", "local, fastest", "1 RPC server", "2 RPC servers"};

    public static void main(String[] args) {
        if (args.length == 4 && args[0].equals("--serve")) {  // a server child: --serve HOST PORT THREADS
            RpcServer.run(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]), null);
        }
        System.exit(execute(new RpcBench(), args));
    }

    @Override
    void run() throws IOException {
        List<Process> servers = new ArrayList<>();
        double[][] tps = new double[SETUPS.length][rounds];
        double[] loadSeconds = new double[SETUPS.length];
        try {
            int p1 = freePort(), p2 = freePort();
            servers.add(startServer(p1));
            servers.add(startServer(p2));
            String[] rpc = {"", "", "", "127.0.0.1:" + p1, "127.0.0.1:" + p1 + ",127.0.0.1:" + p2};
            Model[] models = new Model[SETUPS.length];
            Session[] sessions = new Session[SETUPS.length];
            try {
                for (int k = 0; k < SETUPS.length; k++) {
                    long t0 = System.nanoTime();
                    models[k] = Model.load(model, ModelOptions.builder().rpcServers(rpc[k]).useMmap(k != 1).build());
                    loadSeconds[k] = (System.nanoTime() - t0) / 1e9;
                    sessions[k] = models[k].newSession(SessionOptions.builder().contextSize(256).threads(threads)
                            .batchInvariant(k != 2).build());
                    System.err.printf(Locale.ROOT, "loaded %s in %.1f s%n", SETUPS[k], loadSeconds[k]);
                }
                GenerationOptions g = GenerationOptions.builder().maxTokens(gen).ignoreEos(true).temperature(0).build();
                int[] prompt = {1, 450, 4996, 17354};
                for (int k = 0; k < SETUPS.length; k++) sessions[k].generate(prompt, GenerationOptions.builder().maxTokens(2)
                        .ignoreEos(true).build(), (t, s) -> { });  // warm-up: first graphs, caches
                for (int r = 0; r < rounds; r++) {
                    for (int k = 0; k < SETUPS.length; k++) {
                        pause(200);
                        sessions[k].reset();
                        tps[k][r] = sessions[k].generate(prompt, g, (t, s) -> { }).stats().generationTokensPerSecond();
                    }
                    System.err.printf(Locale.ROOT, "\rround %d/%d", r + 1, rounds);
                }
                System.err.println();
            } finally {
                for (int k = SETUPS.length - 1; k >= 0; k--) {
                    if (sessions[k] != null) sessions[k].close();
                    if (models[k] != null) models[k].close();
                }
            }
        } finally {
            for (Process p : servers) {
                p.destroyForcibly();
                try {
                    p.waitFor(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        String variant = io.tokenflow.Tokenflow.cpuVariant();
        System.out.printf(Locale.ROOT, "%s, %d threads (local and per server), CPU variant %s, %d tokens, %d alternating rounds, medians%n",
                model.getFileName(), threads, variant, gen, rounds);
        System.out.println("| setup | decode t/s | vs local | load s |");
        System.out.println("|---|---|---|---|");
        StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
                "{\"model\": \"%s\", \"threads\": %d, \"cpu_variant\": \"%s\", \"rounds\": %d, \"generated\": %d, \"setups\": {",
                model.getFileName(), threads, variant, rounds, gen));
        double local = median(tps[0]);
        for (int k = 0; k < SETUPS.length; k++) {
            double m = median(tps[k]);
            System.out.printf(Locale.ROOT, "| %s | %.2f | %.2fx | %.1f |%n", SETUPS[k], m, m / local, loadSeconds[k]);
            json.append(k == 0 ? "" : ", ").append(String.format(Locale.ROOT,
                    "\"%s\": {\"decode_tokens_per_s\": %.3f, \"rounds\": %s, \"load_s\": %.2f}", SETUPS[k], m,
                    java.util.Arrays.toString(tps[k]), loadSeconds[k]));
        }
        json.append("}}\n");
        writeAtomically(out, json);
        System.out.println("wrote " + out);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private Process startServer(int port) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
        if (cache != null) cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), RpcBench.class.getName(), "--serve", "127.0.0.1",
                Integer.toString(port), Integer.toString(threads)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && p.isAlive()) {
            try (Socket s = new Socket()) {  // served (nothing) and closed: the server then waits for the next client
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return p;
            } catch (IOException notYet) {
                pause(50);
            }
        }
        p.destroyForcibly();
        throw new IOException("RPC server on port " + port + " did not start");
    }
}

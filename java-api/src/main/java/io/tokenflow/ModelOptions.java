package io.tokenflow;

import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * How to load a model. Immutable; build with {@link #builder()}.
 *
 * @param gpuLayers layers to offload to a GPU backend (0 = CPU only, -1 = all)
 * @param useMmap map the file instead of reading it into memory
 * @param vocabOnly load only the tokenizer (no weights; no sessions can be opened)
 * @param progress load progress listener (never null; a no-op by default)
 * @param rpcServers llama.cpp RPC servers ({@code tokenflow rpc-server}) that hold the model's offloaded layers,
 *     {@code host:port} joined by commas ("" = none, the default). Their devices count like GPUs for
 *     {@code gpuLayers}, and with servers {@code gpuLayers} 0 means all layers there (split by their memory)
 */
public record ModelOptions(int gpuLayers, boolean useMmap, boolean vocabOnly, LoadProgressListener progress,
                           String rpcServers) {
    /** At most this many RPC servers (llama.cpp's GGML_RPC_MAX_SERVERS). */
    public static final int MAX_RPC_SERVERS = 16;
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._-]{1,253}");
    private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

    public ModelOptions {
        if (gpuLayers < -1) throw new IllegalArgumentException("gpuLayers must be >= -1, got " + gpuLayers);
        Objects.requireNonNull(progress, "progress");
        rpcServers = checkRpcServers(rpcServers);
    }

    /**
     * Checks a list of RPC servers: {@code host:port} joined by commas, host letters, digits, '.', '-', '_' (a name or
     * an IPv4 address), port 1..65535, no server twice, at most {@link #MAX_RPC_SERVERS}. Null or blank means none.
     *
     * @return the list without blanks around entries ("" for none)
     * @throws IllegalArgumentException when an entry is not a server address
     */
    static String checkRpcServers(String list) {
        if (list == null || list.isBlank()) return "";
        String[] entries = list.split(",", -1);
        if (entries.length > MAX_RPC_SERVERS) {
            throw new IllegalArgumentException("at most " + MAX_RPC_SERVERS + " RPC servers, got " + entries.length);
        }
        Set<String> seen = new HashSet<>();
        StringBuilder out = new StringBuilder();
        for (String raw : entries) {
            String e = raw.strip();
            int colon = e.lastIndexOf(':');
            String host = colon < 0 ? "" : e.substring(0, colon);
            String port = colon < 0 ? "" : e.substring(colon + 1);
            if (!HOST.matcher(host).matches() || !PORT.matcher(port).matches()
                    || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
                throw new IllegalArgumentException("RPC server '" + e + "' is not host:port"
                        + " (host: a name or IPv4 address; port 1..65535)");
            }
            if (!seen.add(e)) throw new IllegalArgumentException("RPC server " + e + " is listed twice");
            if (out.length() > 0) out.append(',');
            out.append(e);
        }
        return out.toString();
    }

    public static ModelOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().gpuLayers(gpuLayers).useMmap(useMmap).vocabOnly(vocabOnly).progress(progress)
                .rpcServers(rpcServers);
    }

    public static final class Builder {
        private int gpuLayers = 0;
        private boolean useMmap = true;
        private boolean vocabOnly = false;
        private LoadProgressListener progress = f -> { };
        private String rpcServers = "";

        public Builder gpuLayers(int n) { this.gpuLayers = n; return this; }
        public Builder useMmap(boolean b) { this.useMmap = b; return this; }
        public Builder vocabOnly(boolean b) { this.vocabOnly = b; return this; }
        public Builder progress(LoadProgressListener l) { this.progress = Objects.requireNonNull(l, "progress"); return this; }
        /** RPC servers, e.g. {@code "10.0.0.2:50052,10.0.0.3:50052"} (see the record's {@code rpcServers}). */
        public Builder rpcServers(String list) { this.rpcServers = checkRpcServers(list); return this; }
        public ModelOptions build() { return new ModelOptions(gpuLayers, useMmap, vocabOnly, progress, rpcServers); }
    }
}

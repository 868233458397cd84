package io.tokenflow;

import java.util.HashSet;
import java.util.List;
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
 * @param splitMode how offloaded layers spread over several GPUs (default {@link SplitMode#LAYER}, as llama.cpp)
 * @param mainGpu with {@link SplitMode#NONE}: the one device used, numbered as llama.cpp does (RPC servers first, then
 *     the GPUs of {@link Tokenflow#devices()} in order); -1 = none. Default 0
 * @param tensorSplit share of the offloaded layers per device, any scale (e.g. {@code [3, 1]}: three quarters on the
 *     first); empty = by free memory (default). At most llama.cpp's device limit entries, each finite and >= 0
 */
public record ModelOptions(int gpuLayers, boolean useMmap, boolean vocabOnly, LoadProgressListener progress,
                           String rpcServers, SplitMode splitMode, int mainGpu, List<Float> tensorSplit) {
    /** How a model offloaded to several devices is spread over them (llama.cpp's split modes). */
    public enum SplitMode {
        /** Everything offloaded goes to {@link ModelOptions#mainGpu()}. */
        NONE,
        /** Whole layers (and their KV cache) per device, in the proportions of {@link ModelOptions#tensorSplit()}. */
        LAYER,
        /** Rows of the weight matrices split across devices (tensor parallelism where the backend supports it). */
        ROW
    }

    /** At most this many RPC servers (llama.cpp's GGML_RPC_MAX_SERVERS). */
    public static final int MAX_RPC_SERVERS = 16;
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._-]{1,253}");
    private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");

    public ModelOptions {
        if (gpuLayers < -1) throw new IllegalArgumentException("gpuLayers must be >= -1, got " + gpuLayers);
        Objects.requireNonNull(progress, "progress");
        rpcServers = checkRpcServers(rpcServers);
        Objects.requireNonNull(splitMode, "splitMode");
        if (mainGpu < -1 || mainGpu > 63) throw new IllegalArgumentException("mainGpu must be in [-1, 63], got " + mainGpu);
        tensorSplit = List.copyOf(Objects.requireNonNull(tensorSplit, "tensorSplit"));
        if (tensorSplit.size() > 64) throw new IllegalArgumentException("tensorSplit has " + tensorSplit.size() + " entries; at most 64");
        double sum = 0;
        for (Float f : tensorSplit) {
            if (f == null || !Float.isFinite(f) || f < 0) throw new IllegalArgumentException("tensorSplit entries must be finite and >= 0, got " + tensorSplit);
            sum += f;
        }
        if (!tensorSplit.isEmpty() && sum <= 0) throw new IllegalArgumentException("tensorSplit entries are all 0");
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
                .rpcServers(rpcServers).splitMode(splitMode).mainGpu(mainGpu).tensorSplit(tensorSplit);
    }

    public static final class Builder {
        private int gpuLayers = 0;
        private boolean useMmap = true;
        private boolean vocabOnly = false;
        private LoadProgressListener progress = f -> { };
        private String rpcServers = "";
        private SplitMode splitMode = SplitMode.LAYER;
        private int mainGpu = 0;
        private List<Float> tensorSplit = List.of();

        public Builder gpuLayers(int n) { this.gpuLayers = n; return this; }
        public Builder useMmap(boolean b) { this.useMmap = b; return this; }
        public Builder vocabOnly(boolean b) { this.vocabOnly = b; return this; }
        public Builder progress(LoadProgressListener l) { this.progress = Objects.requireNonNull(l, "progress"); return this; }
        /** RPC servers, e.g. {@code "10.0.0.2:50052,10.0.0.3:50052"} (see the record's {@code rpcServers}). */
        public Builder rpcServers(String list) { this.rpcServers = checkRpcServers(list); return this; }
        public Builder splitMode(SplitMode m) { this.splitMode = Objects.requireNonNull(m, "splitMode"); return this; }
        public Builder mainGpu(int index) { this.mainGpu = index; return this; }
        /** Shares per device, e.g. {@code tensorSplit(3, 1)}; none: by free memory. */
        public Builder tensorSplit(float... shares) {
            List<Float> l = new java.util.ArrayList<>(shares.length);
            for (float f : shares) l.add(f);
            this.tensorSplit = l;
            return this;
        }
        public Builder tensorSplit(List<Float> shares) { this.tensorSplit = Objects.requireNonNull(shares, "tensorSplit"); return this; }
        public ModelOptions build() {
            return new ModelOptions(gpuLayers, useMmap, vocabOnly, progress, rpcServers, splitMode, mainGpu, tensorSplit);
        }
    }
}

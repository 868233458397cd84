package io.tokenflow.speculative;

import io.tokenflow.SessionOptions;
import io.tokenflow.Tokenflow;
import io.tokenflow.internal.AtomicFiles;
import io.tokenflow.internal.BatchTiming;
import io.tokenflow.internal.NativeSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;

/**
 * Measures, once per (model file, threads, KV type), what decoding a batch of n tokens costs on this machine,
 * for n = 1..{@value #MAX_N} (powers of two measured, the rest interpolated). Speculative tree sizing divides
 * expected accepted tokens by this curve: on a tiny model on 2 CPU cores cost grows linearly with n and no tree
 * pays for itself; on a memory-bound model it stays flat for a while.
 */
final class DecodeCostProbe {
    static final int MAX_N = 32;
    /** Tokens in the scratch cache before the probe batches (attention over a short history, as in a chat). */
    static final int PREFIX = 64;
    private static final Map<String, double[]> CACHE = new ConcurrentHashMap<>();

    private DecodeCostProbe() {}

    /**
     * Seconds per batch of n tokens at index n - 1 for a session with {@code options} on the model in
     * {@code modelFile}. Measured the first time in a scratch context ({@code openScratch} opens one of the given
     * size with the same threads, KV type and flash attention, without compression); the curve is kept in memory
     * and on disk ({@code $TOKENFLOW_CACHE/cost-curves}) so later processes skip it.
     */
    static double[] curve(Path modelFile, SessionOptions options, int vocab, IntFunction<NativeSession> openScratch) {
        Path file = modelFile.toAbsolutePath();
        String key;
        try {
            key = file + "|" + Files.size(file) + "|" + Files.getLastModifiedTime(file).toMillis() + "|"
                    + options.threads() + "|" + options.kvCacheType() + "|"
                    + options.flashAttention() + "|" + MAX_N;
        } catch (IOException e) {
            key = file + "|" + options.threads() + "|" + options.kvCacheType();
        }
        double[] known = CACHE.get(key);
        if (known == null) known = load(key).orElse(null);
        if (known == null) {
            double[] measured = measure(vocab, openScratch);
            // No room left in this context to measure: assume cost grows linearly (speculation never pays).
            if (!(measured[0] > 0)) {
                double[] linear = new double[MAX_N];
                for (int i = 0; i < MAX_N; i++) linear[i] = i + 1;
                return linear;
            }
            known = store(key, measured);
        }
        CACHE.put(key, known);
        return known;
    }

    private static Path cacheFile(String key) {
        return Tokenflow.cacheDir().resolve("cost-curves").resolve(Integer.toHexString(key.hashCode()) + ".txt");
    }

    private static Optional<double[]> load(String key) {
        try {
            List<String> lines = Files.readAllLines(cacheFile(key));
            if (lines.size() != MAX_N + 1 || !lines.get(0).equals(key)) return Optional.empty();
            double[] c = new double[MAX_N];
            for (int i = 0; i < MAX_N; i++) {
                c[i] = Double.parseDouble(lines.get(i + 1));
                if (!(c[i] > 0) || Double.isInfinite(c[i])) return Optional.empty();
            }
            return Optional.of(c);
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static double[] store(String key, double[] curve) {
        try {
            Path f = cacheFile(key);
            Files.createDirectories(f.getParent());
            StringBuilder sb = new StringBuilder(key).append('\n');
            for (double c : curve) sb.append(c).append('\n');
            Path tmp = Files.createTempFile(f.getParent(), "curve", ".tmp");
            Files.writeString(tmp, sb);
            AtomicFiles.replace(tmp, f);
        } catch (IOException | RuntimeException e) {
            // a cache that cannot be written only costs a re-measurement next time
        }
        return curve;
    }

    /**
     * Measures in a scratch context of its own, never in the caller's: decoding probe batches there would overwrite
     * the logits the caller's next token is sampled from.
     */
    private static double[] measure(int vocab, IntFunction<NativeSession> openScratch) {
        try (NativeSession scratch = openScratch.apply(PREFIX + MAX_N + 1)) {
            int[] prefix = new int[PREFIX];
            for (int i = 0; i < PREFIX; i++) prefix[i] = (i * 31 + 7) % vocab;
            scratch.append(prefix, 0, PREFIX, true);
            return measureAfter(scratch, vocab);
        } catch (RuntimeException e) {
            return new double[MAX_N]; // not measurable here (e.g. no memory for a second context): caller assumes linear
        }
    }

    private static double[] measureAfter(NativeSession s, int vocab) {
        int maxN = Math.min(MAX_N, s.contextSize() - s.tokens().size() - 1);
        int count = 0;
        for (int n = 1; n <= maxN; n *= 2) count++;
        int[] sizes = new int[count];
        for (int k = 0, n = 1; k < count; k++, n *= 2) sizes[k] = n;
        double[] seconds = BatchTiming.seconds(s, vocab, sizes, 2, true);
        double[] measured = new double[MAX_N + 1];
        for (int k = 0; k < count; k++) measured[sizes[k]] = seconds[k];
        // Interpolate between measured powers of two; beyond the last one, extrapolate linearly per token.
        double[] curve = new double[MAX_N];
        int lo = 1;
        for (int n = 1; n <= MAX_N; n++) {
            if (measured[n] > 0) { lo = n; curve[n - 1] = measured[n]; continue; }
            int hi = n;
            while (hi <= MAX_N && measured[hi] == 0) hi++;
            if (hi > MAX_N) {
                curve[n - 1] = measured[lo] * n / lo;
            } else {
                double f = (double) (n - lo) / (hi - lo);
                curve[n - 1] = measured[lo] + f * (measured[hi] - measured[lo]);
            }
        }
        return curve;
    }
}

package io.tokenflow.train;

import io.tokenflow.internal.ByteLevelBpe;
import io.tokenflow.gguf.GgufValue;
import io.tokenflow.gguf.GgufWriter;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A GPT-2 style byte-level BPE vocabulary: token texts in id order (bytes written as GPT-2's byte symbols, so
 * byte {@code b} is the one-char token {@link ByteLevelBpe#byteSymbol}), merges in rank order and token types.
 * Immutable and thread-safe.
 *
 * <p>{@link #encode} tokenizes exactly as llama.cpp's {@code llm_tokenizer_bpe} does for the pre-tokenizer
 * {@value #PRE} (see {@link #PRE}): {@link Gpt2PreTokenizer} pieces, each piece's UTF-8 bytes as byte
 * tokens, then repeatedly the adjacent pair with the lowest merge rank is merged, leftmost first.
 */
public final class BpeVocabulary {
    /**
     * {@code tokenizer.ggml.pre}. llama.cpp's "trillion" pre-tokenizer is the plain GPT-2 regex, which llama.cpp
     * runs through a hand-written matcher that {@link Gpt2PreTokenizer} ports exactly, and it turns off
     * {@code clean_spaces}, so llama.cpp's detokenizer gives back the exact text (with "gpt-2" it would drop the
     * space in " ," and " 's"). The "default" type chains four regexes through std::regex and is not reproducible
     * with confidence.
     */
    public static final String PRE = "trillion";
    private static final String MAGIC = "tokenflow-bpe 1";
    private static final int CACHE_LIMIT = 1 << 16;

    private final List<String> tokens;
    private final int[] types;
    private final List<String> merges;
    private final Map<String, Integer> ids;
    /** (left id, right id) -> rank; mergeResult[rank] is the merged token. */
    private final Map<Long, Integer> ranks;
    private final int[] mergeResult;
    private final int[] byteIds = new int[256];
    private final byte[][] tokenBytes;
    private final List<Integer> controlIds;
    private final int bos;
    private final int eos;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    /**
     * @param tokens texts in id order: all 256 byte symbols, merge results, control tokens
     * @param types  {@link ByteLevelBpe#TOKEN_NORMAL} or {@link ByteLevelBpe#TOKEN_CONTROL} per token
     * @param merges "left right" in rank order; left + right must be a token
     * @throws IllegalArgumentException if the parts do not fit together, or there is no {@code <|bos|>} or
     *                                  {@code <|endoftext|>} control token
     */
    public BpeVocabulary(List<String> tokens, int[] types, List<String> merges) {
        if (types.length != tokens.size()) {
            throw new IllegalArgumentException(types.length + " types for " + tokens.size() + " tokens");
        }
        this.tokens = List.copyOf(tokens);
        this.types = types.clone();
        this.merges = List.copyOf(merges);
        this.ids = new HashMap<>(tokens.size() * 2);
        for (int i = 0; i < tokens.size(); i++) {
            if (ids.put(tokens.get(i), i) != null) throw new IllegalArgumentException("duplicate token " + tokens.get(i));
        }
        for (int b = 0; b < 256; b++) {
            Integer id = ids.get(ByteLevelBpe.byteSymbol(b));
            if (id == null) throw new IllegalArgumentException("no token for byte " + b);
            byteIds[b] = id;
        }
        this.ranks = new HashMap<>(merges.size() * 2);
        this.mergeResult = new int[merges.size()];
        for (int r = 0; r < merges.size(); r++) {
            String[] parts = merges.get(r).split(" ", -1);
            Integer left = parts.length == 2 ? ids.get(parts[0]) : null;
            Integer right = parts.length == 2 ? ids.get(parts[1]) : null;
            Integer result = left == null || right == null ? null : ids.get(parts[0] + parts[1]);
            if (result == null) throw new IllegalArgumentException("merge " + r + " '" + merges.get(r) + "' does not fit the tokens");
            ranks.putIfAbsent(pair(left, right), r); // llama.cpp keeps the first rank of a repeated merge too
            mergeResult[r] = result;
        }
        this.tokenBytes = new byte[tokens.size()][];
        List<Integer> control = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            if (types[i] == ByteLevelBpe.TOKEN_CONTROL) {
                control.add(i);
                tokenBytes[i] = tokens.get(i).getBytes(StandardCharsets.UTF_8);
                continue;
            }
            String t = tokens.get(i);
            byte[] b = new byte[t.length()];
            for (int k = 0; k < t.length(); k++) {
                int v = ByteLevelBpe.symbolByte(t.charAt(k));
                if (v < 0) throw new IllegalArgumentException("token " + i + " '" + t + "' is not made of byte symbols");
                b[k] = (byte) v;
            }
            tokenBytes[i] = b;
        }
        // longest first: the order llama.cpp tries special tokens in
        control.sort((a, b) -> Integer.compare(tokens.get(b).length(), tokens.get(a).length()));
        this.controlIds = List.copyOf(control);
        Integer bosId = ids.get(ByteLevelBpe.BOS);
        Integer eosId = ids.get(ByteLevelBpe.EOS);
        if (bosId == null || eosId == null || types[bosId] != ByteLevelBpe.TOKEN_CONTROL
                || types[eosId] != ByteLevelBpe.TOKEN_CONTROL) {
            throw new IllegalArgumentException("needs control tokens " + ByteLevelBpe.BOS + " and " + ByteLevelBpe.EOS);
        }
        this.bos = bosId;
        this.eos = eosId;
    }

    static long pair(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFF_FFFFL);
    }

    public int size() { return tokens.size(); }

    /** Token texts in id order (byte symbols, as written to GGUF). */
    public List<String> tokens() { return tokens; }

    /** Merges in rank order, each "left right". */
    public List<String> merges() { return merges; }

    public String token(int id) { return tokens.get(id); }

    /** {@link ByteLevelBpe#TOKEN_NORMAL} or {@link ByteLevelBpe#TOKEN_CONTROL}. */
    public int tokenType(int id) { return types[id]; }

    public boolean isControl(int id) { return types[id] == ByteLevelBpe.TOKEN_CONTROL; }

    /** The bytes a token stands for (a control token: its text). */
    public byte[] tokenBytes(int id) { return tokenBytes[id].clone(); }

    /** The id of a token text, or -1. */
    public int id(String token) { return ids.getOrDefault(token, -1); }

    public int bos() { return bos; }

    /** {@code <|endoftext|>}: end of generation and the document separator of the training corpus. */
    public int eos() { return eos; }

    /** Plain text to tokens, no BOS: llama.cpp's tokenize with add_special and parse_special off. */
    public int[] encode(String text) {
        return encode(text, false);
    }

    /**
     * @param parseSpecial control-token texts (e.g. {@code <|endoftext|>}) become those tokens instead of text,
     *                     as llama.cpp's parse_special
     */
    public int[] encode(String text, boolean parseSpecial) {
        if (text == null) throw new IllegalArgumentException("text is null");
        IntList out = new IntList(text.length() / 3 + 4);
        if (!parseSpecial) {
            encodePlain(text, out);
            return out.toArray();
        }
        int from = 0;
        while (from < text.length()) {
            int at = -1;
            int found = -1;
            for (int id : controlIds) { // earliest occurrence; at a tie the longer token (listed first)
                int i = text.indexOf(tokens.get(id), from);
                if (i >= 0 && (at < 0 || i < at)) {
                    at = i;
                    found = id;
                }
            }
            if (found < 0) {
                encodePlain(text.substring(from), out);
                break;
            }
            encodePlain(text.substring(from, at), out);
            out.add(found);
            from = at + tokens.get(found).length();
        }
        return out.toArray();
    }

    private void encodePlain(String text, IntList out) {
        if (text.isEmpty()) return;
        int[] cpts = Gpt2PreTokenizer.codepoints(text);
        int prev = 0;
        for (int end : Gpt2PreTokenizer.boundaries(cpts)) {
            String piece = new String(cpts, prev, end - prev);
            prev = end;
            int[] ids = cache.get(piece);
            if (ids == null) {
                ids = encodePiece(piece.getBytes(StandardCharsets.UTF_8));
                if (cache.size() < CACHE_LIMIT) cache.put(piece, ids);
            }
            out.addAll(ids);
        }
    }

    /**
     * BPE on one piece, as llama.cpp: a queue of adjacent pairs ordered by (rank, left position); a popped pair
     * whose symbols changed since it was queued is skipped.
     */
    private int[] encodePiece(byte[] bytes) {
        int n = bytes.length;
        int[] sym = new int[n];
        int[] next = new int[n];
        int[] prev = new int[n];
        boolean[] alive = new boolean[n];
        for (int i = 0; i < n; i++) {
            sym[i] = byteIds[bytes[i] & 0xFF];
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
            alive[i] = true;
        }
        LongHeap queue = new LongHeap(n);
        for (int i = 0; i + 1 < n; i++) queuePair(queue, sym, i, i + 1);
        while (!queue.isEmpty()) {
            long e = queue.poll();
            int rank = (int) (e >>> 32);
            int left = (int) e;
            int right = left >= 0 && alive[left] ? next[left] : -1;
            if (right < 0 || ranks.getOrDefault(pair(sym[left], sym[right]), -1) != rank) continue; // outdated
            sym[left] = mergeResult[rank];
            alive[right] = false;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            if (prev[left] >= 0) queuePair(queue, sym, prev[left], left);
            if (next[left] >= 0) queuePair(queue, sym, left, next[left]);
        }
        IntList out = new IntList(n);
        for (int i = 0; i >= 0 && i < n; i = next[i]) out.add(sym[i]);
        return out.toArray();
    }

    private void queuePair(LongHeap queue, int[] sym, int left, int right) {
        Integer rank = ranks.get(pair(sym[left], sym[right]));
        if (rank != null) queue.add(((long) rank << 32) | left);
    }

    /** Tokens to text; control tokens are dropped (llama.cpp's detokenize without rendering specials). */
    public String decode(int[] ids) {
        return new String(decodeBytes(ids, false), StandardCharsets.UTF_8);
    }

    /** Concatenated token bytes; control tokens as their text when {@code renderControl}, else dropped. */
    public byte[] decodeBytes(int[] ids, boolean renderControl) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length * 4);
        for (int id : ids) {
            if (id < 0 || id >= tokens.size()) throw new IllegalArgumentException("token id " + id + " out of range");
            if (!isControl(id) || renderControl) out.writeBytes(tokenBytes[id]);
        }
        return out.toByteArray();
    }

    /** The {@code tokenizer.*} GGUF metadata llama.cpp loads this vocabulary from (BOS added by default). */
    public Map<String, GgufValue> ggufMetadata() {
        return ByteLevelBpe.metadata(PRE, tokens, merges, types, bos, eos);
    }

    /** Adds {@link #ggufMetadata} to a GGUF file being declared. */
    public void putMetadata(GgufWriter writer) {
        ggufMetadata().forEach(writer::put);
    }

    /**
     * Writes the vocabulary as UTF-8 text: a header line, {@code tokens N} then "type text" per token,
     * {@code merges M} then one merge per line. Token texts never hold spaces or line breaks (bytes are symbols).
     */
    public void save(Path path) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(path, StandardCharsets.UTF_8)) {
            w.write(MAGIC + "\npre " + PRE + "\ntokens " + tokens.size() + "\n");
            for (int i = 0; i < tokens.size(); i++) {
                w.write(types[i] + " " + tokens.get(i) + "\n");
            }
            w.write("merges " + merges.size() + "\n");
            for (String m : merges) {
                w.write(m + "\n");
            }
        }
    }

    /** Reads what {@link #save} wrote. @throws IOException if the file is not such a vocabulary */
    public static BpeVocabulary load(Path path) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            expect(r.readLine(), MAGIC, path);
            expect(r.readLine(), "pre " + PRE, path);
            int n = count(r.readLine(), "tokens ", path);
            List<String> tokens = new ArrayList<>(n);
            int[] types = new int[n];
            for (int i = 0; i < n; i++) {
                String line = r.readLine();
                int sp = line == null ? -1 : line.indexOf(' ');
                if (sp < 0) throw new IOException(path + ": bad token line " + i);
                types[i] = Integer.parseInt(line.substring(0, sp));
                tokens.add(line.substring(sp + 1));
            }
            int m = count(r.readLine(), "merges ", path);
            List<String> merges = new ArrayList<>(m);
            for (int i = 0; i < m; i++) {
                String line = r.readLine();
                if (line == null) throw new IOException(path + ": truncated at merge " + i);
                merges.add(line);
            }
            try {
                return new BpeVocabulary(tokens, types, merges);
            } catch (IllegalArgumentException e) {
                throw new IOException(path + ": " + e.getMessage(), e);
            }
        }
    }

    private static void expect(String line, String want, Path path) throws IOException {
        if (!want.equals(line)) throw new IOException(path + ": expected '" + want + "', got '" + line + "'");
    }

    private static int count(String line, String prefix, Path path) throws IOException {
        if (line == null || !line.startsWith(prefix)) throw new IOException(path + ": expected '" + prefix + "N'");
        return Integer.parseInt(line.substring(prefix.length()));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BpeVocabulary v && tokens.equals(v.tokens) && Arrays.equals(types, v.types)
                && merges.equals(v.merges);
    }

    @Override
    public int hashCode() {
        return tokens.hashCode() * 31 + merges.hashCode();
    }

    @Override
    public String toString() {
        return "BpeVocabulary[" + tokens.size() + " tokens, " + merges.size() + " merges, pre " + PRE + "]";
    }

    /** Growable int array. */
    static final class IntList {
        private int[] a;
        private int n;

        IntList(int capacity) { a = new int[Math.max(4, capacity)]; }

        void add(int v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        void addAll(int[] v) {
            if (n + v.length > a.length) a = Arrays.copyOf(a, Math.max(n * 2, n + v.length));
            System.arraycopy(v, 0, a, n, v.length);
            n += v.length;
        }

        int size() { return n; }

        int get(int i) { return a[i]; }

        int[] toArray() { return Arrays.copyOf(a, n); }
    }

    /** Binary min-heap of longs. */
    static final class LongHeap {
        private long[] a;
        private int n;

        LongHeap(int capacity) { a = new long[Math.max(4, capacity)]; }

        boolean isEmpty() { return n == 0; }

        void add(long v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            int i = n++;
            while (i > 0) {
                int p = (i - 1) >>> 1;
                if (a[p] <= v) break;
                a[i] = a[p];
                i = p;
            }
            a[i] = v;
        }

        long poll() {
            long top = a[0];
            long v = a[--n];
            int i = 0;
            while (true) {
                int c = 2 * i + 1;
                if (c >= n) break;
                if (c + 1 < n && a[c + 1] < a[c]) c++;
                if (v <= a[c]) break;
                a[i] = a[c];
                i = c;
            }
            a[i] = v;
            return top;
        }
    }
}

package io.tokenflow.train;

import io.tokenflow.internal.ByteLevelBpe;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Trains a byte-level BPE vocabulary ({@link BpeVocabulary}) on documents.
 *
 * <p>Ids: the 256 byte tokens (id = byte value), one token per merge in merge order, then the control tokens
 * {@code <|bos|>} and {@code <|endoftext|>}, exactly {@code vocabSize} in all. Control-token texts inside a document
 * are cut out before training, and merges never cross {@link Gpt2PreTokenizer} pieces.
 *
 * <p>Deterministic: the result is a function of the documents' text (their order does not matter) and the options;
 * there are no random choices, so no seed. Each step merges the pair with the highest count; ties go to the pair
 * whose left token's bytes are lexicographically smallest (unsigned), then the right token's. A pair whose merged
 * bytes already are a token (another split of the same string) is never merged, so every merge adds a token.
 *
 * <p>Speed: pieces are counted once in a map (piece -> count); pair counts are kept incrementally and only the
 * words containing the merged pair are rewritten at each step, with a lazily updated priority queue.
 */
public final class BpeTrainer {
    /** Smallest sensible vocabulary: the 256 bytes, a few merges and the two control tokens. */
    public static final int MIN_VOCAB = 260;
    private static final List<String> CONTROL = List.of(ByteLevelBpe.BOS, ByteLevelBpe.EOS);

    private final int vocabSize;
    private final int minPairCount;

    /** @param vocabSize total tokens, control tokens included (1k-4k for tokenflow's tiny models) */
    public BpeTrainer(int vocabSize) {
        this(vocabSize, 2);
    }

    /** @param minPairCount a pair seen fewer times than this is never merged */
    public BpeTrainer(int vocabSize, int minPairCount) {
        if (vocabSize < MIN_VOCAB || vocabSize > 1 << 20) {
            throw new IllegalArgumentException("vocabSize must be in [" + MIN_VOCAB + ", 2^20], got " + vocabSize);
        }
        if (minPairCount < 1) throw new IllegalArgumentException("minPairCount must be >= 1");
        this.vocabSize = vocabSize;
        this.minPairCount = minPairCount;
    }

    public int vocabSize() { return vocabSize; }

    public BpeVocabulary train(String text) {
        return train(List.of(text));
    }

    /**
     * @throws IllegalArgumentException if the documents do not hold enough distinct pairs (seen at least
     *                                  {@code minPairCount} times) to reach the vocabulary size
     */
    public BpeVocabulary train(Iterable<String> documents) {
        Map<String, long[]> pieces = countPieces(documents);
        // sorted pieces: word indices do not depend on hash order (results would not either, but this is cheap)
        List<String> keys = new ArrayList<>(pieces.keySet());
        keys.sort(null);
        int[][] words = new int[keys.size()][];
        long[] counts = new long[keys.size()];
        for (int w = 0; w < words.length; w++) {
            byte[] b = keys.get(w).getBytes(StandardCharsets.UTF_8);
            int[] syms = new int[b.length];
            for (int i = 0; i < b.length; i++) syms[i] = b[i] & 0xFF;
            words[w] = syms;
            counts[w] = pieces.get(keys.get(w))[0];
        }
        return new Run(words, counts).train();
    }

    private static Map<String, long[]> countPieces(Iterable<String> documents) {
        Map<String, long[]> pieces = new HashMap<>();
        for (String doc : documents) {
            for (String fragment : withoutControl(doc)) {
                int[] cpts = Gpt2PreTokenizer.codepoints(fragment);
                int prev = 0;
                for (int end : Gpt2PreTokenizer.boundaries(cpts)) {
                    pieces.computeIfAbsent(new String(cpts, prev, end - prev), k -> new long[1])[0]++;
                    prev = end;
                }
            }
        }
        return pieces;
    }

    /** The text between control-token texts. */
    private static List<String> withoutControl(String doc) {
        List<String> out = new ArrayList<>();
        int from = 0;
        while (true) {
            int at = -1;
            String found = null;
            for (String c : CONTROL) {
                int i = doc.indexOf(c, from);
                if (i >= 0 && (at < 0 || i < at)) {
                    at = i;
                    found = c;
                }
            }
            if (found == null) {
                if (from < doc.length()) out.add(from == 0 ? doc : doc.substring(from));
                return out;
            }
            if (at > from) out.add(doc.substring(from, at));
            from = at + found.length();
        }
    }

    /** Count and the words (indices, may repeat or be outdated) where a pair occurs. */
    private static final class PairStat {
        long count;
        int[] words = new int[4];
        int n;

        void addWord(int w) {
            if (n > 0 && words[n - 1] == w) return;
            if (n == words.length) words = Arrays.copyOf(words, n * 2);
            words[n++] = w;
        }
    }

    private record Candidate(long count, int left, int right) {}

    /** One training run's mutable state. */
    private final class Run {
        final int[][] words;
        final long[] counts;
        final List<byte[]> bytes = new ArrayList<>();
        final Map<String, Integer> known = new HashMap<>();
        final Map<Long, PairStat> pairs = new HashMap<>();
        final Set<Long> banned = new HashSet<>();
        final PriorityQueue<Candidate> queue = new PriorityQueue<>(this::compare);
        final List<String> tokens = new ArrayList<>();
        final List<String> merges = new ArrayList<>();

        Run(int[][] words, long[] counts) {
            this.words = words;
            this.counts = counts;
            for (int b = 0; b < 256; b++) {
                bytes.add(new byte[] {(byte) b});
                tokens.add(ByteLevelBpe.byteSymbol(b));
                known.put(tokens.get(b), b);
            }
        }

        /** Higher count first, then smaller left bytes, then smaller right bytes. */
        int compare(Candidate a, Candidate b) {
            if (a.count != b.count) return Long.compare(b.count, a.count);
            int c = Arrays.compareUnsigned(bytes.get(a.left), bytes.get(b.left));
            return c != 0 ? c : Arrays.compareUnsigned(bytes.get(a.right), bytes.get(b.right));
        }

        BpeVocabulary train() {
            for (int w = 0; w < words.length; w++) addPairs(w, null);
            pairs.forEach((k, s) -> queue.add(new Candidate(s.count, (int) (k >>> 32), (int) (long) k)));
            int wanted = vocabSize - CONTROL.size();
            Set<Long> changed = new HashSet<>();
            while (tokens.size() < wanted) {
                Candidate best = queue.poll();
                if (best == null || best.count < minPairCount) {
                    throw new IllegalArgumentException("corpus too small: only " + (tokens.size() - 256)
                            + " merges possible (with pairs seen >= " + minPairCount + " times), "
                            + (wanted - 256) + " needed for " + vocabSize + " tokens");
                }
                long key = BpeVocabulary.pair(best.left, best.right);
                PairStat stat = pairs.get(key);
                if (stat == null || stat.count != best.count || banned.contains(key)) continue; // outdated entry
                String text = tokens.get(best.left) + tokens.get(best.right);
                if (known.containsKey(text)) {
                    banned.add(key);
                    continue;
                }
                int id = tokens.size();
                tokens.add(text);
                known.put(text, id);
                byte[] merged = Arrays.copyOf(bytes.get(best.left), bytes.get(best.left).length + bytes.get(best.right).length);
                System.arraycopy(bytes.get(best.right), 0, merged, bytes.get(best.left).length, bytes.get(best.right).length);
                bytes.add(merged);
                merges.add(tokens.get(best.left) + " " + tokens.get(best.right));
                changed.clear();
                int[] where = Arrays.copyOf(stat.words, stat.n);
                for (int w : where) merge(w, best.left, best.right, id, changed);
                for (long k : changed) {
                    PairStat s = pairs.get(k);
                    if (s != null && s.count > 0 && !banned.contains(k)) {
                        queue.add(new Candidate(s.count, (int) (k >>> 32), (int) k));
                    }
                }
            }
            List<String> all = new ArrayList<>(tokens);
            all.addAll(CONTROL);
            int[] types = new int[all.size()];
            Arrays.fill(types, ByteLevelBpe.TOKEN_NORMAL);
            for (int i = tokens.size(); i < all.size(); i++) types[i] = ByteLevelBpe.TOKEN_CONTROL;
            return new BpeVocabulary(all, types, merges);
        }

        /** Rewrites word w with (a, b) -> id, moving its pair counts from the old symbols to the new. */
        void merge(int w, int a, int b, int id, Set<Long> changed) {
            int[] syms = words[w];
            boolean found = false;
            for (int i = 0; i + 1 < syms.length && !found; i++) found = syms[i] == a && syms[i + 1] == b;
            if (!found) return; // outdated or repeated index entry
            removePairs(w, changed);
            int[] out = new int[syms.length];
            int n = 0;
            for (int i = 0; i < syms.length; i++) {
                if (i + 1 < syms.length && syms[i] == a && syms[i + 1] == b) {
                    out[n++] = id;
                    i++;
                } else {
                    out[n++] = syms[i];
                }
            }
            words[w] = Arrays.copyOf(out, n);
            addPairs(w, changed);
        }

        void addPairs(int w, Set<Long> changed) {
            int[] s = words[w];
            for (int i = 0; i + 1 < s.length; i++) {
                long k = BpeVocabulary.pair(s[i], s[i + 1]);
                PairStat stat = pairs.computeIfAbsent(k, x -> new PairStat());
                stat.count += counts[w];
                stat.addWord(w);
                if (changed != null) changed.add(k);
            }
        }

        void removePairs(int w, Set<Long> changed) {
            int[] s = words[w];
            for (int i = 0; i + 1 < s.length; i++) {
                long k = BpeVocabulary.pair(s[i], s[i + 1]);
                PairStat stat = pairs.get(k);
                stat.count -= counts[w];
                changed.add(k);
                if (stat.count == 0) pairs.remove(k);
            }
        }
    }
}

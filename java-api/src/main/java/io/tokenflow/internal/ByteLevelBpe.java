package io.tokenflow.internal;

import io.tokenflow.gguf.GgufArray;
import io.tokenflow.gguf.GgufValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Generates a deterministic GPT-2 style byte-level BPE vocabulary as {@code tokenizer.*} GGUF metadata: the 256
 * byte symbols (token id = byte value), merges learned from a small built-in English text (most frequent pair first,
 * ties broken alphabetically), then, when the text is exhausted, merges that extend earlier tokens by a letter, and
 * finally the control tokens {@code <|bos|>} and {@code <|endoftext|>}. Every merge token is the concatenation of
 * its two parts, so llama.cpp's BPE tokenizer accepts it.
 *
 * <p>Also the shared pieces of every GPT-2 style vocabulary tokenflow writes (the trained one of
 * {@code io.tokenflow.train} included): the byte symbol table and {@link #metadata}.
 */
public final class ByteLevelBpe {
    public static final String BOS = "<|bos|>";
    /** GPT-2's end token; llama.cpp recognises this text as end-of-generation (an unknown name draws a warning). */
    public static final String EOS = "<|endoftext|>";
    /** 256 byte symbols + the two control tokens. */
    public static final int MIN_VOCAB = 258;

    /** {@code tokenizer.ggml.token_type} values (llama.cpp's {@code llama_token_type}). */
    public static final int TOKEN_NORMAL = 1;
    public static final int TOKEN_CONTROL = 3;
    private static final String LETTERS_BY_FREQUENCY = "etaoinshrdlcumwfgypbvkjxqz";
    /** GPT-2's pre-tokenizer, minus contractions: merges never cross these pieces. */
    private static final Pattern PIECES = Pattern.compile(" ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+");
    private static final String CORPUS = """
            Once upon a time, there was a little girl who lived in a village near the forest. \
            Every morning she walked to the river with her mother and her brother to get water for the day. \
            The sun was warm and the birds were singing in the trees. \
            One day the girl found a small dog sitting under a big tree. The dog was sad because it was lost. \
            She said, "Do not be afraid. I will help you find your home." \
            They walked together through the forest, and the girl told the dog stories about the stars, \
            the moon and the sea. When the evening came, they saw a house with a red door. \
            An old man opened the door and smiled. "Thank you for bringing my friend back to me," he said. \
            The girl was happy, and she went home to tell her family what had happened. \
            Hello world! This is a simple test of the tokenizer, with numbers like 1, 2, 3, 42 and 2024. \
            Language models read text as tokens; each token is a piece of a word, a whole word, or a symbol. \
            """;

    /**
     * GPT-2's {@code bytes_to_unicode}: printable Latin-1 bytes stand for themselves, the other bytes map to
     * U+0100 upwards in byte order (space becomes 'Ġ', newline 'Ċ'), so every token is printable text.
     */
    static final String[] BYTE_SYMBOLS = new String[256];
    /** Inverse of {@link #BYTE_SYMBOLS}: symbol char -> byte, -1 for chars that are no byte symbol. */
    private static final int[] SYMBOL_BYTES = new int[0x144];

    static {
        Arrays.fill(SYMBOL_BYTES, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = (char) (printable ? b : next++);
            BYTE_SYMBOLS[b] = String.valueOf(c);
            SYMBOL_BYTES[c] = b;
        }
    }

    private ByteLevelBpe() {}

    /** The one-char symbol GPT-2 writes for byte {@code b} (0-255) in token texts. */
    public static String byteSymbol(int b) {
        return BYTE_SYMBOLS[b];
    }

    /** The byte a symbol char stands for, or -1 if {@code c} is not one of the 256 byte symbols. */
    public static int symbolByte(char c) {
        return c < SYMBOL_BYTES.length ? SYMBOL_BYTES[c] : -1;
    }

    /**
     * The {@code tokenizer.*} metadata of a GPT-2 style vocabulary ({@code tokenizer.ggml.model = gpt2}).
     *
     * @param pre    {@code tokenizer.ggml.pre}, which selects llama.cpp's pre-tokenizer
     * @param tokens token texts in id order (bytes as {@link #byteSymbol} symbols)
     * @param merges merges in rank order, each "left right"
     * @param types  {@link #TOKEN_NORMAL} or {@link #TOKEN_CONTROL} per token
     */
    public static Map<String, GgufValue> metadata(String pre, List<String> tokens, List<String> merges, int[] types,
                                                  int bos, int eos) {
        if (types.length != tokens.size()) {
            throw new IllegalArgumentException(types.length + " token types for " + tokens.size() + " tokens");
        }
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put("tokenizer.ggml.model", GgufValue.string("gpt2"));
        kv.put("tokenizer.ggml.pre", GgufValue.string(pre));
        kv.put("tokenizer.ggml.tokens", GgufValue.array(GgufArray.ofStrings(tokens)));
        kv.put("tokenizer.ggml.token_type", GgufValue.array(GgufArray.ofInt32(types)));
        kv.put("tokenizer.ggml.merges", GgufValue.array(GgufArray.ofStrings(merges)));
        kv.put("tokenizer.ggml.bos_token_id", GgufValue.uint32(bos));
        kv.put("tokenizer.ggml.eos_token_id", GgufValue.uint32(eos));
        kv.put("tokenizer.ggml.add_bos_token", GgufValue.bool(true));
        kv.put("tokenizer.ggml.add_eos_token", GgufValue.bool(false));
        return kv;
    }

    /** The {@code tokenizer.*} metadata of a vocabulary of exactly {@code vocabSize} tokens. */
    public static Map<String, GgufValue> generate(int vocabSize) {
        if (vocabSize < MIN_VOCAB) {
            throw new IllegalArgumentException("a byte-level BPE vocabulary needs at least " + MIN_VOCAB
                    + " tokens, got " + vocabSize);
        }
        List<String> tokens = new ArrayList<>(vocabSize);
        tokens.addAll(Arrays.asList(BYTE_SYMBOLS));
        List<String> merges = new ArrayList<>(vocabSize - MIN_VOCAB);
        Set<String> known = new HashSet<>(tokens);
        int wanted = vocabSize - MIN_VOCAB;
        learnFromCorpus(tokens, merges, known, wanted);
        extendByLetters(tokens, merges, known, wanted);
        tokens.add(BOS);
        tokens.add(EOS);

        int[] types = new int[vocabSize];
        Arrays.fill(types, TOKEN_NORMAL);
        types[vocabSize - 2] = TOKEN_CONTROL;
        types[vocabSize - 1] = TOKEN_CONTROL;

        return metadata("default", tokens, merges, types, vocabSize - 2, vocabSize - 1);
    }

    /** Classic BPE training on {@link #CORPUS}: repeatedly merge the most frequent adjacent pair. */
    private static void learnFromCorpus(List<String> tokens, List<String> merges, Set<String> known, int wanted) {
        Map<List<String>, Integer> words = new LinkedHashMap<>();
        Matcher m = PIECES.matcher(CORPUS);
        while (m.find()) {
            List<String> symbols = new ArrayList<>();
            for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) {
                symbols.add(BYTE_SYMBOLS[b & 0xFF]);
            }
            words.merge(symbols, 1, Integer::sum);
        }
        while (merges.size() < wanted) {
            // TreeMap: iteration in alphabetical pair order makes the tie-break deterministic
            Map<String, Integer> pairs = new TreeMap<>();
            words.forEach((w, count) -> {
                for (int i = 0; i + 1 < w.size(); i++) {
                    pairs.merge(w.get(i) + " " + w.get(i + 1), count, Integer::sum);
                }
            });
            if (pairs.isEmpty()) {
                return;
            }
            String best = null;
            int bestCount = 0;
            for (Map.Entry<String, Integer> e : pairs.entrySet()) {
                if (e.getValue() > bestCount) {
                    best = e.getKey();
                    bestCount = e.getValue();
                }
            }
            String[] parts = best.split(" ", 2);
            if (known.add(parts[0] + parts[1])) { // a different split may already have made this token
                merges.add(best);
                tokens.add(parts[0] + parts[1]);
            }
            Map<List<String>, Integer> merged = new LinkedHashMap<>();
            words.forEach((w, count) -> merged.merge(applyMerge(w, parts[0], parts[1]), count, Integer::sum));
            words = merged;
        }
    }

    private static List<String> applyMerge(List<String> word, String a, String b) {
        List<String> out = new ArrayList<>(word.size());
        for (int i = 0; i < word.size(); i++) {
            if (i + 1 < word.size() && word.get(i).equals(a) && word.get(i + 1).equals(b)) {
                out.add(a + b);
                i++;
            } else {
                out.add(word.get(i));
            }
        }
        return out;
    }

    /** Fills the remaining merges by appending letters to learned tokens, oldest token first. */
    private static void extendByLetters(List<String> tokens, List<String> merges, Set<String> known, int wanted) {
        for (int i = BYTE_SYMBOLS.length; merges.size() < wanted; i++) {
            String base = tokens.get(i); // the list grows up to 26 tokens per base, so i never catches up
            for (int c = 0; c < LETTERS_BY_FREQUENCY.length() && merges.size() < wanted; c++) {
                String letter = String.valueOf(LETTERS_BY_FREQUENCY.charAt(c));
                if (known.add(base + letter)) {
                    merges.add(base + " " + letter);
                    tokens.add(base + letter);
                }
            }
        }
    }
}

package io.tokenflow.train;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The pre-tokenizer of llama.cpp's GPT-2 regex,
 * {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}, as a line-by-line port of
 * its hand-written matcher {@code unicode_regex_split_custom_gpt2} (not of the regex: the port must agree with
 * llama.cpp, quirks included), with llama.cpp's own codepoint classes ({@link LlamaUnicode}). BPE merges never
 * cross the pieces it returns. Text reaches llama.cpp as {@code String.getBytes(UTF_8)}, so a lone surrogate is
 * a '?' here as there.
 */
public final class Gpt2PreTokenizer {
    private Gpt2PreTokenizer() {}

    /** The pieces of {@code text}, in order; their concatenation is {@code text}. */
    public static List<String> split(String text) {
        int[] cpts = codepoints(text);
        List<String> out = new ArrayList<>();
        int prev = 0;
        for (int end : boundaries(cpts)) {
            out.add(new String(cpts, prev, end - prev));
            prev = end;
        }
        return out;
    }

    /** The code points of text as llama.cpp decodes its UTF-8 (Java's encoder replaces lone surrogates by '?'). */
    static int[] codepoints(String text) {
        boolean plain = true;
        for (int i = 0; i < text.length() && plain; i++) {
            plain = !Character.isSurrogate(text.charAt(i));
        }
        if (!plain) {
            text = new String(text.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
        }
        return text.codePoints().toArray();
    }

    /** End offsets (in code points) of the pieces of {@code cpts}. */
    static int[] boundaries(int[] cpts) {
        int end = cpts.length;
        int[] out = new int[Math.max(4, end)];
        int n = 0;
        int pos = 0;
        while (pos < end) {
            int cpt = cpts[pos];
            byte flags = cls(cpts, pos);
            // 's|'t|'re|'ve|'m|'ll|'d
            if (cpt == '\'' && pos + 1 < end) {
                int next = cpts[pos + 1];
                if (next == 's' || next == 't' || next == 'm' || next == 'd') {
                    out[n++] = pos += 2;
                    continue;
                }
                if (pos + 2 < end) {
                    int nextNext = cpts[pos + 2];
                    if ((next == 'r' && nextNext == 'e') || (next == 'v' && nextNext == 'e')
                            || (next == 'l' && nextNext == 'l')) {
                        out[n++] = pos += 3;
                        continue;
                    }
                }
            }
            byte flags2 = cpt == ' ' ? cls(cpts, pos + 1) : flags;
            // <space>?\p{L}+, <space>?\p{N}+, <space>?[^\s\p{L}\p{N}]+
            if (flags2 == LlamaUnicode.LETTER || flags2 == LlamaUnicode.NUMBER || flags2 == LlamaUnicode.OTHER) {
                byte kind = flags2;
                if (cpt == ' ') pos++;
                while (flags2 == kind) {
                    flags2 = cls(cpts, ++pos);
                }
                out[n++] = pos;
                continue;
            }
            int whitespaces = 0;
            while (cls(cpts, pos + whitespaces) == LlamaUnicode.WHITESPACE) {
                whitespaces++;
            }
            if (whitespaces > 1 && pos + whitespaces < end) {
                // \s+(?!\S): the last whitespace goes with what follows
                out[n++] = pos += whitespaces - 1;
                continue;
            }
            if (whitespaces > 0) {
                out[n++] = pos += whitespaces;
                continue;
            }
            out[n++] = ++pos; // no match (a codepoint without flags): a piece of its own
        }
        return java.util.Arrays.copyOf(out, n);
    }

    /** Class at pos, NONE outside the text (the C++ returns empty flags there). */
    private static byte cls(int[] cpts, int pos) {
        return pos < cpts.length ? LlamaUnicode.classOf(cpts[pos]) : LlamaUnicode.NONE;
    }
}

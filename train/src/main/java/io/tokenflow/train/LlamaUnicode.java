package io.tokenflow.train;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * llama.cpp's codepoint classes as its GPT-2 pre-tokenizer tests them, from the table
 * {@code llama-unicode-classes.txt} generated from the pinned llama.cpp's {@code unicode-data.cpp} by
 * {@code scripts/gen-unicode-classes.py}. Java's own {@link Character} tables follow an older Unicode version, so
 * using them would split newly assigned characters differently from llama.cpp.
 */
final class LlamaUnicode {
    static final byte LETTER = 'L';
    static final byte NUMBER = 'N';
    static final byte WHITESPACE = 'W';
    static final byte OTHER = 'O';
    /** No flags at all: codepoints past the table (and, in the C++, positions outside the text). */
    static final byte NONE = 'Z';

    private static final int[] STARTS;
    private static final byte[] CLASSES;
    /** Direct lookup for the first 64K codepoints: almost all text. */
    private static final byte[] BMP = new byte[0x10000];

    static {
        int[] starts = new int[2048];
        byte[] classes = new byte[2048];
        int n = 0;
        try (InputStream in = LlamaUnicode.class.getResourceAsStream("llama-unicode-classes.txt")) {
            if (in == null) throw new IllegalStateException("llama-unicode-classes.txt missing from the classpath");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isEmpty() || line.startsWith("#")) continue;
                int sp = line.indexOf(' ');
                if (n == starts.length) {
                    starts = Arrays.copyOf(starts, n * 2);
                    classes = Arrays.copyOf(classes, n * 2);
                }
                starts[n] = Integer.parseInt(line.substring(0, sp), 16);
                classes[n] = (byte) line.charAt(sp + 1);
                n++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        STARTS = Arrays.copyOf(starts, n);
        CLASSES = Arrays.copyOf(classes, n);
        for (int c = 0; c < BMP.length; c++) {
            BMP[c] = lookup(c);
        }
    }

    private LlamaUnicode() {}

    static byte classOf(int codepoint) {
        return codepoint >= 0 && codepoint < BMP.length ? BMP[codepoint] : lookup(codepoint);
    }

    private static byte lookup(int codepoint) {
        int i = Arrays.binarySearch(STARTS, codepoint);
        if (i < 0) i = -i - 2;
        return i < 0 ? NONE : CLASSES[i];
    }
}

package io.tokenflow.train;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Strings that stress a byte-level BPE and its pre-tokenizer. */
public final class TestStrings {
    private TestStrings() {}

    public static final List<String> TRICKY = List.of(
            "Hello world", "", " ", "  ", "a", "\n", "\n\n\n", " \n ", "\t\tx", "x\n\ny", "end   ", "   start",
            "multiple     spaces    between", "tabs\tand\nnewlines\r\nend", "0123456789 3.14159 1,000,000 2024",
            "x=1+2*3/4-5", "!!!???...,,,;;;", "a!!! b??? c... d,,,", "((([[[{{{}}}]]])))", "--- *** ___ ===",
            "I'm sure we'll see they've gone, don't you? It's Tom's; I'd say they're here.", "'s 't 're 've 'm 'll 'd",
            "''' \"quoted\" 'single'", "''s", "HELLO'S", "café naïve résumé Ångström", "e\u0301 a\u0308 n\u0303o",
            "日本語のテキスト 中文", "emoji 😀👍🏽 family 👨‍👩‍👧!", "Русский текст и العربية", "Ω≈ç√∫ ½ ¼ € ²³ ⅷ",
            "zero\u200Bwidth", "nbsp\u00A0here", "nel\u0085line", "ideographic\u3000space", "line\u2028sep",
            "C:\\new\\table \\n \\t", "<|endoftext|>x<|bos|> y", "a <|endoftext|> b", "a\u0000b",
            "def get_x(x):\n    return x + 1\n", "1. apple\n2. pear\n3. plum", "The pass key is 48213. Remember it.",
            "  \t \n  leading mix", "trailing mix \t\n", "٣٤٥ ١٢ digits", "x²+y³", "Ⅻ roman", "🙂🙂🙂 🙂", "\uD83D",
            "lone \uDC00 low", "a\u0300\u0301\u0302", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math", "\u0378 unassigned \uFFFF \uFFFE");

    /** Random strings over a mix of ASCII, Latin-1, other scripts, emoji and arbitrary code points. */
    public static List<String> random(long seed, int count) {
        Random r = new Random(seed);
        String ascii = " \t\n\r!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            StringBuilder b = new StringBuilder();
            int n = r.nextInt(40);
            for (int k = 0; k < n; k++) {
                int kind = r.nextInt(10);
                if (kind < 6) {
                    b.append(ascii.charAt(r.nextInt(ascii.length())));
                } else if (kind == 6) {
                    b.append("'s 'll 're  ".charAt(r.nextInt(12)));
                } else if (kind == 7) {
                    b.appendCodePoint(0xA0 + r.nextInt(0x300));
                } else if (kind == 8) {
                    b.appendCodePoint(0x1F300 + r.nextInt(0x300));
                } else {
                    int cp;
                    do {
                        cp = r.nextInt(0x110000);
                    } while (cp >= 0xD800 && cp <= 0xDFFF);
                    b.appendCodePoint(cp);
                }
            }
            out.add(b.toString());
        }
        return out;
    }
}

package io.tokenflow.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class Gpt2PreTokenizerTest {
    /** The GPT-2 regex; on ASCII, Java's classes equal llama.cpp's. */
    private static final Pattern GPT2 =
            Pattern.compile("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

    private static List<String> regexSplit(String s) {
        List<String> out = new ArrayList<>();
        Matcher m = GPT2.matcher(s);
        while (m.find()) out.add(m.group());
        return out;
    }

    @Test
    void knownSplits() {
        assertThat(Gpt2PreTokenizer.split("Hello world")).containsExactly("Hello", " world");
        assertThat(Gpt2PreTokenizer.split("I'm sure we'll")).containsExactly("I", "'m", " sure", " we", "'ll");
        assertThat(Gpt2PreTokenizer.split("a  b")).containsExactly("a", " ", " b");
        assertThat(Gpt2PreTokenizer.split("a   ")).containsExactly("a", "   ");
        assertThat(Gpt2PreTokenizer.split("x\n\ny")).containsExactly("x", "\n", "\n", "y");
        assertThat(Gpt2PreTokenizer.split("3.14159 2024")).containsExactly("3", ".", "14159", " 2024");
        assertThat(Gpt2PreTokenizer.split("!!!  ??")).containsExactly("!!!", " ", " ??");
        assertThat(Gpt2PreTokenizer.split("café 😀👍")).containsExactly("café", " 😀👍");
        assertThat(Gpt2PreTokenizer.split("HELLO'S")).containsExactly("HELLO", "'", "S");
        assertThat(Gpt2PreTokenizer.split("")).isEmpty();
    }

    @Test
    void nonAsciiClassesAreLlamaCpps() {
        // U+00A0 and U+3000 are whitespace in llama.cpp's set; superscripts and Arabic digits are \p{N}
        assertThat(Gpt2PreTokenizer.split("a\u00A0\u00A0b")).containsExactly("a", "\u00A0", "\u00A0", "b");
        assertThat(Gpt2PreTokenizer.split("x²³ ٣٤")).containsExactly("x", "²³", " ٣٤");
        assertThat(LlamaUnicode.classOf(0x10FFFF)).isEqualTo(LlamaUnicode.OTHER);
        assertThat(LlamaUnicode.classOf(0x110000)).isEqualTo(LlamaUnicode.NONE);
    }

    @Test
    void equalsTheRegexOnAscii() {
        Random r = new Random(7);
        String alphabet = "ab Z9'srtvelmd \t\n\r.,!?-_\"()0 ";
        for (int i = 0; i < 20_000; i++) {
            StringBuilder b = new StringBuilder();
            int n = r.nextInt(24);
            for (int k = 0; k < n; k++) b.append(alphabet.charAt(r.nextInt(alphabet.length())));
            String s = b.toString();
            assertThat(Gpt2PreTokenizer.split(s)).as("'%s'", s).isEqualTo(regexSplit(s));
        }
    }

    @Test
    void piecesConcatenateToTheText() {
        List<String> all = new ArrayList<>(TestStrings.TRICKY);
        all.addAll(TestStrings.random(3, 2000));
        for (String s : all) {
            String expected = new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
            assertThat(String.join("", Gpt2PreTokenizer.split(s))).isEqualTo(expected);
            assertThat(Gpt2PreTokenizer.split(s)).doesNotContain("");
        }
    }
}

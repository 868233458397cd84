package io.tokenflow.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenflow.Model;
import io.tokenflow.ModelOptions;
import io.tokenflow.Tokenizer;
import io.tokenflow.gguf.SyntheticLlama;
import io.tokenflow.train.BpeTrainer;
import io.tokenflow.train.BpeVocabulary;
import io.tokenflow.train.Corpus;
import io.tokenflow.train.TaskSample;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A vocabulary trained by {@link BpeTrainer}, written into a tiny llama GGUF: llama.cpp's tokenization equals
 * {@link BpeVocabulary#encode} on held-out samples of every task family and on tricky strings, and llama.cpp's
 * detokenization gives the text back.
 */
class TrainedTokenizerLlamaTest {
    @TempDir
    static Path tmp;
    static BpeVocabulary vocab;
    static Model model;
    static Corpus corpus;

    @BeforeAll
    static void setUp() throws IOException {
        corpus = Corpus.standard(11, 3000);
        vocab = new BpeTrainer(2048).train(corpus.texts(2000));
        Path gguf = tmp.resolve("trained-bpe.gguf");
        SyntheticLlama.builder().name("trained-bpe").tokenizer(vocab.ggufMetadata()).build().write(gguf);
        model = Model.load(gguf, ModelOptions.builder().vocabOnly(true).build());
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    static List<String> strings() {
        List<String> out = new ArrayList<>();
        for (String family : corpus.families()) {
            for (int i = 0; i < 45; i++) {
                TaskSample s = corpus.heldOut(family, i);
                out.add(s.text());
                if (i < 5) {
                    out.add(s.prompt());
                    out.add(s.answer());
                }
            }
        }
        out.addAll(TRICKY);
        out.addAll(randomStrings(17, 300));
        return out;
    }

    static final List<String> TRICKY = List.of(
            "Hello world", "", " ", "  ", "a", "\n", "\n\n\n", " \n ", "\t\tx", "x\n\ny", "end   ", "   start",
            "multiple     spaces    between", "tabs\tand\nnewlines\r\nend", "0123456789 3.14159 1,000,000 2024",
            "x=1+2*3/4-5", "!!!???...,,,;;;", "a!!! b??? c... d,,, e !", "((([[[{{{}}}]]])))", "--- *** ___ ===",
            "I'm sure we'll see they've gone, don't you? It's Tom's; I'd say they're here.", "'s 't 're 've 'm 'll 'd",
            "a ' b ' c", "''' \"quoted\" 'single'", "''s", "HELLO'S", "café naïve résumé Ångström", "e\u0301 a\u0308 n\u0303o",
            "日本語のテキスト 中文", "emoji 😀👍🏽 family 👨‍👩‍👧!", "Русский текст и العربية", "Ω≈ç√∫ ½ ¼ € ²³ ⅷ",
            "zero\u200Bwidth", "nbsp\u00A0here  \u00A0 x", "nel\u0085line", "ideographic\u3000space", "line\u2028sep",
            "C:\\new\\table \\n \\t", "<|endoftext|>x<|bos|> y", "a <|endoftext|> b", "a\u0000b",
            "def get_x(x):\n    return x + 1\n", "1. apple\n2. pear\n3. plum", "The pass key is 48213. Remember it.",
            "  \t \n  leading mix", "trailing mix \t\n", "٣٤٥ ١٢ digits", "x²+y³", "Ⅻ roman", "🙂🙂🙂 🙂", "\uD83D",
            "lone \uDC00 low", "a\u0300\u0301\u0302", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 math", "\u0378 unassigned \uFFFF \uFFFE",
            "new in Unicode 14-16: \u0870\u0889 \uD83E\uDEF7 \uD838\uDFE0 \u1B4C", " ".repeat(70) + "x" + "\n".repeat(9));

    static List<String> randomStrings(long seed, int count) {
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

    @Test
    void llamaCppLoadsTheTrainedVocabulary() {
        Tokenizer tok = model.tokenizer();
        assertThat(tok.vocabularySize()).isEqualTo(2048);
        assertThat(tok.specialTokens().bos()).isEqualTo(vocab.bos());
        assertThat(tok.isEndOfGeneration(vocab.eos())).isTrue();
        assertThat(tok.isControl(vocab.bos())).isTrue();
        for (int id = 0; id < vocab.size(); id++) {
            if (!vocab.isControl(id)) assertThat(tok.piece(id)).as("piece %d", id).isEqualTo(vocab.tokenBytes(id));
        }
    }

    @Test
    void llamaCppTokenizesLikeTheTrainer() {
        Tokenizer tok = model.tokenizer();
        List<String> all = strings();
        assertThat(all.size()).isGreaterThanOrEqualTo(500);
        int tokens = 0;
        for (String s : all) {
            int[] ours = vocab.encode(s);
            tokens += ours.length;
            assertThat(tok.encode(s, false, false)).as("'%s'", s).containsExactly(ours);
            int[] withBos = tok.encode(s, true, false);
            assertThat(withBos[0]).isEqualTo(vocab.bos());
            assertThat(java.util.Arrays.copyOfRange(withBos, 1, withBos.length)).containsExactly(ours);
            if (s.contains("<|")) {
                assertThat(tok.encode(s, false, true)).as("parse special '%s'", s).containsExactly(vocab.encode(s, true));
            }
        }
        assertThat(tokens).isGreaterThan(50_000);
    }

    /** Detokenization round-trips through llama.cpp: "trillion" keeps clean_spaces off, so even " ," survives. */
    @Test
    void llamaCppDetokenizesBackToTheText() {
        Tokenizer tok = model.tokenizer();
        for (String s : strings()) {
            String expected = new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
            int[] ids = vocab.encode(s);
            assertThat(tok.decode(ids)).as("'%s'", s).isEqualTo(expected);
            assertThat(tok.bytes(ids, false)).isEqualTo(s.getBytes(StandardCharsets.UTF_8));
            assertThat(vocab.decode(ids)).isEqualTo(expected);
            assertThat(tok.decode(tok.encode(s, true, false))).isEqualTo(expected);
        }
    }
}

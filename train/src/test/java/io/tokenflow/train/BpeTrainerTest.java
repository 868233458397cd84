package io.tokenflow.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokenflow.internal.ByteLevelBpe;
import io.tokenflow.gguf.GgufArray;
import io.tokenflow.gguf.GgufValue;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTrainerTest {
    static List<String> docs;
    static BpeVocabulary vocab;

    @BeforeAll
    static void train() {
        docs = Corpus.standard(1, 3000).texts(1500);
        vocab = new BpeTrainer(1024).train(docs);
    }

    @Test
    void exactSizeAndLayout() {
        assertThat(vocab.size()).isEqualTo(1024);
        assertThat(vocab.merges()).hasSize(1024 - 258);
        for (int b = 0; b < 256; b++) assertThat(vocab.token(b)).isEqualTo(ByteLevelBpe.byteSymbol(b));
        assertThat(vocab.bos()).isEqualTo(1022);
        assertThat(vocab.eos()).isEqualTo(1023);
        assertThat(vocab.token(1022)).isEqualTo("<|bos|>");
        assertThat(vocab.token(1023)).isEqualTo("<|endoftext|>");
        for (int i = 0; i < 1024; i++) assertThat(vocab.isControl(i)).isEqualTo(i >= 1022);
        assertThat(vocab.tokens()).doesNotHaveDuplicates();
    }

    @Test
    void everyMergeTokenIsTheConcatenationOfItsParts() {
        for (int r = 0; r < vocab.merges().size(); r++) {
            String[] parts = vocab.merges().get(r).split(" ");
            assertThat(parts).hasSize(2);
            int id = 256 + r;
            assertThat(vocab.token(id)).isEqualTo(parts[0] + parts[1]);
            assertThat(vocab.id(parts[0])).isBetween(0, id - 1);
            assertThat(vocab.id(parts[1])).isBetween(0, id - 1);
        }
    }

    @Test
    void deterministicAndIndependentOfDocumentOrder() {
        assertThat(new BpeTrainer(1024).train(docs)).isEqualTo(vocab);
        List<String> shuffled = new ArrayList<>(docs);
        Collections.shuffle(shuffled, new Random(5));
        assertThat(new BpeTrainer(1024).train(shuffled)).isEqualTo(vocab);
        BpeVocabulary smaller = new BpeTrainer(700).train(docs);
        assertThat(smaller.merges()).isEqualTo(vocab.merges().subList(0, 700 - 258));
    }

    @Test
    void learnsTheCorpus() {
        String text = String.join("", docs.subList(0, 50));
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        assertThat(vocab.encode(text).length).as("tokens for %d bytes", bytes).isLessThan(bytes / 3);
        assertThat(vocab.id("Ġpass")).isPositive();
        assertThat(vocab.id("ĠThe")).isPositive();
    }

    @Test
    void controlTextIsNeverMerged() {
        for (String t : vocab.tokens().subList(256, 1022)) {
            assertThat(t).doesNotContain("<|").doesNotContain("|>");
        }
    }

    @Test
    void tooSmallCorpusIsRefused() {
        assertThatThrownBy(() -> new BpeTrainer(1000).train("tiny text, tiny text"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("corpus too small");
        assertThatThrownBy(() -> new BpeTrainer(100)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void roundTripsEverything() {
        List<String> all = new ArrayList<>(TestStrings.TRICKY);
        all.addAll(TestStrings.random(11, 3000));
        all.addAll(docs.subList(0, 200));
        for (String s : all) {
            String expected = new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
            int[] ids = vocab.encode(s);
            assertThat(vocab.decode(ids)).as("'%s'", s).isEqualTo(expected);
            assertThat(vocab.decodeBytes(ids, true)).isEqualTo(s.getBytes(StandardCharsets.UTF_8));
            for (int id : ids) assertThat(vocab.isControl(id)).isFalse();
        }
    }

    /** The heap encoder equals the textbook one: merges applied in rank order, each left to right over a piece. */
    @Test
    void encoderEqualsReferenceBpe() {
        List<String> all = new ArrayList<>(TestStrings.TRICKY);
        all.addAll(TestStrings.random(12, 500));
        all.addAll(docs.subList(200, 260));
        all.add(" ".repeat(300) + "a".repeat(70) + "!".repeat(41));
        for (String s : all) {
            assertThat(vocab.encode(s)).as("'%s'", s).containsExactly(referenceEncode(s));
        }
    }

    private static int[] referenceEncode(String s) {
        List<Integer> out = new ArrayList<>();
        for (String piece : Gpt2PreTokenizer.split(s)) {
            List<String> syms = new ArrayList<>();
            for (byte b : piece.getBytes(StandardCharsets.UTF_8)) syms.add(ByteLevelBpe.byteSymbol(b & 0xFF));
            for (String m : vocab.merges()) {
                String[] p = m.split(" ");
                for (int i = 0; i + 1 < syms.size(); i++) {
                    if (syms.get(i).equals(p[0]) && syms.get(i + 1).equals(p[1])) {
                        syms.set(i, p[0] + p[1]);
                        syms.remove(i + 1);
                    }
                }
            }
            for (String t : syms) out.add(vocab.id(t));
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void parsesControlTokensOnlyWhenAsked() {
        String s = "a story.<|endoftext|>Once<|bos|>";
        int[] plain = vocab.encode(s);
        assertThat(plain).doesNotContain(vocab.eos(), vocab.bos());
        int[] special = vocab.encode(s, true);
        assertThat(special).contains(vocab.eos(), vocab.bos());
        assertThat(special[special.length - 1]).isEqualTo(vocab.bos());
        assertThat(vocab.decode(special)).isEqualTo("a story.Once");
        assertThat(new String(vocab.decodeBytes(special, true), StandardCharsets.UTF_8)).isEqualTo(s);
    }

    @Test
    void saveAndLoad(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("vocab.txt");
        vocab.save(f);
        BpeVocabulary back = BpeVocabulary.load(f);
        assertThat(back).isEqualTo(vocab);
        assertThat(back.encode(docs.get(3))).containsExactly(vocab.encode(docs.get(3)));
    }

    @Test
    void ggufMetadata() {
        Map<String, GgufValue> kv = vocab.ggufMetadata();
        assertThat(kv.get("tokenizer.ggml.model")).isEqualTo(GgufValue.string("gpt2"));
        assertThat(kv.get("tokenizer.ggml.pre")).isEqualTo(GgufValue.string("trillion"));
        assertThat(((GgufArray) kv.get("tokenizer.ggml.tokens").value()).elements()).isEqualTo(vocab.tokens());
        assertThat(((GgufArray) kv.get("tokenizer.ggml.merges").value()).elements()).isEqualTo(vocab.merges());
        assertThat(kv.get("tokenizer.ggml.bos_token_id")).isEqualTo(GgufValue.uint32(vocab.bos()));
        assertThat(kv.get("tokenizer.ggml.eos_token_id")).isEqualTo(GgufValue.uint32(vocab.eos()));
    }
}

package io.tokenflow.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusTest {
    static String sha256(byte[] b) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    static byte[] bytes(Corpus c, int docs) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        c.write(out, docs);
        return out.toByteArray();
    }

    @Test
    void sameSeedSameBytesDifferentSeedDifferentBytes(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.txt");
        Path b = dir.resolve("b.txt");
        Corpus.standard(42, 4000).write(a, 400);
        Corpus.standard(42, 4000).write(b, 400);
        assertThat(sha256(Files.readAllBytes(a))).isEqualTo(sha256(Files.readAllBytes(b)));
        assertThat(Files.size(a)).isGreaterThan(100_000);
        assertThat(sha256(bytes(Corpus.standard(43, 4000), 400))).isNotEqualTo(sha256(Files.readAllBytes(a)));
        String text = Files.readString(a);
        assertThat(text.split(java.util.regex.Pattern.quote(Corpus.SEPARATOR), -1)).hasSize(401);
        assertThat(text).endsWith(Corpus.SEPARATOR);
    }

    @Test
    void documentsAreReproducibleOneByOne() {
        Corpus c = Corpus.standard(9, 3000);
        List<TaskSample> docs = c.documents(0, 120);
        Corpus again = Corpus.standard(9, 3000);
        assertThat(again.document(117)).isEqualTo(docs.get(117));
        assertThat(again.document(3)).isEqualTo(docs.get(3));
        assertThat(c.heldOut("passkey", 5)).isEqualTo(again.heldOut("passkey", 5));
    }

    @Test
    void mixesEveryFamilyWithSpreadLengths() {
        Corpus c = Corpus.standard(3, 6000);
        Map<String, Integer> counts = new TreeMap<>();
        int longest = 0;
        int shortRetrieval = 0;
        for (TaskSample s : c.documents(0, 600)) {
            counts.merge(s.family(), 1, Integer::sum);
            assertThat(s.split()).isEqualTo(Split.TRAIN);
            if (!s.family().equals(StoryGenerator.FAMILY)) {
                longest = Math.max(longest, s.text().length());
                if (s.text().length() < 1500) shortRetrieval++;
            }
        }
        assertThat(counts).containsOnlyKeys("story", "copy", "passkey", "kv-recall", "multi-needle");
        assertThat(counts.get("story")).isBetween(240, 360);
        assertThat(longest).isBetween(5000, 7000);
        assertThat(shortRetrieval).isPositive();
    }

    /** The split rule: no held-out text is a training document, and no held-out needle appears in training. */
    @Test
    void heldOutNeverOverlapsTraining() {
        Corpus c = Corpus.standard(5, 2500);
        List<TaskSample> train = c.documents(0, 3000);
        Set<String> trainTexts = new HashSet<>();
        StringBuilder all = new StringBuilder();
        for (TaskSample s : train) {
            trainTexts.add(s.text());
            all.append(s.text()).append(Corpus.SEPARATOR);
            assertThat(Split.ofText(s.text())).isEqualTo(Split.TRAIN);
        }
        String trainingText = all.toString();
        int needles = 0;
        for (String family : c.families()) {
            for (int i = 0; i < 60; i++) {
                TaskSample h = c.heldOut(family, i);
                assertThat(h.split()).isEqualTo(Split.HELD_OUT);
                assertThat(Split.ofText(h.text())).isEqualTo(Split.HELD_OUT);
                assertThat(trainTexts).doesNotContain(h.text());
                for (String needle : h.needles()) {
                    assertThat(trainingText).as(family + " needle").doesNotContain(needle);
                    needles++;
                }
                if (!family.equals("story") && !family.equals("copy")) {
                    for (String number : h.answer().replace(",", " ").trim().split(" +")) {
                        assertThat(Split.ofValue(Long.parseLong(number))).isEqualTo(Split.HELD_OUT);
                    }
                }
            }
        }
        assertThat(needles).isGreaterThan(500);
        // and the training needles are all training values
        for (TaskSample s : train) {
            if (s.family().equals("passkey") || s.family().equals("kv-recall")) {
                assertThat(Split.ofValue(Long.parseLong(s.answer().trim()))).isEqualTo(Split.TRAIN);
            }
        }
    }
}

package io.tokenflow.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenflow.GenerationOptions;
import io.tokenflow.Model;
import io.tokenflow.SessionOptions;
import io.tokenflow.eval.TaskEval;
import io.tokenflow.train.BpeVocabulary;
import io.tokenflow.train.InductionModel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hand-constructed retrieval model meets the retrieval bars on a small held-out sample (the full
 * evaluation is the KvTaskBench / `tokenflow eval` benchmark): pass key at short and long prompts, key-value recall
 * with 8 facts; and it is deterministic.
 */
class InductionModelTest {
    @TempDir static Path dir;
    static Model model;

    @BeforeAll
    static void build() throws Exception {
        Path file = dir.resolve("induction.gguf");
        InductionModel.write(file, InductionModel.standardVocabulary(512, 1), 1);
        assertThat(Files.size(file)).isLessThanOrEqualTo(16L << 20);
        model = Model.load(file);
    }

    @AfterAll
    static void close() {
        if (model != null) model.close();
    }

    static TaskEval.Report eval(String task, int... lengths) {
        return TaskEval.run(model, new TaskEval.Plan(task, lengths, 6, 7, SessionOptions.builder().threads(ItEnv.THREADS).build(),
                GenerationOptions.builder().build()), s -> { });
    }

    @Test
    void retrievesPassKeysAtEveryLength() {
        TaskEval.Report r = eval("passkey", 128, 1024, 3000);
        assertThat(r.lengths()).allSatisfy(l -> assertThat(l.accuracy()).as("length " + l.length()).isEqualTo(1.0));
    }

    @Test
    void recallsKeyValueFacts() {
        assertThat(eval("kv-recall", 256, 1024).accuracy()).isGreaterThanOrEqualTo(0.8);
    }

    @Test
    void sameSeedSameFile(@TempDir Path other) throws Exception {
        BpeVocabulary v = InductionModel.standardVocabulary(512, 1);
        InductionModel.write(other.resolve("a.gguf"), v, 1);
        InductionModel.write(other.resolve("b.gguf"), v, 1);
        assertThat(Files.readAllBytes(other.resolve("a.gguf"))).isEqualTo(Files.readAllBytes(other.resolve("b.gguf")));
    }
}

package io.tokenflow.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tokenflow.InvalidModelException;
import io.tokenflow.Model;
import io.tokenflow.ModelLoadException;
import io.tokenflow.gguf.GgmlType;
import io.tokenflow.gguf.SyntheticLlama;
import io.tokenflow.train.LrSchedule;
import io.tokenflow.train.TinyModelTrainer;
import io.tokenflow.train.TrainRecipe;
import io.tokenflow.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** llama.cpp's trainer through the facade: a short run lowers the loss; bad input gives errors, not aborts. */
class TrainerTest {
    @TempDir
    Path tmp;

    @Test
    void shortRunLowersTheLossAndResumes() throws Exception {
        TrainRecipe recipe = TrainRecipe.smoke();
        List<Double> evals = new ArrayList<>();
        TinyModelTrainer.Listener l = new TinyModelTrainer.Listener() {
            @Override
            public void evaluated(TinyModelTrainer.EvalPoint p) { evals.add(p.valLoss()); }
        };
        Path dir = tmp.resolve("run");
        TinyModelTrainer.Result half = new TinyModelTrainer(recipe, dir, 1, l).run(false, 1e9);
        assertThat(half.finished()).isTrue();
        assertThat(evals).hasSize(2);
        assertThat(evals.get(1)).as("held-out loss after %d steps vs at init", recipe.steps()).isLessThan(evals.get(0) - 0.5);
        assertThat(Files.readAllLines(dir.resolve("loss.csv"))).hasSize((int) recipe.steps() + 1);
        try (Model m = Model.load(half.model())) {
            assertThat(m.info().vocabularySize()).isEqualTo(recipe.vocabSize());
        }
        // Every weight trained, the token embedding included (llama.cpp patch 0002; unpatched, it stays as initialised).
        for (String t : List.of("token_embd.weight", "output.weight", "blk.0.attn_q.weight")) {
            assertThat(tensor(half.model(), t)).as(t).isNotEqualTo(tensor(dir.resolve("init.gguf"), t));
        }
    }

    /** A F32 tensor's raw bytes. */
    static byte[] tensor(Path file, String name) throws java.io.IOException {
        io.tokenflow.gguf.GgufFile f = io.tokenflow.gguf.GgufFile.read(file);
        io.tokenflow.gguf.GgufTensorInfo t = f.tensor(name).orElseThrow();
        assertThat(t.type()).isEqualTo(GgmlType.F32);
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate((int) t.byteSize());
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
            ch.read(buf, f.dataOffset() + t.offset());
        }
        return buf.array();
    }

    @Test
    void resumesFromItsCheckpoint() throws Exception {
        TrainRecipe recipe = TrainRecipe.smoke().withSteps(12);
        Path dir = tmp.resolve("resume");
        TinyModelTrainer.Listener quiet = new TinyModelTrainer.Listener() {};
        // stop after (about) no time: one step, then a checkpoint
        TinyModelTrainer.Result first = new TinyModelTrainer(recipe, dir, 1, quiet).run(false, 1e-9);
        assertThat(first.finished()).isFalse();
        assertThat(first.steps()).isEqualTo(1);
        TinyModelTrainer.Result rest = new TinyModelTrainer(recipe, dir, 1, quiet).run(true, 1e9);
        assertThat(rest.finished()).isTrue();
        assertThat(rest.steps()).isEqualTo(12);
        List<String> lines = Files.readAllLines(dir.resolve("loss.csv"));
        assertThat(lines).hasSize(13);
        for (int i = 1; i < lines.size(); i++) assertThat(lines.get(i)).startsWith((i - 1) + ",");
    }

    @Test
    void sameRecipeSameLosses() throws Exception {
        TrainRecipe recipe = TrainRecipe.smoke().withSteps(10);
        TinyModelTrainer.Listener quiet = new TinyModelTrainer.Listener() {};
        new TinyModelTrainer(recipe, tmp.resolve("a"), 1, quiet).run(false, 1e9);
        new TinyModelTrainer(recipe, tmp.resolve("b"), 1, quiet).run(false, 1e9);
        assertThat(lossColumns(tmp.resolve("a/loss.csv"))).isEqualTo(lossColumns(tmp.resolve("b/loss.csv")));
        assertThat(Files.readString(tmp.resolve("a/vocab.txt"))).isEqualTo(Files.readString(tmp.resolve("b/vocab.txt")));
    }

    private static List<String> lossColumns(Path csv) throws Exception {
        List<String> out = new ArrayList<>();
        for (String l : Files.readAllLines(csv)) {
            String[] f = l.split(",");
            out.add(f[0] + "," + f[1] + "," + f[2] + "," + f[3]);
        }
        return out;
    }

    @Test
    void badInputIsRejected() throws Exception {
        Path f32 = tmp.resolve("f32.gguf");
        SyntheticLlama.builder().layers(1).width(32).heads(2).kvHeads(2).ffn(64).vocabSize(300).build().write(f32);
        Path f16 = tmp.resolve("f16.gguf");
        SyntheticLlama.builder().layers(1).width(32).heads(2).kvHeads(2).ffn(64).vocabSize(300).tensorType(GgmlType.F16).build().write(f16);
        assertThatThrownBy(() -> Trainer.open(f16, 256, 1)).isInstanceOf(InvalidModelException.class);
        assertThatThrownBy(() -> Trainer.open(tmp.resolve("missing.gguf"), 256, 1)).isInstanceOf(ModelLoadException.class);
        assertThatThrownBy(() -> Trainer.open(f32, 100, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Trainer.open(f32, 512, 100, 1, 0)).isInstanceOf(IllegalArgumentException.class);
        try (Trainer t = Trainer.open(f32, 256, 1)) {
            assertThatThrownBy(() -> t.step(new int[10])).isInstanceOf(IllegalArgumentException.class);
            int[] w = new int[257];
            w[5] = 300;
            assertThatThrownBy(() -> t.step(w)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> t.schedule(new LrSchedule(LrSchedule.Kind.COSINE, 2, 0, 0, 1, 0.9, 0.9, 0)))
                    .isInstanceOf(IllegalArgumentException.class);
            t.schedule(LrSchedule.cosine(1e-3, 1e-4, 10, 100));
            assertThat(t.lrAt(0)).isCloseTo(1e-4, org.assertj.core.data.Offset.offset(1e-9));
            assertThat(t.lrAt(100)).isCloseTo(1e-4, org.assertj.core.data.Offset.offset(1e-9));
            assertThat(t.lrAt(55)).isCloseTo(LrSchedule.cosine(1e-3, 1e-4, 10, 100).at(55), org.assertj.core.data.Offset.offset(1e-8));
            assertThatThrownBy(() -> t.save(tmp.resolve("no/such/dir/x.gguf"))).isInstanceOf(IllegalArgumentException.class);
            Trainer.Step s = t.step(new int[257]);
            assertThat(s.step()).isZero();
            assertThat(t.steps()).isEqualTo(1);
        }
        Trainer closed = Trainer.open(f32, 256, 1);
        closed.close();
        closed.close();
        assertThatThrownBy(() -> closed.step(new int[257])).isInstanceOf(IllegalStateException.class);
    }
}

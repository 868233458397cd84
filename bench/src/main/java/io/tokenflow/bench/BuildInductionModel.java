package io.tokenflow.bench;

import io.tokenflow.train.BpeVocabulary;
import io.tokenflow.train.InductionModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes tokenflow's hand-constructed retrieval model ({@link InductionModel}) with a BPE vocabulary trained on the
 * standard task corpus (digits removed, so numbers are spelt digit by digit).
 *
 * <p>Usage: {@code BuildInductionModel OUT.gguf [VOCAB=512] [SEED=1]}
 */
public final class BuildInductionModel {
    private BuildInductionModel() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 1) {
            System.err.println("usage: BuildInductionModel OUT.gguf [VOCAB=512] [SEED=1]");
            System.exit(2);
        }
        Path out = Path.of(args[0]);
        int vocabSize = args.length > 1 ? Integer.parseInt(args[1]) : 512;
        long seed = args.length > 2 ? Long.parseLong(args[2]) : 1;
        BpeVocabulary vocab = InductionModel.standardVocabulary(vocabSize, seed);
        if (out.toAbsolutePath().getParent() != null) Files.createDirectories(out.toAbsolutePath().getParent());
        InductionModel.write(out, vocab, seed);
        System.out.println("wrote " + out + " (" + Files.size(out) + " bytes, vocabulary " + vocab.size() + ")");
    }
}

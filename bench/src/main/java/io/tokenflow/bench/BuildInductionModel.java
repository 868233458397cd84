package io.tokenflow.bench;

import io.tokenflow.train.BpeVocabulary;
import io.tokenflow.train.InductionModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * Writes tokenflow's hand-constructed retrieval model ({@link InductionModel}) with a BPE vocabulary trained on the
 * standard task corpus (digits removed, so numbers are spelt digit by digit).
 *
 * <p>Usage: {@code BuildInductionModel OUT.gguf [VOCAB=512] [SEED=1]}
 */
@Command(name = "BuildInductionModel", mixinStandardHelpOptions = true,
        description = {"Writes tokenflow's hand-constructed retrieval model with a BPE vocabulary trained on the standard "
                + "task corpus (digits spelt one by one)."})
public final class BuildInductionModel implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "OUT.gguf", description = "Where the model goes.")
    private Path out;
    @Parameters(index = "1", arity = "0..1", paramLabel = "VOCAB", defaultValue = "512",
            description = "Vocabulary size (default: ${DEFAULT-VALUE}).")
    private int vocabSize;
    @Parameters(index = "2", arity = "0..1", paramLabel = "SEED", defaultValue = "1", description = "Seed (default: ${DEFAULT-VALUE}).")
    private long seed;

    private BuildInductionModel() {}

    public static void main(String[] args) {
        System.exit(BenchCommand.execute(new BuildInductionModel(), args));
    }

    @Override
    public Integer call() throws IOException {
        BpeVocabulary vocab = InductionModel.standardVocabulary(vocabSize, seed);
        if (out.toAbsolutePath().getParent() != null) Files.createDirectories(out.toAbsolutePath().getParent());
        InductionModel.write(out, vocab, seed);
        System.out.println("wrote " + out + " (" + Files.size(out) + " bytes, vocabulary " + vocab.size() + ")");
        return 0;
    }
}

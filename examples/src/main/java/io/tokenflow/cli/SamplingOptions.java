package io.tokenflow.cli;

import io.tokenflow.GenerationOptions;
import io.tokenflow.speculative.Speculation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** Sampling options shared by {@code generate} and {@code chat} (llama.cpp's names and defaults). */
final class SamplingOptions {
    @Option(names = "--temp", paramLabel = "T", defaultValue = "0",
            description = "Temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "40", description = "Top-k; 0 = off (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", defaultValue = "0.95", description = "Top-p; 1 = off (default: ${DEFAULT-VALUE}).")
    float topP;

    @Option(names = "--min-p", paramLabel = "P", defaultValue = "0.05", description = "Min-p; 0 = off (default: ${DEFAULT-VALUE}).")
    float minP;

    @Option(names = "--repeat-penalty", paramLabel = "X", defaultValue = "1.0",
            description = "Repetition penalty; 1 = off (default: ${DEFAULT-VALUE}).")
    float repeatPenalty;

    @Option(names = "--repeat-last-n", paramLabel = "N", defaultValue = "64",
            description = "Tokens the repetition penalty looks back; -1 = whole context (default: ${DEFAULT-VALUE}).")
    int repeatLastN;

    @Option(names = {"-s", "--seed"}, paramLabel = "SEED", defaultValue = "-1",
            description = "Random seed, 0..4294967295; -1 = a fresh one (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--stop", paramLabel = "S", description = "Stop before this text (repeatable).")
    List<String> stop = new ArrayList<>();

    @Option(names = "--ignore-eos", description = "Keep generating past end-of-generation tokens.")
    boolean ignoreEos;

    @Option(names = "--spec", paramLabel = "POLICY", defaultValue = "none",
            description = "Lossless speculative decoding: none|ngram|lookahead|recycling|auto (default: ${DEFAULT-VALUE}).")
    String spec;

    @Option(names = "--draft-budget", paramLabel = "N", defaultValue = "-1",
            description = "Drafted tokens per step: -1 sizes trees from measured decode cost (default), 0 off, else fixed.")
    int draftBudget;

    private static final Map<String, String> NAMES = Map.of("maxTokens", "-n", "temperature", "--temp", "topK", "--top-k",
            "topP", "--top-p", "minP", "--min-p", "repeatPenalty", "--repeat-penalty", "repeatLastN", "--repeat-last-n",
            "seed", "--seed", "stop strings", "--stop strings", "draftBudget", "--draft-budget");

    GenerationOptions toOptions(int maxTokens) {
        return OptionValues.build(() -> GenerationOptions.builder().maxTokens(maxTokens).temperature(temperature).topK(topK)
                .topP(topP).minP(minP).repeatPenalty(repeatPenalty).repeatLastN(repeatLastN)
                .seed(seed == -1 ? GenerationOptions.RANDOM_SEED : seed).stopStrings(stop).ignoreEos(ignoreEos)
                .speculation(Speculation.parse(spec)).draftBudget(draftBudget).build(), NAMES);
    }
}

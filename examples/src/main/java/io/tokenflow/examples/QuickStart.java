package io.tokenflow.examples;

import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.Model;
import io.tokenflow.ModelOptions;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import java.nio.file.Path;

/**
 * The README's quick start as a program: load a model with a progress line, stream a sampled continuation.
 * Run: {@code java -cp examples/target/tokenflow-cli.jar io.tokenflow.examples.QuickStart MODEL.gguf "Once upon a time"}
 */
public final class QuickStart {
    private QuickStart() {}

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: QuickStart MODEL.gguf [PROMPT]");
            System.exit(2);
        }
        String prompt = args.length > 1 ? args[1] : "Once upon a time";
        ModelOptions mo = ModelOptions.builder().progress(p -> System.err.printf("\rloading %3.0f%%", p * 100)).build();
        try (Model model = Model.load(Path.of(args[0]), mo);
             Session session = model.newSession(SessionOptions.builder().contextSize(1024).build())) {
            System.err.println();
            GenerationOptions go = GenerationOptions.builder().maxTokens(64).temperature(0.8f).topP(0.95f).seed(42).build();
            System.out.print(prompt);
            GenerationResult r = session.generate(prompt, go, (token, text) -> System.out.print(text));
            System.out.printf("%n[%d tokens, %.1f tokens/s, stopped: %s]%n", r.stats().generatedTokens(),
                    r.stats().generationTokensPerSecond(), r.stopReason());
        }
    }
}

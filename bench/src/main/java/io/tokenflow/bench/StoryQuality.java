package io.tokenflow.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import io.tokenflow.eval.TaskEval;
import io.tokenflow.train.StoryGrammar;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * How readable a model's stories are, as a number (a program, not a test): N stories sampled from "Once upon a time"
 * (temperature T, seeds 1..N, up to 200 tokens or end of text), each sentence judged by {@link StoryGrammar} (does
 * the story grammar produce it?). Prints the share of valid sentences with a Wilson 95% interval, the share of stories
 * with no invalid sentence, and the first samples; writes JSON.
 *
 * <p>Usage: {@code StoryQuality MODEL [N=100] [TEMP=0.8] [OUT.json]}
 */
@Command(name = "StoryQuality", mixinStandardHelpOptions = true,
        description = {"How readable a model's stories are: N stories sampled from \"Once upon a time\", each sentence "
                + "judged by the story grammar; prints the share of valid sentences (Wilson 95%% interval) and samples."})
public final class StoryQuality extends BenchCommand {
    @Parameters(index = "0", paramLabel = "MODEL", description = "GGUF model.")
    private Path model;
    @Parameters(index = "1", arity = "0..1", paramLabel = "N", defaultValue = "100", description = "Stories (default: ${DEFAULT-VALUE}).")
    private int n;
    @Parameters(index = "2", arity = "0..1", paramLabel = "TEMP", defaultValue = "0.8",
            description = "Sampling temperature (default: ${DEFAULT-VALUE}).")
    private float temp;
    @Parameters(index = "3", arity = "0..1", paramLabel = "OUT.json", description = "Where the JSON goes (default: none written).")
    private Path out;

    public static void main(String[] args) {
        System.exit(BenchCommand.execute(new StoryQuality(), args));
    }

    @Override
    void run() throws IOException {
        StoryGrammar grammar = StoryGrammar.fromTraining(1, 20_000);
        int sentences = 0, valid = 0, clean = 0;
        List<String> samples = new ArrayList<>();
        List<String> invalid = new ArrayList<>();
        try (Model m = Model.load(model); Session s = m.newSession(SessionOptions.builder().contextSize(256).threads(1).build())) {
            for (int i = 1; i <= n; i++) {
                s.reset();
                GenerationResult r = s.generate("Once upon a time", GenerationOptions.builder().maxTokens(200)
                        .temperature(temp).seed(i).build());
                String text = "Once upon a time" + r.text();
                StoryGrammar.Score sc = grammar.score(text);
                sentences += sc.sentences();
                valid += sc.valid();
                if (sc.sentences() > 0 && sc.invalid().isEmpty()) clean++;
                if (samples.size() < 5) samples.add(text.strip());
                for (String bad : sc.invalid()) if (invalid.size() < 10) invalid.add(bad);
            }
        }
        double[] ci = TaskEval.wilson(valid, sentences);
        System.out.printf(Locale.ROOT, "%s: %d stories (T=%.2f): %d/%d sentences valid = %.3f [%.3f, %.3f]; stories with no invalid sentence: %d/%d%n",
                model.getFileName(), n, temp, valid, sentences, (double) valid / sentences, ci[0], ci[1], clean, n);
        for (String sm : samples) System.out.println("  sample: " + sm.replace('\n', ' '));
        for (String bad : invalid) System.out.println("  invalid: " + bad.replace('\n', ' '));
        if (out != null) {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode o = mapper.createObjectNode();
            o.put("model", model.getFileName().toString());
            o.put("stories", n);
            o.put("temperature", temp);
            o.put("sentences", sentences);
            o.put("valid", valid);
            o.put("fraction", (double) valid / sentences);
            o.putArray("ci95").add(ci[0]).add(ci[1]);
            o.put("clean_stories", clean);
            ArrayNode sa = o.putArray("samples");
            samples.forEach(sa::add);
            ArrayNode ia = o.putArray("invalid_examples");
            invalid.forEach(ia::add);
            Files.createDirectories(out.toAbsolutePath().getParent());
            Files.writeString(out, mapper.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n");
            System.out.println("wrote " + out);
        }
    }
}

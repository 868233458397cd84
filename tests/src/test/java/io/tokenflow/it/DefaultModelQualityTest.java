package io.tokenflow.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenflow.DefaultModel;
import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import io.tokenflow.train.StoryGrammar;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * The packaged default model (tokenflow's own story model, docs/MODELS.md): its checksum is the one the docs give,
 * it loads, and on a small sample it writes stories whose sentences the story grammar produces at the documented
 * bar. (The full evaluation, 200 stories, is the StoryQuality benchmark.) Retrieval bars are the constructed
 * induction model's, tested in {@link InductionModelTest}.
 */
class DefaultModelQualityTest {
    /** Share of valid sentences required on this test's 24 stories (the benchmark measures the full figure). */
    static final double BAR = 0.80;

    @Test
    void docsGiveThePackagedModelsChecksum() throws Exception {
        Properties p = DefaultModel.describe();
        String docs = Files.readString(Path.of("..", "docs", "MODELS.md"));
        assertThat(docs).contains(p.getProperty("sha256")).contains(p.getProperty("name"));
    }

    @Test
    void writesGrammaticalStories() {
        StoryGrammar grammar = StoryGrammar.fromTraining(1, 20_000);
        int sentences = 0, valid = 0;
        try (Model m = Model.loadDefault(); Session s = m.newSession(SessionOptions.builder().contextSize(256).threads(1).build())) {
            for (int seed = 1; seed <= 24; seed++) {
                s.reset();
                GenerationResult r = s.generate("Once upon a time",
                        GenerationOptions.builder().maxTokens(200).temperature(0.8f).seed(seed).build());
                StoryGrammar.Score sc = grammar.score("Once upon a time" + r.text());
                sentences += sc.sentences();
                valid += sc.valid();
            }
        }
        assertThat(sentences).isGreaterThan(24);
        assertThat((double) valid / sentences).as("%d of %d sentences valid", valid, sentences).isGreaterThanOrEqualTo(BAR);
    }
}

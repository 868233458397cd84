package io.tokenflow.train;

/** Applies the {@link Split} rule: draws attempts until the sample's text belongs to the requested split. */
abstract class SplitTask implements TaskGenerator {
    @Override
    public final TaskSample sample(long seed, Split split, long index, int targetLength, LengthMeasure measure) {
        if (targetLength < 0) throw new IllegalArgumentException("targetLength must be >= 0");
        for (int attempt = 0; ; attempt++) {
            Draw d = draw(Rng.of(seed, family(), split, index, attempt), split, targetLength, measure);
            if (Split.ofText(d.prompt + d.answer) == split) {
                return new TaskSample(family(), split, index, d.prompt, d.answer, d.needles);
            }
        }
    }

    /** One attempt; needle numbers must come from {@code split} ({@link Split#drawValue}). */
    abstract Draw draw(Rng rng, Split split, int targetLength, LengthMeasure measure);

    record Draw(String prompt, String answer, java.util.List<String> needles) {}
}

package io.tokenflow.train;

import java.util.List;

/**
 * One generated sample: the text to feed ({@code prompt}) and the text a model should continue it with
 * ({@code answer}, usually starting with a space). A training document is {@link #text()}.
 *
 * @param needles the lines the answer depends on (pass key lines, facts), for checks; empty for stories and copies
 */
public record TaskSample(String family, Split split, long index, String prompt, String answer, List<String> needles) {
    public TaskSample {
        needles = List.copyOf(needles);
    }

    public String text() {
        return prompt + answer;
    }
}

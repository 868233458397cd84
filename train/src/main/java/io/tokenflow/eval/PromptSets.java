package io.tokenflow.eval;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The built-in prompt sets the speculation benchmarks and {@code tokenflow bench --spec} decode: story continuation,
 * copying (a paragraph repeated) and code-like counting, 20 prompts each, one per line in
 * {@code io/tokenflow/eval/prompts/NAME.txt}. Fixed text, so figures from different runs compare.
 */
public final class PromptSets {
    /** Set names in their reporting order. */
    public static final List<String> NAMES = List.of("story", "copy", "code");

    private PromptSets() {}

    /** Every set, in {@link #NAMES} order. */
    public static Map<String, List<String>> all() {
        Map<String, List<String>> sets = new LinkedHashMap<>();
        for (String name : NAMES) sets.put(name, get(name));
        return Collections.unmodifiableMap(sets);
    }

    /** One set by name. */
    public static List<String> get(String name) {
        if (!NAMES.contains(name)) throw new IllegalArgumentException("no prompt set '" + name + "' (have " + NAMES + ")");
        try (InputStream in = PromptSets.class.getResourceAsStream("prompts/" + name + ".txt")) {
            if (in == null) throw new IllegalStateException("prompt set resource " + name + ".txt is missing");
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            return List.copyOf(Arrays.asList(text.strip().split("\n")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

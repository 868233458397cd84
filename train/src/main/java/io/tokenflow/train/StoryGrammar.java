package io.tokenflow.train;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A measurable "readable": the share of a text's sentences that the story grammar ({@link StoryGenerator}) can
 * produce. Each sentence is reduced to a skeleton — every word or phrase from one of the grammar's slot lists (names,
 * animals, colours, objects, places, spots, feelings, lessons, ...) replaced by its list's tag — and looked up among
 * the skeletons of {@code stories} training stories. A sentence with a misspelt word, a wrong word order or a slot
 * filled from the wrong list does not match. Whether consecutive sentences fit together (the same hero throughout)
 * is not judged. Deterministic for a seed.
 */
public final class StoryGrammar {
    /** Sentence ends: '.', '!' or '?' (and a closing quote), then space and a capital or an opening quote. */
    private static final Pattern SENTENCE_END = Pattern.compile("(?<=[.!?]\"?)\\s+(?=[A-Z\"])");
    private static final Pattern WORD_BOUNDARY_SPACE = Pattern.compile("\\s+");

    /** Slot phrases by length, longest first, so "under a big tree" is replaced before "big" and "tree". */
    private final List<Map.Entry<String, String>> slots;
    private final Set<String> skeletons = new HashSet<>();

    /** The result of {@link #score}: sentences judged (the unterminated tail is left out) and the valid ones. */
    public record Score(int sentences, int valid, List<String> invalid) {
        public Score {
            invalid = List.copyOf(invalid);
        }

        public double fraction() { return sentences == 0 ? 0 : (double) valid / sentences; }
    }

    private StoryGrammar() {
        Map<String, String> tags = new LinkedHashMap<>();
        // One tag per phrase; a word in two lists takes the first tag (the same mapping applies to every text).
        put(tags, "LESSON", Words.LESSONS);
        put(tags, "SPOT", Words.SPOTS);
        put(tags, "KIND", Words.GIRL_KINDS);
        put(tags, "KIND", Words.BOY_KINDS);
        put(tags, "NAME", Words.GIRLS);
        put(tags, "NAME", Words.BOYS);
        put(tags, "NAME", Words.ANIMAL_NAMES);
        put(tags, "ANIMAL", Words.ANIMALS);
        put(tags, "FEEL", Words.FEELINGS);
        put(tags, "FEEL", Words.GOOD_FEELINGS);
        put(tags, "ADJ", Words.ADJECTIVES);
        put(tags, "COLOR", Words.COLORS);
        put(tags, "OBJECT", Words.OBJECTS);
        put(tags, "PLACE", Words.PLACES);
        put(tags, "TIME", Words.TIMES);
        slots = new ArrayList<>(tags.entrySet());
        slots.sort(Comparator.comparingInt((Map.Entry<String, String> e) -> -e.getKey().length()));
    }

    private static void put(Map<String, String> tags, String tag, String[] phrases) {
        for (String p : phrases) tags.putIfAbsent(p, tag);
    }

    /** The grammar as seen in {@code stories} training-split stories of {@code seed}. */
    public static StoryGrammar fromTraining(long seed, int stories) {
        if (stories < 1) throw new IllegalArgumentException("stories must be >= 1, got " + stories);
        StoryGrammar g = new StoryGrammar();
        StoryGenerator gen = new StoryGenerator();
        for (int i = 0; i < stories; i++) {
            TaskSample s = gen.sample(seed, Split.TRAIN, i, 0, LengthMeasure.CHARS);
            for (String sentence : sentences(s.text(), true)) g.skeletons.add(g.skeleton(sentence));
        }
        return g;
    }

    /** Distinct sentence skeletons known. */
    public int skeletonCount() { return skeletons.size(); }

    /** Judges every complete sentence of {@code text} (a trailing sentence with no end mark is left out). */
    public Score score(String text) {
        List<String> invalid = new ArrayList<>();
        int n = 0, ok = 0;
        for (String s : sentences(text, false)) {
            n++;
            if (skeletons.contains(skeleton(s))) ok++;
            else invalid.add(s);
        }
        return new Score(n, ok, invalid);
    }

    /** The sentence with every slot phrase replaced by its tag (whole words only). */
    String skeleton(String sentence) {
        String s = " " + WORD_BOUNDARY_SPACE.matcher(sentence.strip()).replaceAll(" ") + " ";
        for (Map.Entry<String, String> e : slots) {
            s = replaceWords(s, e.getKey(), e.getValue());
            String cap = Words.capitalize(e.getKey());
            if (!cap.equals(e.getKey())) s = replaceWords(s, cap, "^" + e.getValue());
        }
        return s.strip();
    }

    /** Replaces {@code phrase} where it stands as whole words (not inside a longer word). */
    private static String replaceWords(String s, String phrase, String tag) {
        int from = 0;
        StringBuilder out = null;
        int copied = 0;
        while (true) {
            int i = s.indexOf(phrase, from);
            if (i < 0) break;
            int end = i + phrase.length();
            boolean startOk = i == 0 || !Character.isLetterOrDigit(s.charAt(i - 1));
            boolean endOk = end == s.length() || !Character.isLetterOrDigit(s.charAt(end));
            if (startOk && endOk) {
                if (out == null) out = new StringBuilder(s.length());
                out.append(s, copied, i).append('<').append(tag).append('>');
                copied = end;
            }
            from = end;
        }
        if (out == null) return s;
        return out.append(s, copied, s.length()).toString();
    }

    /** Sentences of a text; with {@code complete} false, a last piece with no end mark is dropped. */
    static List<String> sentences(String text, boolean complete) {
        List<String> out = new ArrayList<>();
        for (String part : SENTENCE_END.split(text.strip())) {
            String p = part.strip();
            if (!p.isEmpty()) out.add(p);
        }
        if (!complete && !out.isEmpty()) {
            String last = out.get(out.size() - 1);
            if (!last.matches("(?s).*[.!?]\"?$")) out.remove(out.size() - 1);
        }
        return out;
    }
}

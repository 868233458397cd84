package io.tokenflow.kv;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * WindowKV's task type, which picks how window scores are aggregated and how long the observation window is
 * (ALGORITHMS §6): {@link #QA} (information localization) scores a window by the max of its tokens' attention
 * over S = 32 query tokens; {@link #OTHER} (aggregation: summaries, few-shot, code) by the average over S = 16.
 * {@link #AUTO} decides per prompt with {@link #classify}.
 */
public enum WindowKvTask {
    AUTO("auto"),
    QA("qa"),
    OTHER("other");

    public static final String CHOICES = "auto|qa|other";

    /** How much of the prompt's end {@link #classify} reads: the question or instruction sits there. */
    public static final int CLASSIFY_TAIL_CHARS = 200;

    // An interrogative or retrieval verb at the start of a line, sentence or quote.
    private static final Pattern QUESTION_START = Pattern.compile(
            "[\\n.!?:;\"'(]\\s*(what|who|whom|whose|where|when|which|how|why|find|retrieve|recall)\\b",
            Pattern.CASE_INSENSITIVE);
    // Retrieval vocabulary (passkey and key-value retrieval prompts, "Answer:" cues).
    private static final Pattern RETRIEVAL_WORDS = Pattern.compile(
            "\\b(pass ?key|key|value of|answer)\\b", Pattern.CASE_INSENSITIVE);

    private final String id;

    WindowKvTask(String id) { this.id = id; }

    public String id() { return id; }

    /** The task named {@code text} (case-insensitive, surrounding blanks ignored). */
    public static WindowKvTask parse(String text) {
        if (text == null) throw new IllegalArgumentException("WindowKV task must be one of " + CHOICES + ", got null");
        String t = text.strip().toLowerCase(Locale.ROOT);
        for (WindowKvTask k : values()) if (k.id.equals(t)) return k;
        throw new IllegalArgumentException("unknown WindowKV task '" + text + "': expected one of " + CHOICES);
    }

    /**
     * A keyword heuristic in place of the paper's BERT classifier (we don't ship BERT): {@link #QA} when the last
     * {@value #CLASSIFY_TAIL_CHARS} characters hold a '?', a line or sentence starting with what / who / where / when /
     * which / how / why / find / retrieve / recall, or the words passkey, key, "value of" or answer; otherwise
     * {@link #OTHER}. It errs towards QA (a summary prompt mentioning "key points" is QA), the milder mistake: max
     * scoring still keeps the windows an aggregation task attends to most. Pass {@code task=qa|other} to override.
     */
    public static WindowKvTask classify(String promptText) {
        if (promptText == null || promptText.isEmpty()) return OTHER;
        boolean cut = promptText.length() > CLASSIFY_TAIL_CHARS;
        // A line break stands for the prompt's start; a cut tail starts mid-text, so it gets a blank (no boundary).
        String tail = (cut ? " " : "\n") + promptText.substring(promptText.length() - Math.min(promptText.length(), CLASSIFY_TAIL_CHARS));
        if (tail.indexOf('?') >= 0 || QUESTION_START.matcher(tail).find() || RETRIEVAL_WORDS.matcher(tail).find()) return QA;
        return OTHER;
    }

    /** This task, or the classified one for {@link #AUTO}. */
    public WindowKvTask resolve(String promptText) { return this == AUTO ? classify(promptText) : this; }

    /** Whether windows are scored by max (QA) rather than average (OTHER); AUTO must be resolved first. */
    public boolean maxScoring() { return concrete() == QA; }

    /** The task's observation window S: 32 for QA, 16 for OTHER; AUTO must be resolved first. */
    public int observationWindow() { return concrete() == QA ? 32 : 16; }

    private WindowKvTask concrete() {
        if (this == AUTO) throw new IllegalStateException("WindowKV task AUTO must be resolved from the prompt first");
        return this;
    }

    @Override
    public String toString() { return id; }
}

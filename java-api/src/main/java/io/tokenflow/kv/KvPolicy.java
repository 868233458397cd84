package io.tokenflow.kv;

import java.util.Locale;

/** The KV-cache compression policy, as the CLI names it: {@value #CHOICES}. */
public enum KvPolicy {
    /** No compression: every prompt token stays in the cache. */
    NONE("none"),
    /** StreamingLLM: the first sink tokens plus the most recent ones ({@link StreamingSelector}). */
    STREAMING("streaming"),
    /** SnapKV: the observation window plus the prefix tokens it attends to most ({@link SnapKvSelector}). */
    SNAPKV("snapkv"),
    /** WindowKV: whole windows of consecutive tokens scored by the observation window ({@link WindowKvSelector}). */
    WINDOWKV("windowkv");

    public static final String CHOICES = "none|streaming|snapkv|windowkv";

    private final String id;

    KvPolicy(String id) { this.id = id; }

    /** The CLI name. */
    public String id() { return id; }

    /** The policy named {@code text} (case-insensitive, surrounding blanks ignored). */
    public static KvPolicy parse(String text) {
        if (text == null) throw new IllegalArgumentException("KV policy must be one of " + CHOICES + ", got null");
        String t = text.strip().toLowerCase(Locale.ROOT);
        for (KvPolicy p : values()) if (p.id.equals(t)) return p;
        throw new IllegalArgumentException("unknown KV policy '" + text + "': expected one of " + CHOICES);
    }

    @Override
    public String toString() { return id; }
}

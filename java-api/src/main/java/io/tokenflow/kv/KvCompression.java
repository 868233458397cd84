package io.tokenflow.kv;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * How to compress the prompt's KV cache after prefill. Immutable; build with {@link #builder}, or {@link #parse} a
 * CLI spec {@code policy[:budget][,key=value...]} such as "windowkv:0.12", "snapkv:512,kernel=7",
 * "streaming:25%,sinks=8", "windowkv:1024,task=qa" or "none". {@link #toString} writes the spec back (defaults
 * left out). Options that do not apply to the policy must keep their defaults, so a spec never carries settings
 * that silently do nothing.
 *
 * <p>Spec keys: {@code sinks} (streaming), {@code obs} (observation window; snapkv, windowkv), {@code kernel} and
 * {@code pool=avg|max} (snapkv), {@code w}, {@code task=auto|qa|other}, {@code groups} and {@code beta} (windowkv).
 *
 * @param policy the policy
 * @param budget prompt tokens to keep; null exactly for {@link KvPolicy#NONE}
 * @param sinkTokens StreamingLLM's always-kept first tokens (default 4); it keeps them plus the
 *     {@code budget - sinkTokens} most recent
 * @param observationWindow the last prompt tokens whose attention scores the rest, always kept: SnapKV's window
 *     (default 32, >= 1); for WindowKV 0 (the default) means "from the task": 32 for QA, 16 for OTHER
 * @param poolKernel SnapKV's 1-D pooling kernel along tokens (odd, default 5; 1 = no pooling)
 * @param poolMax SnapKV max pooling instead of average pooling (default false = avgpool)
 * @param windowSize WindowKV's window w of consecutive tokens kept or evicted together (default 8)
 * @param task WindowKV's task type, picking max or average window scoring (default AUTO: classified per prompt)
 * @param layerGroups WindowKV's layer groups G; only each group's leader layer is scored (default 4)
 * @param groupBeta WindowKV's β in the per-group budget formula (default 14)
 */
public record KvCompression(KvPolicy policy, KvBudget budget, int sinkTokens, int observationWindow, int poolKernel,
        boolean poolMax, int windowSize, WindowKvTask task, int layerGroups, int groupBeta) {

    public static final int DEFAULT_SINK_TOKENS = 4;
    public static final int DEFAULT_SNAPKV_WINDOW = 32;
    public static final int DEFAULT_POOL_KERNEL = 5;
    public static final int DEFAULT_WINDOW_SIZE = 8;
    public static final int DEFAULT_LAYER_GROUPS = 4;
    public static final int DEFAULT_GROUP_BETA = 14;

    private static final String SPEC_FORM = "policy[:budget][,key=value...], e.g. windowkv:0.12, snapkv:512, streaming:25%, none";

    public KvCompression {
        if (policy == null) throw new IllegalArgumentException("policy is null");
        if (task == null) throw new IllegalArgumentException("task is null (use WindowKvTask.AUTO)");
        if (policy == KvPolicy.NONE && budget != null) throw new IllegalArgumentException("policy none takes no budget, got " + budget);
        if (policy != KvPolicy.NONE && budget == null) {
            throw new IllegalArgumentException("policy " + policy + " needs a budget: a token count (" + policy + ":512) or a fraction of the prompt ("
                    + policy + ":0.12 or " + policy + ":12%)");
        }
        if (sinkTokens < 0) throw new IllegalArgumentException("sinkTokens must be >= 0, got " + sinkTokens);
        if (observationWindow < 0) throw new IllegalArgumentException("observationWindow must be >= 0, got " + observationWindow);
        if (poolKernel < 1 || poolKernel % 2 == 0) throw new IllegalArgumentException("poolKernel must be odd and >= 1, got " + poolKernel);
        if (windowSize < 1) throw new IllegalArgumentException("windowSize must be >= 1, got " + windowSize);
        if (layerGroups < 1) throw new IllegalArgumentException("layerGroups must be >= 1, got " + layerGroups);
        if (groupBeta < 1) throw new IllegalArgumentException("groupBeta must be >= 1, got " + groupBeta);
        if (policy == KvPolicy.SNAPKV && observationWindow < 1) {
            throw new IllegalArgumentException("SnapKV's observationWindow must be >= 1, got " + observationWindow);
        }
        boolean streaming = policy == KvPolicy.STREAMING, snap = policy == KvPolicy.SNAPKV, window = policy == KvPolicy.WINDOWKV;
        onlyFor(streaming, sinkTokens != DEFAULT_SINK_TOKENS, "sinkTokens", "streaming", policy);
        onlyFor(snap || window, observationWindow != 0, "observationWindow", "snapkv and windowkv", policy);
        onlyFor(snap, poolKernel != DEFAULT_POOL_KERNEL, "poolKernel", "snapkv", policy);
        onlyFor(snap, poolMax, "poolMax", "snapkv", policy);
        onlyFor(window, windowSize != DEFAULT_WINDOW_SIZE, "windowSize", "windowkv", policy);
        onlyFor(window, task != WindowKvTask.AUTO, "task", "windowkv", policy);
        onlyFor(window, layerGroups != DEFAULT_LAYER_GROUPS, "layerGroups", "windowkv", policy);
        onlyFor(window, groupBeta != DEFAULT_GROUP_BETA, "groupBeta", "windowkv", policy);
    }

    private static void onlyFor(boolean applies, boolean changed, String option, String policies, KvPolicy policy) {
        if (!applies && changed) throw new IllegalArgumentException(option + " applies to " + policies + " only, not to " + policy);
    }

    /** No compression. */
    public static KvCompression none() { return builder(KvPolicy.NONE).build(); }

    /** A builder with the policy's defaults; every policy but NONE needs a {@link Builder#budget}. */
    public static Builder builder(KvPolicy policy) { return new Builder(policy); }

    public Builder toBuilder() {
        Builder b = new Builder(policy);
        b.budget = budget; b.sinkTokens = sinkTokens; b.observationWindow = observationWindow; b.poolKernel = poolKernel;
        b.poolMax = poolMax; b.windowSize = windowSize; b.task = task; b.layerGroups = layerGroups; b.groupBeta = groupBeta;
        return b;
    }

    /** Reads a CLI spec (see the class comment); case-insensitive, blanks around parts ignored. */
    public static KvCompression parse(String spec) {
        if (spec == null || spec.isBlank()) throw new IllegalArgumentException("empty KV compression spec: expected " + SPEC_FORM);
        String[] parts = spec.split(",", -1);
        String head = parts[0].strip();
        int colon = head.indexOf(':');
        KvPolicy policy = KvPolicy.parse(colon < 0 ? head : head.substring(0, colon));
        Builder b = builder(policy);
        if (colon >= 0) {
            if (policy == KvPolicy.NONE) throw new IllegalArgumentException("policy none takes no budget: '" + spec + "'");
            b.budget(KvBudget.parse(head.substring(colon + 1)));
        }
        Set<String> seen = new HashSet<>();
        for (int i = 1; i < parts.length; i++) {
            String part = parts[i].strip();
            int eq = part.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("bad option '" + part + "' in KV spec '" + spec + "': expected key=value");
            String key = part.substring(0, eq).strip().toLowerCase(Locale.ROOT);
            String value = part.substring(eq + 1).strip();
            if (!seen.add(key)) throw new IllegalArgumentException("option " + key + " given twice in KV spec '" + spec + "'");
            switch (key) {
                case "sinks" -> b.sinkTokens(intOption(key, value));
                case "obs" -> b.observationWindow(intOption(key, value));
                case "kernel" -> b.poolKernel(intOption(key, value));
                case "pool" -> b.poolMax(switch (value.toLowerCase(Locale.ROOT)) {
                    case "avg" -> false;
                    case "max" -> true;
                    default -> throw new IllegalArgumentException("pool must be avg or max, got '" + value + "'");
                });
                case "w" -> b.windowSize(intOption(key, value));
                case "task" -> b.task(WindowKvTask.parse(value));
                case "groups" -> b.layerGroups(intOption(key, value));
                case "beta" -> b.groupBeta(intOption(key, value));
                default -> throw new IllegalArgumentException("unknown option '" + key + "' in KV spec '" + spec
                        + "': expected sinks, obs, kernel, pool, w, task, groups or beta");
            }
        }
        return b.build();
    }

    private static int intOption(String key, String value) {
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option " + key + " needs an integer, got '" + value + "'");
        }
    }

    public boolean enabled() { return policy != KvPolicy.NONE; }

    /**
     * The observation window in use: SnapKV's; WindowKV's, or its task's S when 0 (32 while the task is still AUTO,
     * the larger, so checks stay safe: call {@link #resolveTask} first for the exact value); 0 for the others.
     */
    public int effectiveObservationWindow() {
        return switch (policy) {
            case SNAPKV -> observationWindow;
            case WINDOWKV -> observationWindow > 0 ? observationWindow
                    : task == WindowKvTask.AUTO ? WindowKvTask.QA.observationWindow() : task.observationWindow();
            default -> 0;
        };
    }

    /** This compression with WindowKV's AUTO task classified from the prompt text; unchanged otherwise. */
    public KvCompression resolveTask(String promptText) {
        if (policy != KvPolicy.WINDOWKV || task != WindowKvTask.AUTO) return this;
        return toBuilder().task(WindowKvTask.classify(promptText)).build();
    }

    /**
     * The smallest budget that leaves something to choose: streaming sinks + 1, SnapKV and WindowKV observation
     * window + 1 (those tokens are always kept); 0 for none.
     */
    public int minimumBudget() {
        return switch (policy) {
            case NONE -> 0;
            case STREAMING -> sinkTokens + 1;
            case SNAPKV, WINDOWKV -> effectiveObservationWindow() + 1;
        };
    }

    /**
     * The budget in tokens for a prompt of {@code promptTokens} (the prompt length for none; may exceed the prompt,
     * then nothing is evicted). Call before any work.
     *
     * @throws IllegalArgumentException when it would compress with less than {@link #minimumBudget}
     */
    public int resolveBudget(int promptTokens) {
        if (promptTokens < 0) throw new IllegalArgumentException("promptTokens must be >= 0, got " + promptTokens);
        if (policy == KvPolicy.NONE) return promptTokens;
        int b = budget.resolve(promptTokens);
        int min = minimumBudget();
        if (b < promptTokens && b < min) {
            String what = policy == KvPolicy.STREAMING ? sinkTokens + " sink tokens" : "the observation window of " + effectiveObservationWindow();
            throw new IllegalArgumentException("budget " + b + " tokens (" + this + " of a " + promptTokens + "-token prompt) is smaller than "
                    + what + " + 1 = " + min + ": give a larger budget");
        }
        return b;
    }

    /** The CLI spec; {@link #parse} reads it back to an equal value. */
    @Override
    public String toString() {
        if (policy == KvPolicy.NONE) return "none";
        StringBuilder sb = new StringBuilder(policy.id()).append(':').append(budget);
        if (sinkTokens != DEFAULT_SINK_TOKENS) sb.append(",sinks=").append(sinkTokens);
        if (observationWindow != (policy == KvPolicy.SNAPKV ? DEFAULT_SNAPKV_WINDOW : 0)) sb.append(",obs=").append(observationWindow);
        if (poolKernel != DEFAULT_POOL_KERNEL) sb.append(",kernel=").append(poolKernel);
        if (poolMax) sb.append(",pool=max");
        if (windowSize != DEFAULT_WINDOW_SIZE) sb.append(",w=").append(windowSize);
        if (task != WindowKvTask.AUTO) sb.append(",task=").append(task.id());
        if (layerGroups != DEFAULT_LAYER_GROUPS) sb.append(",groups=").append(layerGroups);
        if (groupBeta != DEFAULT_GROUP_BETA) sb.append(",beta=").append(groupBeta);
        return sb.toString();
    }

    public static final class Builder {
        private final KvPolicy policy;
        private KvBudget budget;
        private int sinkTokens = DEFAULT_SINK_TOKENS;
        private int observationWindow = -1; // unset: the policy's default at build()
        private int poolKernel = DEFAULT_POOL_KERNEL;
        private boolean poolMax;
        private int windowSize = DEFAULT_WINDOW_SIZE;
        private WindowKvTask task = WindowKvTask.AUTO;
        private int layerGroups = DEFAULT_LAYER_GROUPS;
        private int groupBeta = DEFAULT_GROUP_BETA;

        private Builder(KvPolicy policy) {
            if (policy == null) throw new IllegalArgumentException("policy is null");
            this.policy = policy;
        }

        public Builder budget(KvBudget b) { budget = b; return this; }
        public Builder sinkTokens(int n) { sinkTokens = n; return this; }
        public Builder observationWindow(int n) {
            if (n < 0) throw new IllegalArgumentException("observationWindow must be >= 0, got " + n);
            observationWindow = n;
            return this;
        }
        public Builder poolKernel(int k) { poolKernel = k; return this; }
        public Builder poolMax(boolean b) { poolMax = b; return this; }
        public Builder windowSize(int w) { windowSize = w; return this; }
        public Builder task(WindowKvTask t) { task = t; return this; }
        public Builder layerGroups(int g) { layerGroups = g; return this; }
        public Builder groupBeta(int b) { groupBeta = b; return this; }

        public KvCompression build() {
            int obs = observationWindow >= 0 ? observationWindow : policy == KvPolicy.SNAPKV ? DEFAULT_SNAPKV_WINDOW : 0;
            return new KvCompression(policy, budget, sinkTokens, obs, poolKernel, poolMax, windowSize, task, layerGroups, groupBeta);
        }
    }
}

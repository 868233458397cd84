package io.tokenflow.sparse;

import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Which K/V rows each decoding step reads (ALGORITHMS.md sections 8-10). Immutable; {@link #parse} a CLI spec:
 * <ul>
 *   <li>{@code none}: dense attention;</li>
 *   <li>{@code quest:BUDGET[,page=16,dense=2]}: per page of {@code page} cells and KV head, the element-wise min/max
 *       of the keys give an upper bound of q·k; the best {@code max(3, BUDGET/page)} pages (and the current one) are
 *       read;</li>
 *   <li>{@code tidal:K[,dense=2,reselect=13]}: TidalDecode: layer {@code dense} and layer {@code reselect} attend
 *       densely and pick the K cells of highest q·k per KV head (max over its query heads); the layers after each
 *       read only those;</li>
 *   <li>{@code tokenselect:K[,init=128,local=512,theta=2,dense=0]}: per step the first {@code init} and last
 *       {@code local} cells plus the K best by the heads' soft vote (sum over heads of softmax q·k); with
 *       {@code theta <= 1} a step whose query has cosine >= theta with the one that made a layer's selection reuses
 *       it (off by default, as in the released code).</li>
 * </ul>
 * The number is the K/V rows read per layer, step and KV head; one at least as large as the visible cache means
 * dense. {@code dense=N} makes the first N layers attend densely (the papers' default); {@code dense=0} makes every
 * layer sparse, which small models need. Prompts (batches of more than 64 rows) attend densely. Needs flash
 * attention (auto or on); per query head masks mean a sparse layer's flash attention skips the unread K/V rows.
 *
 * @param policy the policy
 * @param budget K/V rows read per layer, step and KV head (&gt;= 1; 0 exactly for NONE)
 * @param dense leading layers that attend densely
 * @param page Quest's page size in cells
 * @param reselect TidalDecode's correction layer
 * @param init TokenSelect's always-read first cells
 * @param local TokenSelect's always-read last cells
 * @param theta TokenSelect's selection-cache threshold (&gt; 1: off)
 */
public record SparseAttention(Policy policy, int budget, int dense, int page, int reselect, int init, int local, double theta) {

    /** The policies, with their native ids (enum tf_sparse_policy). */
    public enum Policy {
        NONE(0), QUEST(1), TIDAL(2), TOKENSELECT(3);

        public final int nativeValue;

        Policy(int nativeValue) { this.nativeValue = nativeValue; }

        public String id() { return name().toLowerCase(Locale.ROOT); }
    }

    private static final String SPEC_FORM = "none, quest:BUDGET[,page=16,dense=2], tidal:K[,dense=2,reselect=13] or "
            + "tokenselect:K[,init=128,local=512,theta=2,dense=0]";

    public SparseAttention {
        if (policy == null) throw new IllegalArgumentException("policy is null");
        if (policy == Policy.NONE) {
            if (budget != 0) throw new IllegalArgumentException("policy none takes no budget, got " + budget);
        } else if (budget < 1) {
            throw new IllegalArgumentException("the budget (K/V rows read per layer and step) must be >= 1, got " + budget);
        }
        if (dense < 0) throw new IllegalArgumentException("dense must be >= 0, got " + dense);
        if (page < 1 || page > 4096) throw new IllegalArgumentException("page must be in [1, 4096], got " + page);
        if (reselect < 0) throw new IllegalArgumentException("reselect must be >= 0, got " + reselect);
        if (init < 0 || local < 0) throw new IllegalArgumentException("init and local must be >= 0, got " + init + ", " + local);
        if (!Double.isFinite(theta)) throw new IllegalArgumentException("theta must be finite, got " + theta);
        if (policy != Policy.NONE) {
            onlyFor(policy == Policy.QUEST, page != DEFAULT_PAGE, "page", "quest", policy);
            onlyFor(policy == Policy.TIDAL, reselect != DEFAULT_RESELECT, "reselect", "tidal", policy);
            onlyFor(policy == Policy.TOKENSELECT, init != DEFAULT_INIT, "init", "tokenselect", policy);
            onlyFor(policy == Policy.TOKENSELECT, local != DEFAULT_LOCAL, "local", "tokenselect", policy);
            onlyFor(policy == Policy.TOKENSELECT, theta != DEFAULT_THETA, "theta", "tokenselect", policy);
        }
    }

    private static void onlyFor(boolean applies, boolean changed, String option, String policies, Policy policy) {
        if (!applies && changed) throw new IllegalArgumentException(option + " applies to " + policies + " only, not to " + policy.id());
    }

    public static final int DEFAULT_PAGE = 16;
    public static final int DEFAULT_RESELECT = 13;
    public static final int DEFAULT_INIT = 128;
    public static final int DEFAULT_LOCAL = 512;
    /** Above 1: TokenSelect's selection cache is off, as in the released code. */
    public static final double DEFAULT_THETA = 2.0;

    /** Leading dense layers by default: the papers' 2 for Quest and TidalDecode, 0 for TokenSelect. */
    public static int defaultDense(Policy policy) { return policy == Policy.TOKENSELECT ? 0 : 2; }

    /** Dense attention. */
    public static SparseAttention none() {
        return new SparseAttention(Policy.NONE, 0, defaultDense(Policy.NONE), DEFAULT_PAGE, DEFAULT_RESELECT, DEFAULT_INIT,
                DEFAULT_LOCAL, DEFAULT_THETA);
    }

    /** A policy with its defaults and this budget. */
    public static SparseAttention of(Policy policy, int budget) {
        if (policy == null) throw new IllegalArgumentException("policy is null");
        if (policy == Policy.NONE) return none();
        return new SparseAttention(policy, budget, defaultDense(policy), DEFAULT_PAGE, DEFAULT_RESELECT, DEFAULT_INIT,
                DEFAULT_LOCAL, DEFAULT_THETA);
    }

    public boolean enabled() { return policy != Policy.NONE; }

    /** Parses a spec (see the class comment); IllegalArgumentException names what is wrong and the accepted form. */
    public static SparseAttention parse(String spec) {
        if (spec == null) throw new IllegalArgumentException("sparse attention spec is null (" + SPEC_FORM + ")");
        String s = spec.trim().toLowerCase(Locale.ROOT);
        if (s.isEmpty() || s.equals("none")) return none();
        String[] parts = s.split(",");
        String head = parts[0];
        int colon = head.indexOf(':');
        String name = colon < 0 ? head : head.substring(0, colon);
        Policy policy;
        try {
            policy = Policy.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown sparse attention policy '" + name + "' in '" + spec + "' (" + SPEC_FORM + ")");
        }
        if (policy == Policy.NONE) throw new IllegalArgumentException("none takes no options: '" + spec + "'");
        if (colon < 0) throw new IllegalArgumentException(name + " needs a budget, e.g. " + name + ":256 ('" + spec + "'; " + SPEC_FORM + ")");
        SparseAttention d = of(policy, intValue(head.substring(colon + 1), "budget", spec));
        int dense = d.dense, page = d.page, reselect = d.reselect, init = d.init, local = d.local;
        double theta = d.theta;
        Set<String> seen = new HashSet<>();
        for (int i = 1; i < parts.length; i++) {
            String kv = parts[i].trim();
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("expected key=value, got '" + kv + "' in '" + spec + "'");
            String key = kv.substring(0, eq).trim(), value = kv.substring(eq + 1).trim();
            if (!seen.add(key)) throw new IllegalArgumentException("'" + key + "' given twice in '" + spec + "'");
            switch (key) {
                case "dense" -> dense = intValue(value, key, spec);
                case "page" -> page = intValue(value, key, spec);
                case "reselect" -> reselect = intValue(value, key, spec);
                case "init" -> init = intValue(value, key, spec);
                case "local" -> local = intValue(value, key, spec);
                case "theta" -> {
                    try {
                        theta = Double.parseDouble(value);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("theta must be a number, got '" + value + "' in '" + spec + "'");
                    }
                }
                default -> throw new IllegalArgumentException("unknown option '" + key + "' in '" + spec + "' (" + SPEC_FORM + ")");
            }
        }
        return new SparseAttention(policy, d.budget, dense, page, reselect, init, local, theta);
    }

    private static int intValue(String v, String what, String spec) {
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " must be an integer, got '" + v + "' in '" + spec + "'");
        }
    }

    /** The spec back, defaults left out ({@code parse(toString())} equals this). */
    @Override
    public String toString() {
        if (!enabled()) return "none";
        StringBuilder b = new StringBuilder(policy.id()).append(':').append(budget);
        if (dense != defaultDense(policy)) b.append(",dense=").append(dense);
        if (page != DEFAULT_PAGE) b.append(",page=").append(page);
        if (reselect != DEFAULT_RESELECT) b.append(",reselect=").append(reselect);
        if (init != DEFAULT_INIT) b.append(",init=").append(init);
        if (local != DEFAULT_LOCAL) b.append(",local=").append(local);
        if (theta != DEFAULT_THETA) b.append(",theta=").append(theta);
        return b.toString();
    }
}

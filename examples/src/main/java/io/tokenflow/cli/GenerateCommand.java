package io.tokenflow.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.GenerationStats;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.TokenListener;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code tokenflow generate}: continues a prompt, streaming the text to stdout as tokens arrive (the prompt is
 * not echoed), or with {@code --json} prints one JSON object with the text, tokens, stop reason and stats.
 */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Continue a prompt; the text streams to stdout (prompt not echoed).")
final class GenerateCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Mixin CommonOptions common;

    @Option(names = {"-p", "--prompt"}, paramLabel = "PROMPT", description = "The prompt (or give it as arguments).")
    String prompt;

    @Parameters(paramLabel = "PROMPT", arity = "0..*", description = "The prompt, if -p is not given (words are joined with spaces).")
    List<String> promptWords;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", defaultValue = "128",
            description = "Tokens to generate at most (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Mixin SamplingOptions sampling;

    @Mixin ContextOptions context;

    @Option(names = "--json", description = "Print one JSON object (text, tokens, stop_reason, model, stats) instead of streaming text.")
    boolean json;

    @Option(names = "--stats", description = "Print timings to stderr after the text (also with --verbose).")
    boolean stats;

    @Override
    public Integer call() {
        CliIo io = Main.io(spec);
        String text = promptText();
        GenerationOptions options = sampling.toOptions(maxTokens);
        PrintWriter out = io.out();
        try (Model model = ModelLoading.load(common, io); Session session = model.newSession(context.toOptions())) {
            TokenListener listener = json ? TokenListener.NONE : (token, piece) -> {
                if (!piece.isEmpty()) {
                    out.print(piece);
                    out.flush();
                }
            };
            GenerationResult r = session.generate(text, options, listener);
            if (json) {
                Json.print(out, toJson(r, model));
            } else {
                out.println();
                out.flush();
            }
            if (stats || common.verbose) printStats(io.err(), r);
        }
        return ExitCodes.OK;
    }

    private String promptText() {
        boolean words = promptWords != null && !promptWords.isEmpty();
        if (prompt != null && words) {
            throw CliException.usage("give the prompt either with -p or as arguments, not both");
        }
        String p = prompt != null ? prompt : words ? String.join(" ", promptWords) : null;
        if (p == null) throw CliException.usage("a prompt is needed: pass -p PROMPT");
        if (p.isEmpty()) throw CliException.usage("the prompt is empty");
        return p;
    }

    static ObjectNode toJson(GenerationResult r, Model model) {
        ObjectNode o = Json.object();
        o.put("text", r.text());
        ArrayNode tokens = o.putArray("tokens");
        for (int t : r.tokens()) tokens.add(t);
        o.put("stop_reason", stopReason(r));
        o.put("model", String.valueOf(model.path().getFileName()));
        GenerationStats s = r.stats();
        ObjectNode st = o.putObject("stats");
        st.put("prompt_tokens", s.promptTokens());
        st.put("generated_tokens", s.generatedTokens());
        Json.number(st, "ttft_ms", s.ttftMillis());
        Json.number(st, "pp_tokens_per_s", s.promptTokensPerSecond());
        Json.number(st, "tg_tokens_per_s", s.generationTokensPerSecond());
        Json.number(st, "total_ms", s.totalMillis());
        s.speculation().ifPresent(sp -> {
            st.put("spec_policy", sp.policy());
            st.put("steps", sp.steps());
            Json.number(st, "mean_accepted_per_step", sp.meanAcceptedPerStep());
            Json.number(st, "draft_time_ms", sp.draftMillis());
            Json.number(st, "verify_time_ms", sp.verifyMillis());
            Json.number(st, "decode_time_ms", sp.decodeMillis());
            st.put("drafted_tokens", sp.draftedNodes());
            st.put("accepted_tokens", sp.acceptedTokens());
            st.put("batch_invariant", sp.batchInvariant());
            ArrayNode hits = st.putArray("depth_hit_rate");
            for (double h : sp.depthHitRate()) hits.add(h);
        });
        s.sparse().ifPresent(sp -> {
            st.put("sparse_policy", sp.policy());
            st.put("sparse_rows_read", sp.rowsRead());
            st.put("sparse_rows_dense", sp.rowsDense());
            Json.number(st, "sparse_selection_ms", sp.selectionMillis());
            st.put("sparse_layers", sp.sparseLayers());
            if (sp.cacheLookups() > 0) Json.number(st, "sparse_cache_hit_rate", sp.cacheHitRate());
        });
        s.kv().ifPresent(kv -> {
            st.put("kv_policy", kv.policy());
            st.put("kv_cells_used", kv.cellsUsed());
            st.put("kv_cells_full", kv.cellsFull());
            st.put("kv_bytes_used", kv.bytesUsed());
            st.put("kv_bytes_full", kv.bytesFull());
            st.put("evicted_tokens", kv.evictedTokens());
            Json.number(st, "kv_scoring_ms", kv.scoringTimeMs());
        });
        return o;
    }

    static String stopReason(GenerationResult r) {
        return r.stopReason().name().toLowerCase(Locale.ROOT);
    }

    static void printStats(PrintWriter err, GenerationResult r) {
        GenerationStats s = r.stats();
        err.printf(Locale.ROOT, "tokenflow: %d prompt tokens (%d cached) at %.1f t/s, %d generated at %.1f t/s, "
                        + "first token after %.1f ms, total %.1f ms, stop: %s%n",
                s.promptTokens(), s.cachedPromptTokens(), s.promptTokensPerSecond(), s.generatedTokens(),
                s.generationTokensPerSecond(), s.ttftMillis(), s.totalMillis(), stopReason(r));
        s.kv().ifPresent(kv -> err.printf(Locale.ROOT, "tokenflow: kv %s: %d of %d cells (%s of %s), %d evicted, scoring %.1f ms%n",
                kv.policy(), kv.cellsUsed(), kv.cellsFull(), Units.bytes(kv.bytesUsed()), Units.bytes(kv.bytesFull()),
                kv.evictedTokens(), kv.scoringTimeMs()));
        err.flush();
    }
}

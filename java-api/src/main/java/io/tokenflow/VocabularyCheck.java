package io.tokenflow;

import io.tokenflow.gguf.GgufFile;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks llama.cpp would abort on instead of reporting: it asserts
 * {@code id_to_token.size() == token_to_id.size()} in {@code llama_vocab::impl::load}, so two token texts that
 * are equal as it reads them (C strings, cut at the first NUL; empty ones renamed {@code [EMPTY_i]}) kill the
 * process. Found by the mutated-header integration test.
 */
final class VocabularyCheck {
    private VocabularyCheck() {}

    static void check(GgufFile gguf) {
        List<String> tokens = gguf.getStringList("tokenizer.ggml.tokens").orElse(List.of());
        Set<String> seen = new HashSet<>(tokens.size() * 2);
        for (int i = 0; i < tokens.size(); i++) {
            String t = tokens.get(i);
            int nul = t.indexOf('\0');
            if (nul >= 0) t = t.substring(0, nul);
            if (t.isEmpty()) t = "[EMPTY_" + i + "]";
            if (!seen.add(t)) {
                throw new InvalidModelException(gguf.path().getFileName() + ": tokenizer.ggml.tokens[" + i + "] '" + t
                        + "' repeats an earlier token");
            }
        }
    }
}

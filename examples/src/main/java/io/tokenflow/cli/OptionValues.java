package io.tokenflow.cli;

import java.util.Map;
import java.util.function.Supplier;

/**
 * Builds an API options object from option values; the API's own validation message (which names the record
 * component, e.g. "topP must be in (0, 1]") is reworded with the CLI option's name (e.g. "--top-p").
 */
final class OptionValues {
    private OptionValues() {}

    static <T> T build(Supplier<T> builder, Map<String, String> optionNames) {
        try {
            return builder.get();
        } catch (IllegalArgumentException e) {
            String msg = String.valueOf(e.getMessage());
            for (Map.Entry<String, String> n : optionNames.entrySet()) {
                if (msg.startsWith(n.getKey() + " ")) {
                    msg = n.getValue() + msg.substring(n.getKey().length());
                    break;
                }
            }
            throw new CliException("invalid option value: " + msg, ExitCodes.USAGE, e);
        }
    }
}

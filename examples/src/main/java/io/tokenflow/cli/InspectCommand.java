package io.tokenflow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tokenflow.Model;
import io.tokenflow.ModelInfo;
import io.tokenflow.gguf.GgmlType;
import io.tokenflow.gguf.GgufArray;
import io.tokenflow.gguf.GgufFile;
import io.tokenflow.gguf.GgufTensorInfo;
import io.tokenflow.gguf.GgufValueType;
import java.io.PrintWriter;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tokenflow inspect}: what a model is (from llama.cpp's view of it and its GGUF header), as a table or
 * JSON; {@code --all} adds every GGUF key/value, long arrays shortened to their first elements and count.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Show what a GGUF model is: architecture, size, vocabulary, shape, template.")
final class InspectCommand implements Callable<Integer> {
    /** Arrays longer than this are shown as their first {@link #ARRAY_HEAD} elements and the count. */
    static final int ARRAY_LIMIT = 16;
    static final int ARRAY_HEAD = 8;

    @Spec CommandSpec spec;

    @Mixin CommonOptions common;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Option(names = {"-a", "--all"}, description = "Also list every GGUF metadata key/value.")
    boolean all;

    @Override
    public Integer call() {
        CliIo io = Main.io(spec);
        try (Model model = ModelLoading.load(common, io)) {
            if (json) Json.print(io.out(), toJson(model));
            else printTable(io.out(), model);
        }
        return ExitCodes.OK;
    }

    private ObjectNode toJson(Model model) {
        ModelInfo i = model.info();
        GgufFile g = model.gguf();
        ObjectNode o = Json.object();
        o.put("path", model.path().toString());
        o.put("file_size_bytes", g.fileSize());
        o.put("architecture", i.architecture());
        o.put("name", i.name());
        o.put("description", i.description());
        o.put("parameters", i.parameterCount());
        o.put("size_bytes", i.sizeBytes());
        o.put("context_length_trained", i.contextLengthTrained());
        o.put("vocab_size", i.vocabularySize());
        o.put("layers", i.layerCount());
        o.put("embedding_length", i.embeddingLength());
        o.put("heads", i.headCount());
        o.put("kv_heads", i.kvHeadCount());
        o.put("chat_template", i.chatTemplate().isPresent());
        o.put("tensor_count", g.tensors().size());
        ObjectNode types = o.putObject("tensor_types");
        tensorTypes(g).forEach(types::put);
        o.put("gguf_version", g.version());
        o.put("metadata_count", g.metadataEntries().size());
        if (all) {
            ObjectNode md = o.putObject("metadata");
            g.metadataEntries().forEach((k, v) -> md.set(k, jsonValue(v.type(), v.value())));
        }
        return o;
    }

    private void printTable(PrintWriter out, Model model) {
        ModelInfo i = model.info();
        GgufFile g = model.gguf();
        List<String[]> rows = new ArrayList<>();
        rows.add(row("file", model.path() + " (" + Units.bytes(g.fileSize()) + ")"));
        rows.add(row("architecture", i.architecture()));
        rows.add(row("name", i.name()));
        rows.add(row("description", i.description()));
        rows.add(row("parameters", Units.count(i.parameterCount()) + " (" + i.parameterCount() + ")"));
        rows.add(row("size", Units.bytes(i.sizeBytes()) + " (" + i.sizeBytes() + " bytes)"));
        rows.add(row("context trained", Integer.toString(i.contextLengthTrained())));
        rows.add(row("vocab", Integer.toString(i.vocabularySize())));
        rows.add(row("layers", Integer.toString(i.layerCount())));
        rows.add(row("width", Integer.toString(i.embeddingLength())));
        rows.add(row("heads / kv heads", i.headCount() + " / " + i.kvHeadCount()));
        rows.add(row("chat template", i.chatTemplate().isPresent() ? "yes" : "no"));
        rows.add(row("tensors", g.tensors().size() + " (" + tensorTypes(g).entrySet().stream()
                .map(e -> e.getKey() + " x" + e.getValue()).collect(Collectors.joining(", ")) + ")"));
        rows.add(row("GGUF version", g.version() + " (" + g.metadataEntries().size() + " key/values)"));
        int w = rows.stream().mapToInt(r -> r[0].length()).max().orElse(0);
        for (String[] r : rows) out.println(r[0] + " ".repeat(w - r[0].length()) + "  " + r[1]);
        if (all) {
            out.println();
            out.println("metadata:");
            int kw = g.metadataEntries().keySet().stream().mapToInt(String::length).max().orElse(0);
            g.metadataEntries().forEach((k, v) ->
                    out.println("  " + k + " ".repeat(kw - k.length()) + "  " + text(v.type(), v.value())));
        }
        out.flush();
    }

    private static String[] row(String label, String value) {
        return new String[] {label, value};
    }

    /** Tensor count per type, most frequent first. */
    private static Map<String, Integer> tensorTypes(GgufFile g) {
        Map<GgmlType, Integer> counts = new TreeMap<>();
        for (GgufTensorInfo t : g.tensors()) counts.merge(t.type(), 1, Integer::sum);
        return counts.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue())
                .collect(Collectors.toMap(e -> e.getKey().toString(), Map.Entry::getValue, (a, b) -> a,
                        java.util.LinkedHashMap::new));
    }

    /** One value as text: strings quoted and escaped, long arrays shortened. */
    static String text(GgufValueType type, Object value) {
        if (value instanceof GgufArray a) {
            List<?> el = a.elements();
            int shown = el.size() > ARRAY_LIMIT ? ARRAY_HEAD : el.size();
            StringBuilder sb = new StringBuilder("[");
            for (int k = 0; k < shown; k++) {
                if (k > 0) sb.append(", ");
                sb.append(text(a.elementType(), el.get(k)));
            }
            if (shown < el.size()) sb.append(", ...] (").append(el.size()).append(' ').append(a.elementType()).append(')');
            else sb.append(']');
            return sb.toString();
        }
        if (value instanceof String s) return quote(s);
        if (type == GgufValueType.UINT64) return Long.toUnsignedString((Long) value);
        return String.valueOf(value);
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int k = 0; k < s.length(); k++) {
            char c = s.charAt(k);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7f) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.append('"').toString();
    }

    /** One value as JSON; arrays longer than the limit become {"type", "count", "first"}. */
    static JsonNode jsonValue(GgufValueType type, Object value) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (value instanceof GgufArray a) {
            List<?> el = a.elements();
            if (el.size() > ARRAY_LIMIT) {
                ObjectNode o = f.objectNode();
                o.put("type", "ARRAY<" + a.elementType() + ">");
                o.put("count", el.size());
                ArrayNode first = o.putArray("first");
                for (int k = 0; k < ARRAY_HEAD; k++) first.add(jsonValue(a.elementType(), el.get(k)));
                return o;
            }
            ArrayNode arr = f.arrayNode();
            for (Object e : el) arr.add(jsonValue(a.elementType(), e));
            return arr;
        }
        if (type == GgufValueType.UINT64 && (Long) value < 0) {
            return f.numberNode(new BigInteger(Long.toUnsignedString((Long) value)));
        }
        if (value instanceof Float x) return Float.isFinite(x) ? f.numberNode(x) : f.nullNode();
        if (value instanceof Double x) return Double.isFinite(x) ? f.numberNode(x) : f.nullNode();
        if (value instanceof Integer x) return f.numberNode(x);
        if (value instanceof Long x) return f.numberNode(x);
        if (value instanceof Boolean x) return f.booleanNode(x);
        return f.textNode(String.valueOf(value));
    }
}

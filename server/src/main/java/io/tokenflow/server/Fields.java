package io.tokenflow.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed reads of request fields. A JSON {@code null} counts as absent (clients send explicit nulls); a value of the
 * wrong type or out of range is a 400 naming the field. Unknown fields are never looked at, so they are ignored.
 */
final class Fields {
    private Fields() {}

    static boolean present(ObjectNode o, String name) {
        JsonNode n = o.get(name);
        return n != null && !n.isNull();
    }

    static String kind(JsonNode n) {
        if (n == null || n.isNull()) return "null";
        if (n.isTextual()) return "a string";
        if (n.isBoolean()) return "a boolean";
        if (n.isIntegralNumber()) return "an integer";
        if (n.isNumber()) return "a number";
        if (n.isArray()) return "an array";
        if (n.isObject()) return "an object";
        return n.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
    }

    static String string(ObjectNode o, String name, String fallback) {
        JsonNode n = o.get(name);
        if (n == null || n.isNull()) return fallback;
        if (!n.isTextual()) throw ApiException.invalid(name, name + " must be a string, got " + kind(n));
        return n.textValue();
    }

    static boolean bool(ObjectNode o, String name, boolean fallback) {
        JsonNode n = o.get(name);
        if (n == null || n.isNull()) return fallback;
        if (!n.isBoolean()) throw ApiException.invalid(name, name + " must be a boolean, got " + kind(n));
        return n.booleanValue();
    }

    /** An integer in [min, max]; integral floats (2.0) are accepted, as JavaScript clients send them. */
    static long integer(ObjectNode o, String name, long fallback, long min, long max) {
        JsonNode n = o.get(name);
        if (n == null || n.isNull()) return fallback;
        return integerValue(n, name, min, max);
    }

    static long integerValue(JsonNode n, String name, long min, long max) {
        long v;
        if (n.isIntegralNumber() && n.canConvertToLong()) {
            v = n.longValue();
        } else if (n.isFloatingPointNumber() && n.doubleValue() == Math.rint(n.doubleValue()) && Math.abs(n.doubleValue()) < 9e15) {
            v = (long) n.doubleValue();
        } else if (n.isIntegralNumber()) {
            throw ApiException.invalid(name, name + " is out of range [" + min + ", " + max + "]");
        } else {
            throw ApiException.invalid(name, name + " must be an integer, got " + kind(n));
        }
        if (v < min || v > max) throw ApiException.invalid(name, name + " must be in [" + min + ", " + max + "], got " + v);
        return v;
    }

    /** A finite number in [min, max] (bounds inclusive unless {@code minExclusive}). */
    static double number(ObjectNode o, String name, double fallback, double min, boolean minExclusive, double max) {
        JsonNode n = o.get(name);
        if (n == null || n.isNull()) return fallback;
        if (!n.isNumber()) throw ApiException.invalid(name, name + " must be a number, got " + kind(n));
        double v = n.doubleValue();
        boolean low = minExclusive ? v <= min : v < min;
        if (!Double.isFinite(v) || low || v > max) {
            throw ApiException.invalid(name, name + " must be in " + (minExclusive ? "(" : "[") + min + ", " + max + "], got " + n.asText());
        }
        return v;
    }

    static ObjectNode object(ObjectNode o, String name) {
        JsonNode n = o.get(name);
        if (n == null || n.isNull()) return null;
        if (!n.isObject()) throw ApiException.invalid(name, name + " must be an object, got " + kind(n));
        return (ObjectNode) n;
    }

    /** A string or an array of non-empty strings (OpenAI's {@code stop}); empty list when absent. */
    static List<String> stringOrStrings(ObjectNode o, String name, int maxCount) {
        JsonNode n = o.get(name);
        List<String> out = new ArrayList<>();
        if (n == null || n.isNull()) return out;
        if (n.isTextual()) {
            out.add(n.textValue());
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                JsonNode e = n.get(i);
                if (!e.isTextual()) throw ApiException.invalid(name, name + "[" + i + "] must be a string, got " + kind(e));
                out.add(e.textValue());
            }
        } else {
            throw ApiException.invalid(name, name + " must be a string or an array of strings, got " + kind(n));
        }
        if (out.size() > maxCount) throw ApiException.invalid(name, name + " holds " + out.size() + " strings; at most " + maxCount);
        for (String s : out) {
            if (s.isEmpty()) throw ApiException.invalid(name, name + " strings must not be empty");
        }
        return out;
    }

    /** An array of token ids, each in [0, vocabularySize). */
    static int[] tokens(JsonNode n, String name, int vocabularySize) {
        if (n == null || !n.isArray()) throw ApiException.invalid(name, name + " must be an array of token ids, got " + kind(n));
        int[] out = new int[n.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (int) integerValue(n.get(i), name + "[" + i + "]", 0, vocabularySize - 1L);
        }
        return out;
    }
}

package io.tokenflow.gguf;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An immutable GGUF array: elements of one {@link GgufValueType}, each held as that type's Java class
 * (nested arrays as {@code GgufArray}).
 */
public record GgufArray(GgufValueType elementType, List<?> elements) {

    public GgufArray {
        Objects.requireNonNull(elementType, "elementType");
        elements = elements instanceof PrimitiveLists.Frozen ? elements : List.copyOf(elements);
        for (Object e : elements) {
            elementType.requireValid(e);
        }
    }

    public static GgufArray ofStrings(List<String> values) {
        return new GgufArray(GgufValueType.STRING, values);
    }

    public static GgufArray ofInt32(int... values) {
        return new GgufArray(GgufValueType.INT32, PrimitiveLists.ofInts(values.clone()));
    }

    public static GgufArray ofFloat32(float... values) {
        return new GgufArray(GgufValueType.FLOAT32, PrimitiveLists.ofFloats(values.clone()));
    }

    public static GgufArray of(GgufValueType elementType, List<?> elements) {
        return new GgufArray(elementType, elements);
    }

    public int size() { return elements.size(); }

    /** The elements as plain Java values: nested arrays become {@link List}s too. */
    public List<?> toJava() {
        if (elementType != GgufValueType.ARRAY) {
            return elements;
        }
        List<Object> out = new ArrayList<>(elements.size());
        for (Object e : elements) {
            out.add(((GgufArray) e).toJava());
        }
        return List.copyOf(out);
    }
}

package io.tokenflow.gguf;

import java.util.Objects;

/**
 * One GGUF metadata value with its declared type. {@code value} is an instance of {@code type.javaType()}
 * (see {@link GgufValueType} for how unsigned types are widened).
 */
public record GgufValue(GgufValueType type, Object value) {

    public GgufValue {
        Objects.requireNonNull(type, "type");
        type.requireValid(value);
    }

    public static GgufValue uint8(int v) { return new GgufValue(GgufValueType.UINT8, v); }

    public static GgufValue int8(int v) { return new GgufValue(GgufValueType.INT8, v); }

    public static GgufValue uint16(int v) { return new GgufValue(GgufValueType.UINT16, v); }

    public static GgufValue int16(int v) { return new GgufValue(GgufValueType.INT16, v); }

    public static GgufValue uint32(long v) { return new GgufValue(GgufValueType.UINT32, v); }

    public static GgufValue int32(int v) { return new GgufValue(GgufValueType.INT32, v); }

    public static GgufValue uint64(long v) { return new GgufValue(GgufValueType.UINT64, v); }

    public static GgufValue int64(long v) { return new GgufValue(GgufValueType.INT64, v); }

    public static GgufValue float32(float v) { return new GgufValue(GgufValueType.FLOAT32, v); }

    public static GgufValue float64(double v) { return new GgufValue(GgufValueType.FLOAT64, v); }

    public static GgufValue bool(boolean v) { return new GgufValue(GgufValueType.BOOL, v); }

    public static GgufValue string(String v) { return new GgufValue(GgufValueType.STRING, v); }

    public static GgufValue array(GgufArray v) { return new GgufValue(GgufValueType.ARRAY, v); }

    /** The element type when this is an array. */
    public GgufValueType elementType() {
        if (type != GgufValueType.ARRAY) {
            throw new IllegalStateException("not an array: " + type);
        }
        return ((GgufArray) value).elementType();
    }

    /** The value as a plain Java object: arrays become (nested) {@link java.util.List}s. */
    public Object toJava() {
        return value instanceof GgufArray a ? a.toJava() : value;
    }

    /** Short rendering for messages: arrays show their element type and size, not their contents. */
    @Override
    public String toString() {
        if (value instanceof GgufArray a) {
            return "ARRAY<" + a.elementType() + ">[" + a.size() + "]";
        }
        return type + " " + (value instanceof String s ? '"' + s + '"' : value);
    }
}

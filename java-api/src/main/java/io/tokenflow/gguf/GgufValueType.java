package io.tokenflow.gguf;

import java.util.Optional;

/**
 * The value types of GGUF metadata, with the Java type each is held as. Unsigned types are widened so that
 * every value is non-negative: UINT8 and UINT16 become {@link Integer}, UINT32 becomes {@link Long}.
 * UINT64 is held as a {@link Long} with the same 64 bits (values of 2<sup>63</sup> and above read as negative;
 * use {@link Long#toUnsignedString(long)}). INT8 and INT16 are held as {@link Integer}.
 */
public enum GgufValueType {
    UINT8(0, 1, Integer.class, 0, 0xFF),
    INT8(1, 1, Integer.class, Byte.MIN_VALUE, Byte.MAX_VALUE),
    UINT16(2, 2, Integer.class, 0, 0xFFFF),
    INT16(3, 2, Integer.class, Short.MIN_VALUE, Short.MAX_VALUE),
    UINT32(4, 4, Long.class, 0, 0xFFFF_FFFFL),
    INT32(5, 4, Integer.class, Integer.MIN_VALUE, Integer.MAX_VALUE),
    FLOAT32(6, 4, Float.class, 0, 0),
    BOOL(7, 1, Boolean.class, 0, 0),
    /** uint64 byte length + UTF-8 bytes. */
    STRING(8, 8, String.class, 0, 0),
    /** uint32 element type + uint64 count + elements; held as a {@link GgufArray}. */
    ARRAY(9, 12, GgufArray.class, 0, 0),
    UINT64(10, 8, Long.class, Long.MIN_VALUE, Long.MAX_VALUE),
    INT64(11, 8, Long.class, Long.MIN_VALUE, Long.MAX_VALUE),
    FLOAT64(12, 8, Double.class, 0, 0);

    private static final GgufValueType[] BY_ID = values(); // declaration order is id order

    private final int id;
    private final int minEncodedSize;
    private final Class<?> javaType;
    private final long min;
    private final long max;

    GgufValueType(int id, int minEncodedSize, Class<?> javaType, long min, long max) {
        this.id = id;
        this.minEncodedSize = minEncodedSize;
        this.javaType = javaType;
        this.min = min;
        this.max = max;
    }

    /** The numeric id stored in the file. */
    public int id() { return id; }

    /** The Java class values of this type are held as. */
    public Class<?> javaType() { return javaType; }

    /** Whether this is one of the eight integer types. */
    public boolean isInteger() {
        return javaType == Integer.class || javaType == Long.class;
    }

    /** The fewest bytes one value of this type occupies in a file (the exact size for fixed-size types). */
    int minEncodedSize() { return minEncodedSize; }

    /**
     * Returns {@code value} if it is a valid value of this type (right Java class, integer in range).
     *
     * @throws IllegalArgumentException otherwise
     */
    Object requireValid(Object value) {
        if (!javaType.isInstance(value)) {
            throw new IllegalArgumentException(this + " value must be a " + javaType.getSimpleName() + ", got "
                    + (value == null ? "null" : value.getClass().getSimpleName()));
        }
        if (isInteger() && this != UINT64) {
            long v = ((Number) value).longValue();
            if (v < min || v > max) {
                throw new IllegalArgumentException(v + " is out of range for " + this);
            }
        }
        return value;
    }

    /** The type with this id, or empty for ids GGUF does not define. */
    public static Optional<GgufValueType> byId(long id) {
        return id >= 0 && id < BY_ID.length ? Optional.of(BY_ID[(int) id]) : Optional.empty();
    }
}

package io.tokenflow.internal;

/**
 * IEEE 754 binary16 ("half", ggml F16) conversions; Java 17 lacks {@code Float.floatToFloat16}.
 * {@link #fromFloat} rounds to nearest, ties to even, like the hardware conversion ggml uses.
 */
public final class Half {
    private Half() {}

    /** The binary16 bits nearest to {@code f}; overflow gives infinity, NaN stays NaN (quiet, sign kept). */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7FFF_FFFF;
        if (abs >= 0x7F80_0000) { // infinity or NaN: keep the top payload bits, force the quiet bit
            return (short) (sign | 0x7C00 | (abs > 0x7F80_0000 ? 0x0200 | (abs >>> 13) & 0x03FF : 0));
        }
        if (abs >= 0x477F_F000) { // 65520, halfway between the largest half 65504 and 2^16: ties to infinity
            return (short) (sign | 0x7C00);
        }
        if (abs >= 0x3880_0000) { // normal half (>= 2^-14): rebias the exponent (127 -> 15), round off 13 bits
            int r = abs - (112 << 23);
            r += 0x0FFF + ((r >>> 13) & 1); // a carry out of the mantissa correctly bumps the exponent
            return (short) (sign | (r >>> 13));
        }
        if (abs <= 0x3300_0000) { // at most 2^-25, half the smallest subnormal: rounds (ties to even) to zero
            return (short) sign;
        }
        // subnormal half: the value in units of 2^-24, rounded; 1024 yields the smallest normal, as it should
        int mantissa = (abs & 0x007F_FFFF) | 0x0080_0000;
        int shift = 126 - (abs >>> 23);
        int r = (mantissa + (1 << (shift - 1)) - 1 + ((mantissa >>> shift) & 1)) >>> shift;
        return (short) (sign | r);
    }

    /** The float with the value of the binary16 bits {@code h} (exact: every half is a float). */
    public static float toFloat(short h) {
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x03FF;
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F80_0000 | (mantissa << 13));
        }
        if (exponent == 0) { // zero or subnormal: mantissa * 2^-24
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }
}

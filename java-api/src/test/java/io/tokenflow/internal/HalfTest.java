package io.tokenflow.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HalfTest {

    /** Exact value of a half's bits, by the textbook formula. */
    private static double referenceValue(int h) {
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        double magnitude = exponent == 0 ? Math.scalb((double) mantissa, -24)
                : Math.scalb((double) (1024 + mantissa), exponent - 25);
        return (h & 0x8000) != 0 ? -magnitude : magnitude;
    }

    /**
     * Nearest half by search over the ordered positive halves, treating infinity (0x7C00) as the next step 2^16
     * after the largest finite half; ties go to the even bit pattern.
     */
    private static short reference(float f) {
        if (Float.isNaN(f)) {
            return (short) 0x7E00;
        }
        int sign = f < 0 || (f == 0 && 1 / f < 0) ? 0x8000 : 0;
        double x = Math.abs((double) f);
        int lo = 0;
        int hi = 0x7C00;
        if (x >= 65536) {
            return (short) (sign | 0x7C00);
        }
        while (hi - lo > 1) { // invariant: value(lo) <= x < value(hi)
            int mid = (lo + hi) >>> 1;
            if (stepValue(mid) <= x) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        double dLo = x - stepValue(lo);
        double dHi = stepValue(hi) - x;
        int h = dLo < dHi ? lo : dHi < dLo ? hi : (lo % 2 == 0 ? lo : hi);
        return (short) (sign | h);
    }

    private static double stepValue(int h) {
        return h == 0x7C00 ? 65536 : referenceValue(h);
    }

    private static void assertMatchesReference(float f) {
        short actual = Half.fromFloat(f);
        short expected = reference(f);
        if (Float.isNaN(f)) {
            assertThat(Float.isNaN(Half.toFloat(actual))).as("NaN %s", f).isTrue();
        } else {
            assertThat(actual).as("fromFloat(%s) [bits %08x]", f, Float.floatToRawIntBits(f)).isEqualTo(expected);
        }
    }

    @Test
    void toFloatIsExactForAllHalves() {
        for (int h = 0; h < 0x10000; h++) {
            float f = Half.toFloat((short) h);
            if (((h >>> 10) & 0x1F) == 0x1F) {
                assertThat(Float.isNaN(f)).isEqualTo((h & 0x3FF) != 0);
                continue;
            }
            assertThat((double) f).isEqualTo(referenceValue(h));
            assertThat(Half.fromFloat(f)).as("round trip %04x", h).isEqualTo((short) h);
        }
    }

    @Test
    void randomFloatsOfEveryMagnitude() {
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < 200_000; i++) {
            // exponents from far below the subnormal range to beyond the largest half
            float f = (float) (random.nextDouble(-1, 1) * Math.pow(2, random.nextInt(-30, 18)));
            assertMatchesReference(f);
        }
        for (int i = 0; i < 200_000; i++) {
            assertMatchesReference(Float.intBitsToFloat(random.nextInt()));
        }
    }

    @Test
    void tiesRoundToEven() {
        for (int h = 0; h < 0x7BFF; h++) {
            float mid = (float) ((referenceValue(h) + referenceValue(h + 1)) / 2); // exact in float
            short even = (short) (h % 2 == 0 ? h : h + 1);
            assertThat(Half.fromFloat(mid)).as("tie above %04x", h).isEqualTo(even);
            assertThat(Half.fromFloat(-mid)).isEqualTo((short) (even | 0x8000));
            assertThat(Half.fromFloat(Math.nextUp(mid))).isEqualTo((short) (h + 1));
            assertThat(Half.fromFloat(Math.nextDown(mid))).isEqualTo((short) h);
        }
    }

    @Test
    void specialValues() {
        assertThat(Half.fromFloat(0f)).isEqualTo((short) 0);
        assertThat(Half.fromFloat(-0f)).isEqualTo((short) 0x8000);
        assertThat(Half.fromFloat(Float.POSITIVE_INFINITY)).isEqualTo((short) 0x7C00);
        assertThat(Half.fromFloat(Float.NEGATIVE_INFINITY)).isEqualTo((short) 0xFC00);
        assertThat(Float.isNaN(Half.toFloat(Half.fromFloat(Float.NaN)))).isTrue();
        assertThat(Float.isNaN(Half.toFloat(Half.fromFloat(Float.intBitsToFloat(0x7F80_0001))))).isTrue();
        assertThat(Half.fromFloat(65504f)).isEqualTo((short) 0x7BFF);
        assertThat(Half.fromFloat(65519.99f)).isEqualTo((short) 0x7BFF);
        assertThat(Half.fromFloat(65520f)).isEqualTo((short) 0x7C00);
        assertThat(Half.fromFloat(0x1p-24f)).isEqualTo((short) 1);
        assertThat(Half.fromFloat(0x1p-25f)).isEqualTo((short) 0);
        assertThat(Half.fromFloat(Math.nextUp(0x1p-25f))).isEqualTo((short) 1);
        assertThat(Half.fromFloat(0x1.8p-24f)).isEqualTo((short) 2);
        assertThat(Half.fromFloat(Float.MIN_VALUE)).isEqualTo((short) 0);
        assertThat(Half.fromFloat(0x1.ffcp-15f)).isEqualTo((short) 0x0400); // tie: up to the smallest normal
        assertThat(Half.fromFloat(1f)).isEqualTo((short) 0x3C00);
        assertThat(Half.fromFloat(-2f)).isEqualTo((short) 0xC000);
    }
}

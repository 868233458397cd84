package io.tokenflow.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class NormalQuantilesTest {

    @Test
    void knownQuantiles() {
        assertThat(NormalQuantiles.inverseCdf(0.5)).isEqualTo(0.0);
        assertThat(NormalQuantiles.inverseCdf(0.025)).isCloseTo(-1.959963985, within(1e-8));
        assertThat(NormalQuantiles.inverseCdf(0.158655254)).isCloseTo(-1.0, within(1e-8));
        assertThat(NormalQuantiles.inverseCdf(0.001)).isCloseTo(-3.090232306, within(1e-8)); // lower-tail branch
    }

    @Test
    void tableIsSortedSymmetricWithUnitVariance() {
        double[] q = NormalQuantiles.standard();
        double sumSq = 0;
        for (int i = 0; i < q.length; i++) {
            assertThat(q[i]).isEqualTo(-q[q.length - 1 - i]);
            if (i > 0) {
                assertThat(q[i]).isGreaterThan(q[i - 1]);
            }
            sumSq += q[i] * q[i];
        }
        assertThat(sumSq / q.length).isCloseTo(1.0, within(0.001));
        assertThat(q[0]).isCloseTo(-4.33, within(0.01));
    }
}

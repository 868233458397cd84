package io.tokenflow.speculative;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class AcceptanceProfileTest {

    @Test
    void priorBeforeData() {
        AcceptanceProfile a = new AcceptanceProfile();
        assertThat(a.reach(0)).isEqualTo(1);
        // Optimistic before data: (2 x 0.5 + 4 pseudo-hits) / (2 + 4).
        assertThat(a.reach(1)).isCloseTo(5 / 6.0, within(1e-12));
        assertThat(a.reach(3)).isCloseTo(Math.pow(5 / 6.0, 3), within(1e-12));
        assertThat(a.expectedAccepted(2)).isCloseTo(5 / 6.0 + 25 / 36.0, within(1e-12));
        assertThat(a.expectedAccepted(0)).isZero();
        AcceptanceProfile neutral = new AcceptanceProfile(0.5, 2, 1.0);
        assertThat(neutral.reach(1)).isCloseTo(0.5, within(1e-12));
        assertThat(neutral.reach(3)).isCloseTo(0.125, within(1e-12));
    }

    @Test
    void optimismFadesWithEvidence() {
        AcceptanceProfile a = new AcceptanceProfile();
        // Drafts that always miss at depth 1: the bonus is worth 4 hits, so after 100 misses the rate is ~5%.
        for (int s = 0; s < 100; s++) a.record(2, 0);
        assertThat(a.continuation(1)).isLessThan(0.06);
        AcceptanceProfile good = new AcceptanceProfile();
        for (int s = 0; s < 100; s++) good.record(2, 2);
        assertThat(good.continuation(1)).isGreaterThan(0.97);
        // Plain tokens fade the evidence: the bonus regains weight and trees are worth retrying.
        double before = a.continuation(1);
        double steps = a.steps();
        a.age(400);
        assertThat(a.steps()).isCloseTo(steps * Math.pow(AcceptanceProfile.DEFAULT_DECAY, 400), within(1e-9));
        assertThat(a.continuation(1)).isGreaterThan(before * 3);
        a.age(0);
        assertThatThrownBy(() -> a.age(-1)).hasMessageContaining("plainSteps");
        AcceptanceProfile forever = new AcceptanceProfile(0.5, 2, 1.0);
        forever.record(1, 0);
        double c = forever.continuation(1);
        forever.age(1000);
        assertThat(forever.continuation(1)).isEqualTo(c);
    }

    @Test
    void learnsPerDepthContinuation() {
        AcceptanceProfile a = new AcceptanceProfile(0.5, 2, 1.0);
        // Half the steps accept 3 of 4, half accept 1 of 4.
        for (int s = 0; s < 500; s++) {
            a.record(4, 3);
            a.record(4, 1);
        }
        assertThat(a.steps()).isEqualTo(1000);
        assertThat(a.continuation(1)).isCloseTo(1.0, within(0.01));
        assertThat(a.continuation(2)).isCloseTo(0.5, within(0.01));
        assertThat(a.continuation(3)).isCloseTo(1.0, within(0.01));
        assertThat(a.continuation(4)).isCloseTo(0.0, within(0.01));
        assertThat(a.reach(2)).isCloseTo(0.5, within(0.01));
        assertThat(a.expectedAccepted(4)).isCloseTo(2.0, within(0.02));
        // Depths never tried borrow the pooled rate.
        assertThat(a.continuation(10)).isCloseTo(a.pooledRate(), within(1e-12));
    }

    @Test
    void plainStepsAreIgnoredAndValidation() {
        AcceptanceProfile a = new AcceptanceProfile();
        a.record(0, 0);
        assertThat(a.steps()).isZero();
        a.record(Verification.plain(1, 2, new int[0]));
        assertThat(a.steps()).isZero();
        assertThatThrownBy(() -> a.record(2, 3)).hasMessageContaining("acceptedDepth");
        assertThatThrownBy(() -> a.record(-1, 0)).hasMessageContaining("treeDepth");
        assertThatThrownBy(() -> new AcceptanceProfile(1.0, 2, 1)).hasMessageContaining("prior");
        assertThatThrownBy(() -> new AcceptanceProfile(0.5, 0, 1)).hasMessageContaining("priorWeight");
        assertThatThrownBy(() -> new AcceptanceProfile(0.5, 2, 0)).hasMessageContaining("decay");
        assertThatThrownBy(() -> new AcceptanceProfile(0.5, 2, -1, 1)).hasMessageContaining("optimism");
    }

    @Test
    void decayFollowsChange() {
        AcceptanceProfile a = new AcceptanceProfile(0.5, 2, 0.95);
        for (int s = 0; s < 300; s++) a.record(4, 4);
        assertThat(a.reach(4)).isGreaterThan(0.9);
        for (int s = 0; s < 300; s++) a.record(4, 0);
        assertThat(a.reach(1)).isLessThan(0.1);
    }
}

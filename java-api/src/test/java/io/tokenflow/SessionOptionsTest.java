package io.tokenflow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SessionOptionsTest {

    @Test
    void batchCostCurveIsCopiedAndChecked() {
        assertThat(SessionOptions.defaults().batchCostSeconds()).isEmpty();
        List<Double> mutable = new ArrayList<>(List.of(0.1, 0.12));
        SessionOptions o = SessionOptions.builder().batchCostSeconds(mutable).build();
        mutable.set(0, 9.0);
        assertThat(o.batchCostSeconds()).containsExactly(0.1, 0.12);
        assertThat(o.toBuilder().build()).isEqualTo(o);
        assertThat(SessionOptions.builder().batchCostSeconds(0.1, 0.12).build()).isEqualTo(o);
        assertThatThrownBy(() -> SessionOptions.builder().batchCostSeconds(0.1, 0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batchCostSeconds[1] (a batch of 2 tokens)");
        assertThatThrownBy(() -> SessionOptions.builder().batchCostSeconds(Double.NaN).build()).hasMessageContaining("finite");
        // a null is a typed argument error, not a bare NullPointerException (issue 12)
        assertThatThrownBy(() -> SessionOptions.builder().batchCostSeconds((List<Double>) null).build())
                .isInstanceOf(IllegalArgumentException.class);
    }
}

package io.tokenflow.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KvCompressionTest {

    @Test
    void defaultsPerPolicy() {
        KvCompression none = KvCompression.none();
        assertThat(none.policy()).isSameAs(KvPolicy.NONE);
        assertThat(none.budget()).isNull();
        assertThat(none.enabled()).isFalse();
        assertThat(none.resolveBudget(1000)).isEqualTo(1000);

        KvCompression s = KvCompression.builder(KvPolicy.STREAMING).budget(KvBudget.tokens(256)).build();
        assertThat(s.sinkTokens()).isEqualTo(4);
        assertThat(s.observationWindow()).isZero();
        assertThat(s.minimumBudget()).isEqualTo(5);

        KvCompression snap = KvCompression.builder(KvPolicy.SNAPKV).budget(KvBudget.tokens(2048)).build();
        assertThat(snap.observationWindow()).isEqualTo(32);
        assertThat(snap.poolKernel()).isEqualTo(5);
        assertThat(snap.poolMax()).isFalse();
        assertThat(snap.minimumBudget()).isEqualTo(33);

        KvCompression w = KvCompression.builder(KvPolicy.WINDOWKV).budget(KvBudget.fraction(0.12)).build();
        assertThat(w.observationWindow()).isZero();
        assertThat(w.windowSize()).isEqualTo(8);
        assertThat(w.task()).isSameAs(WindowKvTask.AUTO);
        assertThat(w.layerGroups()).isEqualTo(4);
        assertThat(w.groupBeta()).isEqualTo(14);
        assertThat(w.effectiveObservationWindow()).isEqualTo(32); // AUTO: the larger until resolved
        assertThat(w.minimumBudget()).isEqualTo(33);
    }

    @Test
    void windowKvObservationWindowFollowsTheTask() {
        KvCompression w = KvCompression.parse("windowkv:1024");
        KvCompression other = w.resolveTask("Write a summary of the report.");
        assertThat(other.task()).isSameAs(WindowKvTask.OTHER);
        assertThat(other.effectiveObservationWindow()).isEqualTo(16);
        assertThat(other.minimumBudget()).isEqualTo(17);
        KvCompression qa = w.resolveTask("Who wrote it?");
        assertThat(qa.task()).isSameAs(WindowKvTask.QA);
        assertThat(qa.effectiveObservationWindow()).isEqualTo(32);
        assertThat(qa.resolveTask("Summarize.")).isSameAs(qa); // explicit tasks stay
        assertThat(KvCompression.parse("windowkv:1024,obs=24,task=other").effectiveObservationWindow()).isEqualTo(24);
        KvCompression snap = KvCompression.parse("snapkv:512");
        assertThat(snap.resolveTask("Who?")).isSameAs(snap);
    }

    @Test
    void parseSpecs() {
        KvCompression w = KvCompression.parse("windowkv:0.12");
        assertThat(w.policy()).isSameAs(KvPolicy.WINDOWKV);
        assertThat(w.budget()).isEqualTo(KvBudget.fraction(0.12));
        assertThat(KvCompression.parse("snapkv:512").budget()).isEqualTo(KvBudget.tokens(512));
        assertThat(KvCompression.parse("streaming:25%").budget()).isEqualTo(KvBudget.fraction(0.25));
        assertThat(KvCompression.parse("none")).isEqualTo(KvCompression.none());
        assertThat(KvCompression.parse(" NONE ")).isEqualTo(KvCompression.none());
        KvCompression full = KvCompression.parse("SnapKV:512, kernel=7, pool=MAX, obs=16");
        assertThat(full.poolKernel()).isEqualTo(7);
        assertThat(full.poolMax()).isTrue();
        assertThat(full.observationWindow()).isEqualTo(16);
        KvCompression wk = KvCompression.parse("windowkv:2048,w=16,task=qa,groups=2,beta=20,obs=8");
        assertThat(wk).isEqualTo(KvCompression.builder(KvPolicy.WINDOWKV).budget(KvBudget.tokens(2048)).windowSize(16)
                .task(WindowKvTask.QA).layerGroups(2).groupBeta(20).observationWindow(8).build());
        assertThat(KvCompression.parse("streaming:100,sinks=0").sinkTokens()).isZero();
    }

    @Test
    void toStringRoundTrips() {
        String[] specs = {"none", "streaming:25%", "streaming:0.25", "streaming:100,sinks=8", "snapkv:512", "snapkv:0.12,obs=16,kernel=7,pool=max",
            "snapkv:512,kernel=1", "windowkv:0.12", "windowkv:1024,task=qa", "windowkv:12%,obs=24,w=4,task=other,groups=2,beta=20"};
        for (String spec : specs) {
            KvCompression c = KvCompression.parse(spec);
            assertThat(KvCompression.parse(c.toString())).as(spec).isEqualTo(c);
        }
        assertThat(KvCompression.parse("windowkv:0.12")).hasToString("windowkv:0.12");
        assertThat(KvCompression.parse("streaming:25%")).hasToString("streaming:0.25");
        assertThat(KvCompression.parse("snapkv:512,pool=max,kernel=7")).hasToString("snapkv:512,kernel=7,pool=max");
        assertThat(KvCompression.parse("snapkv:512,obs=32")).hasToString("snapkv:512");
        assertThat(KvCompression.none()).hasToString("none");
    }

    @Test
    void builderValidation() {
        assertThatThrownBy(() -> KvCompression.builder(KvPolicy.SNAPKV).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("snapkv needs a budget");
        assertThatThrownBy(() -> KvCompression.builder(KvPolicy.NONE).budget(KvBudget.tokens(5)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("none takes no budget");
        KvCompression w = KvCompression.builder(KvPolicy.WINDOWKV).budget(KvBudget.tokens(512)).build();
        assertThatThrownBy(() -> w.toBuilder().windowSize(0).build()).hasMessageContaining("windowSize must be >= 1, got 0");
        assertThatThrownBy(() -> w.toBuilder().layerGroups(0).build()).hasMessageContaining("layerGroups must be >= 1");
        assertThatThrownBy(() -> w.toBuilder().groupBeta(0).build()).hasMessageContaining("groupBeta must be >= 1");
        assertThatThrownBy(() -> w.toBuilder().observationWindow(-1)).hasMessageContaining("observationWindow must be >= 0");
        assertThatThrownBy(() -> w.toBuilder().task(null).build()).isInstanceOf(IllegalArgumentException.class);
        KvCompression s = KvCompression.builder(KvPolicy.SNAPKV).budget(KvBudget.tokens(512)).build();
        assertThatThrownBy(() -> s.toBuilder().poolKernel(4).build()).hasMessageContaining("poolKernel must be odd and >= 1, got 4");
        assertThatThrownBy(() -> s.toBuilder().poolKernel(0).build()).hasMessageContaining("poolKernel");
        assertThatThrownBy(() -> s.toBuilder().observationWindow(0).build()).hasMessageContaining("SnapKV's observationWindow must be >= 1");
        assertThatThrownBy(() -> KvCompression.builder(KvPolicy.STREAMING).budget(KvBudget.tokens(8)).sinkTokens(-1).build())
                .hasMessageContaining("sinkTokens must be >= 0, got -1");
    }

    @Test
    void optionsOfOtherPoliciesAreRefused() {
        assertThatThrownBy(() -> KvCompression.parse("streaming:0.25,task=qa")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("task applies to windowkv only, not to streaming");
        assertThatThrownBy(() -> KvCompression.parse("snapkv:512,sinks=2")).hasMessageContaining("sinkTokens applies to streaming only");
        assertThatThrownBy(() -> KvCompression.parse("windowkv:512,kernel=3")).hasMessageContaining("poolKernel applies to snapkv only");
        assertThatThrownBy(() -> KvCompression.parse("streaming:512,obs=8")).hasMessageContaining("observationWindow applies to snapkv and windowkv");
        assertThatThrownBy(() -> KvCompression.builder(KvPolicy.NONE).windowSize(4).build()).hasMessageContaining("windowSize applies to windowkv");
    }

    @Test
    void badSpecs() {
        assertThatThrownBy(() -> KvCompression.parse("")).hasMessageContaining("windowkv:0.12");
        assertThatThrownBy(() -> KvCompression.parse(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KvCompression.parse("h2o:0.1")).hasMessageContaining("none|streaming|snapkv|windowkv");
        assertThatThrownBy(() -> KvCompression.parse("snapkv")).hasMessageContaining("needs a budget");
        assertThatThrownBy(() -> KvCompression.parse("none:512")).hasMessageContaining("none takes no budget");
        assertThatThrownBy(() -> KvCompression.parse("snapkv:0")).hasMessageContaining("'0'").hasMessageContaining("(0, 1]");
        assertThatThrownBy(() -> KvCompression.parse("snapkv:-5")).hasMessageContaining("'-5'");
        assertThatThrownBy(() -> KvCompression.parse("snapkv:1.5")).hasMessageContaining("'1.5'");
        assertThatThrownBy(() -> KvCompression.parse("snapkv:512,kernel")).hasMessageContaining("key=value");
        assertThatThrownBy(() -> KvCompression.parse("snapkv:512,kernel=x")).hasMessageContaining("kernel needs an integer, got 'x'");
        assertThatThrownBy(() -> KvCompression.parse("snapkv:512,pool=median")).hasMessageContaining("avg or max");
        assertThatThrownBy(() -> KvCompression.parse("snapkv:512,foo=1")).hasMessageContaining("unknown option 'foo'");
        assertThatThrownBy(() -> KvCompression.parse("snapkv:512,kernel=3,kernel=5")).hasMessageContaining("twice");
        assertThatThrownBy(() -> KvCompression.parse("snapkv:512,")).hasMessageContaining("key=value");
    }

    @Test
    void resolveBudgetRefusesBudgetsBelowTheMinimum() {
        KvCompression s = KvCompression.parse("streaming:4");
        assertThatThrownBy(() -> s.resolveBudget(100)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("budget 4 tokens").hasMessageContaining("smaller than 4 sink tokens + 1 = 5");
        assertThat(KvCompression.parse("streaming:5").resolveBudget(100)).isEqualTo(5);

        KvCompression snap = KvCompression.parse("snapkv:0.1");
        assertThatThrownBy(() -> snap.resolveBudget(300)).hasMessageContaining("budget 30 tokens")
                .hasMessageContaining("observation window of 32 + 1 = 33").hasMessageContaining("300-token prompt");
        assertThat(snap.resolveBudget(330)).isEqualTo(33);

        KvCompression w = KvCompression.parse("windowkv:20");
        assertThatThrownBy(() -> w.resolveBudget(1000)).hasMessageContaining("observation window of 32");
        assertThat(w.resolveTask("Summarize the report.").resolveBudget(1000)).isEqualTo(20); // OTHER: S = 16
        assertThatThrownBy(() -> KvCompression.parse("windowkv:16,task=other").resolveBudget(1000)).hasMessageContaining("16 + 1 = 17");

        // A budget that keeps the whole prompt is fine however small: nothing is compressed.
        assertThat(KvCompression.parse("snapkv:10").resolveBudget(10)).isEqualTo(10);
        assertThat(KvCompression.parse("snapkv:2048").resolveBudget(100)).isEqualTo(2048);
        assertThatThrownBy(() -> snap.resolveBudget(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}

package io.tokenflow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.tokenflow.gguf.GgufArray;
import io.tokenflow.gguf.GgufValueType;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The pieces of output formatting that need no model. */
class FormattingTest {
    @Test
    void longArraysShowTheirHeadAndCount() {
        GgufArray a = GgufArray.ofInt32(IntStream.range(0, 100).toArray());
        assertThat(InspectCommand.text(GgufValueType.ARRAY, a)).isEqualTo("[0, 1, 2, 3, 4, 5, 6, 7, ...] (100 INT32)");
        GgufArray s = GgufArray.ofStrings(List.of("a", "b\"\n"));
        assertThat(InspectCommand.text(GgufValueType.ARRAY, s)).isEqualTo("[\"a\", \"b\\\"\\n\"]");
        assertThat(InspectCommand.jsonValue(GgufValueType.ARRAY, a).path("count").asInt()).isEqualTo(100);
        assertThat(InspectCommand.jsonValue(GgufValueType.ARRAY, a).path("first")).hasSize(8);
        assertThat(InspectCommand.text(GgufValueType.UINT64, -1L)).isEqualTo("18446744073709551615");
    }

    @Test
    void unitsLikeLlamaBench() {
        assertThat(Units.bytes(1_171_200)).isEqualTo("1.12 MiB");
        assertThat(Units.bytes(3L << 30)).isEqualTo("3.00 GiB");
        assertThat(Units.count(292_800)).isEqualTo("292.80 K");
        assertThat(Units.count(6_740_000_000L)).isEqualTo("6.74 B");
    }

    @Test
    void statsAreMeanAndSampleStddev() {
        BenchResult r = BenchResult.of("pp512", new double[] {10, 20, 30});
        assertThat(r.tokensPerSecond()).isEqualTo(20.0);
        assertThat(r.stddev()).isEqualTo(10.0);
        assertThat(BenchResult.of("tg128", new double[] {5}).stddev()).isZero();
    }

    @Test
    void llamaBenchJsonIsRead() {
        String json = "[{\"n_prompt\":512,\"n_gen\":0,\"avg_ts\":100.5,\"stddev_ts\":1.5},"
                + "{\"n_prompt\":0,\"n_gen\":128,\"avg_ts\":20.25,\"stddev_ts\":0.5}]";
        List<BenchResult> r = LlamaBench.parse(json);
        assertThat(r).containsExactly(new BenchResult("pp512", 100.5, 1.5), new BenchResult("tg128", 20.25, 0.5));
    }

    @Test
    void tablesAlign() {
        StringWriter sw = new StringWriter();
        new Table("test", "t/s:").row("pp512", "1.00 ± 0.00").row("tg8", "123.45 ± 6.78").print(new PrintWriter(sw));
        assertThat(sw.toString().split("\\R")).containsExactly(
                "| test  |           t/s |",
                "| ----- | ------------: |",
                "| pp512 |   1.00 ± 0.00 |",
                "| tg8   | 123.45 ± 6.78 |");
    }

    @Test
    void errorsAreOneLine() {
        assertThat(ErrorReporting.oneLine("a\n  b\r\nc ")).isEqualTo("a b c");
    }
}

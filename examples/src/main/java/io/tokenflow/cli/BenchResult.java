package io.tokenflow.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;

/**
 * One benchmark test ("pp512": prompt processing of 512 tokens; "tg128": generation of 128) and its speed over
 * the repetitions: mean and sample standard deviation of tokens per second, as llama-bench reports them.
 */
record BenchResult(String test, double tokensPerSecond, double stddev) {

    static String testName(int nPrompt, int nGen) {
        return nPrompt > 0 ? "pp" + nPrompt : "tg" + nGen;
    }

    static BenchResult of(String test, double[] samples) {
        double mean = 0;
        for (double s : samples) mean += s;
        mean /= samples.length;
        double var = 0;
        for (double s : samples) var += (s - mean) * (s - mean);
        double sd = samples.length > 1 ? Math.sqrt(var / (samples.length - 1)) : 0;
        return new BenchResult(test, mean, sd);
    }

    boolean isPrompt() { return test.startsWith("pp"); }

    String speed() {
        return String.format(Locale.ROOT, "%.2f ± %.2f", tokensPerSecond, stddev);
    }

    ObjectNode toJson() {
        ObjectNode o = Json.object();
        o.put("test", test);
        Json.number(o, "tokens_per_s", tokensPerSecond);
        Json.number(o, "stddev", stddev);
        return o;
    }
}

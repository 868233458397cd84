package io.tokenflow.examples;

import io.tokenflow.FlashAttention;
import io.tokenflow.GenerationOptions;
import io.tokenflow.GenerationResult;
import io.tokenflow.KvCacheType;
import io.tokenflow.Model;
import io.tokenflow.Session;
import io.tokenflow.SessionOptions;
import io.tokenflow.Tokenflow;
import io.tokenflow.speculative.Speculation;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Speedup versus tree size (a benchmark program): for each policy and draft budget, the acceptance measured on a
 * real model (story + code prompt sets) and the measured speed there, plus the speedup <b>projected</b> for a
 * second model from its measured batch-cost curve: (accepted per step + 1) x cost(1) / cost(budget + 1).
 * Writes OUT.json and OUT.png (projected speedup vs budget, one line per policy).
 *
 * <p>Usage: {@code TreeSizeSweep MODEL COST_MODEL OUT_PREFIX [N=48]}
 */
public final class TreeSizeSweep {
    static final int[] BUDGETS = {1, 2, 4, 8, 16, 32, 64};
    static final Speculation[] POLICIES = {Speculation.NGRAM, Speculation.LOOKAHEAD, Speculation.RECYCLING, Speculation.AUTO};

    private TreeSizeSweep() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: TreeSizeSweep MODEL COST_MODEL OUT_PREFIX [N=48]");
            System.exit(2);
        }
        Path model = Path.of(args[0]);
        Path costModel = Path.of(args[1]);
        String prefix = args[2];
        int n = args.length > 3 ? Integer.parseInt(args[3]) : 48;
        Tokenflow.setNativeLogLevel(Level.OFF);
        List<String> prompts = new ArrayList<>(SpeculationBench.promptSets().get("story"));
        prompts.addAll(SpeculationBench.promptSets().get("code"));
        double[] cost = batchCosts(costModel);
        double[][] projected = new double[POLICIES.length][BUDGETS.length];
        double[][] measured = new double[POLICIES.length][BUDGETS.length];
        double[][] accepted = new double[POLICIES.length][BUDGETS.length];
        StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
                "{\"model\":\"%s\",\"cost_model\":\"%s\",\"tokens\":%d,\"prompts\":%d,\"budgets\":%s,\"cost_s\":%s,\"policies\":{",
                model.getFileName(), costModel.getFileName(), n, prompts.size(), java.util.Arrays.toString(BUDGETS),
                java.util.Arrays.toString(cost)));
        try (Model m = Model.load(model)) {
            SessionOptions so = SessionOptions.builder().contextSize(1024).threads(1).kvCacheType(KvCacheType.F32)
                    .flashAttention(FlashAttention.OFF).build();
            double plain = run(m, so, prompts, n, Speculation.NONE, 0)[0];
            System.out.printf(Locale.ROOT, "%s plain: %.1f t/s; cost(1) on %s = %.1f ms%n%n", model.getFileName(), plain,
                    costModel.getFileName(), cost[0] * 1e3);
            System.out.println("| policy | budget | accepted/step | measured speedup | projected speedup |");
            System.out.println("|---|---:|---:|---:|---:|");
            for (int p = 0; p < POLICIES.length; p++) {
                json.append(p == 0 ? "" : ",").append('"').append(POLICIES[p]).append("\":[");
                for (int b = 0; b < BUDGETS.length; b++) {
                    double[] r = run(m, so, prompts, n, POLICIES[p], BUDGETS[b]);
                    accepted[p][b] = r[1];
                    measured[p][b] = r[0] / plain;
                    projected[p][b] = (r[1] + 1) * cost[0] / cost[b + 1];
                    System.out.printf(Locale.ROOT, "| %s | %d | %.2f | %.2fx | %.2fx |%n", POLICIES[p], BUDGETS[b], r[1],
                            measured[p][b], projected[p][b]);
                    json.append(b == 0 ? "" : ",").append(String.format(Locale.ROOT,
                            "{\"budget\":%d,\"accepted_per_step\":%.4f,\"measured_speedup\":%.4f,\"projected_speedup\":%.4f}",
                            BUDGETS[b], r[1], measured[p][b], projected[p][b]));
                }
                json.append(']');
            }
        }
        json.append("}}\n");
        Path jsonOut = Path.of(prefix + ".json");
        Files.createDirectories(jsonOut.toAbsolutePath().getParent());
        Files.writeString(jsonOut, json);
        plot(projected, Path.of(prefix + ".png"), "Projected speedup on " + costModel.getFileName()
                + " (acceptance measured on " + model.getFileName() + ")");
        System.out.println("\nwrote " + jsonOut + " and " + prefix + ".png");
    }

    /** {tokens/s after the first token, mean accepted per step}, warm-up on a throwaway session first. */
    static double[] run(Model m, SessionOptions so, List<String> prompts, int n, Speculation policy, int budget) {
        double[] out = null;
        for (int pass = 0; pass < 2; pass++) {
            try (Session s = m.newSession(so)) {
                long tokens = 0, steps = 0, acc = 0;
                double seconds = 0;
                for (String p : prompts) {
                    GenerationResult r = s.generate(p, GenerationOptions.builder().maxTokens(n).ignoreEos(true)
                            .speculation(policy).draftBudget(budget).build());
                    tokens += r.stats().generatedTokens() - 1;
                    seconds += (r.stats().totalMillis() - r.stats().ttftMillis()) / 1e3;
                    if (r.stats().speculation().isPresent()) {
                        steps += r.stats().speculation().get().steps();
                        acc += r.stats().speculation().get().acceptedTokens();
                    }
                }
                out = new double[] {tokens / seconds, steps == 0 ? 0 : (double) acc / steps};
            }
        }
        return out;
    }

    /** cost[0] = 1 token; cost[i + 1] = BUDGETS[i] + 1 tokens, in one batch after a 64-token prefix (best of 3). */
    static double[] batchCosts(Path model) {
        double[] cost = new double[BUDGETS.length + 1];
        try (Model m = Model.load(model);
             Session s = m.newSession(SessionOptions.builder().contextSize(256).threads(2).build())) {
            int[] prefix = new int[64];
            for (int i = 0; i < prefix.length; i++) prefix[i] = 1 + i;
            for (int k = 0; k < cost.length; k++) {
                int size = k == 0 ? 1 : BUDGETS[k - 1] + 1;
                double best = Double.MAX_VALUE;
                for (int rep = 0; rep < 3; rep++) {
                    s.reset();
                    s.decode(prefix);
                    int[] batch = new int[size];
                    for (int i = 0; i < size; i++) batch[i] = 100 + i;
                    long t0 = System.nanoTime();
                    s.decode(batch);
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                }
                cost[k] = best;
            }
        }
        return cost;
    }

    /** A small line chart: x = budget (log2 scale), y = speedup; a grey line at 1x. */
    static void plot(double[][] y, Path png, String title) throws IOException {
        int w = 900, h = 560, left = 80, right = 170, top = 60, bottom = 70;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        double ymax = 1.5;
        for (double[] row : y) for (double v : row) ymax = Math.max(ymax, v * 1.1);
        int pw = w - left - right, ph = h - top - bottom;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, left, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        g.drawLine(left, top + ph, left + pw, top + ph);
        g.drawLine(left, top, left, top + ph);
        for (int b = 0; b < BUDGETS.length; b++) {
            int x = left + pw * b / (BUDGETS.length - 1);
            g.drawLine(x, top + ph, x, top + ph + 5);
            g.drawString(Integer.toString(BUDGETS[b]), x - 6, top + ph + 20);
        }
        g.drawString("drafted nodes per step (tree budget)", left + pw / 2 - 110, h - 20);
        for (double t = 0; t <= ymax; t += 0.5) {
            int yy = top + ph - (int) (ph * t / ymax);
            g.drawLine(left - 5, yy, left, yy);
            g.drawString(String.format(Locale.ROOT, "%.1fx", t), left - 45, yy + 5);
        }
        g.setColor(Color.GRAY);
        int one = top + ph - (int) (ph / ymax);
        g.drawLine(left, one, left + pw, one);
        Color[] colors = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44), new Color(214, 39, 40)};
        g.setStroke(new BasicStroke(2.5f));
        for (int p = 0; p < y.length; p++) {
            g.setColor(colors[p % colors.length]);
            for (int b = 0; b + 1 < BUDGETS.length; b++) {
                int x0 = left + pw * b / (BUDGETS.length - 1), x1 = left + pw * (b + 1) / (BUDGETS.length - 1);
                int y0 = top + ph - (int) (ph * y[p][b] / ymax), y1 = top + ph - (int) (ph * y[p][b + 1] / ymax);
                g.drawLine(x0, y0, x1, y1);
            }
            g.fillRect(left + pw + 20, top + 20 + 25 * p, 14, 14);
            g.drawString(POLICIES[p].toString(), left + pw + 40, top + 32 + 25 * p);
        }
        g.dispose();
        Files.createDirectories(png.toAbsolutePath().getParent());
        ImageIO.write(img, "png", png.toFile());
    }
}

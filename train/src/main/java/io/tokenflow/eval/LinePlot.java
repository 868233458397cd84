package io.tokenflow.eval;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleToIntFunction;
import java.util.function.IntUnaryOperator;
import javax.imageio.ImageIO;

/**
 * PNG line charts drawn with headless Java2D, for the benchmark programs and the CLI's {@code train-tiny}:
 *
 * <ul>
 *   <li>{@link #categorical}: evenly spaced categorical x positions, one line per series with a legend, y from a given
 *       minimum with tick labels, an optional grey reference line (900 x 560);
 *   <li>{@link #training}: a training directory's curves from {@code loss.csv} and {@code eval.csv}: top, training loss
 *       per step (light) and its moving average, held-out loss at each evaluation (dots); bottom, held-out token
 *       accuracy and every retrieval probe's exact-match rate (1000 x 760).
 * </ul>
 */
public final class LinePlot {
    private static final Color[] COLORS = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
        new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194)};

    private LinePlot() {}

    /**
     * A chart over categorical x positions.
     *
     * @param xLabels the x positions' labels, evenly spaced
     * @param series one name per line (the legend)
     * @param y y[series][x]; NaN points are skipped
     * @param yMin lowest y shown (the axis starts there), yMax highest at least (grows to fit the data)
     * @param yStep distance between y ticks
     * @param yFormat format of the y tick labels, e.g. {@code "%.1f"}
     * @param reference y of a grey horizontal line, or NaN for none
     */
    public static void categorical(Path png, String title, String xTitle, List<String> xLabels, List<String> series, double[][] y,
            double yMin, double yMax, double yStep, String yFormat, double reference) throws IOException {
        int w = 900, h = 560, left = 80, right = 170, top = 60, bottom = 70;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img, title, left, 30, 13);
        double top1 = yMax;
        for (double[] row : y) for (double v : row) if (!Double.isNaN(v)) top1 = Math.max(top1, v * 1.05);
        final double ymax = top1;
        int pw = w - left - right, ph = h - top - bottom;
        int n = xLabels.size();
        IntUnaryOperator xAt = i -> left + (n == 1 ? pw / 2 : pw * i / (n - 1));
        DoubleToIntFunction yAt = v -> top + ph - (int) Math.round(ph * (v - yMin) / (ymax - yMin));
        g.drawLine(left, top + ph, left + pw, top + ph);
        g.drawLine(left, top, left, top + ph);
        for (int i = 0; i < n; i++) {
            int x = xAt.applyAsInt(i);
            g.drawLine(x, top + ph, x, top + ph + 5);
            g.drawString(xLabels.get(i), x - 4 * xLabels.get(i).length(), top + ph + 20);
        }
        g.drawString(xTitle, left + pw / 2 - 4 * xTitle.length(), h - 20);
        for (double t = yMin; t <= ymax + 1e-9; t += yStep) {
            int yy = yAt.applyAsInt(t);
            g.drawLine(left - 5, yy, left, yy);
            g.drawString(String.format(Locale.ROOT, yFormat, t), left - 55, yy + 5);
        }
        if (!Double.isNaN(reference)) {
            g.setColor(Color.GRAY);
            g.drawLine(left, yAt.applyAsInt(reference), left + pw, yAt.applyAsInt(reference));
        }
        g.setStroke(new BasicStroke(2.5f));
        for (int s = 0; s < y.length; s++) {
            g.setColor(COLORS[s % COLORS.length]);
            for (int i = 0; i < n; i++) {
                if (Double.isNaN(y[s][i])) continue;
                int x0 = xAt.applyAsInt(i), y0 = yAt.applyAsInt(y[s][i]);
                g.fillOval(x0 - 3, y0 - 3, 7, 7);
                if (i + 1 < n && !Double.isNaN(y[s][i + 1])) g.drawLine(x0, y0, xAt.applyAsInt(i + 1), yAt.applyAsInt(y[s][i + 1]));
            }
            g.fillRect(left + pw + 20, top + 20 + 25 * s, 14, 14);
            g.drawString(series.get(s), left + pw + 40, top + 32 + 25 * s);
        }
        save(g, img, png);
    }

    /**
     * The curves of a training directory (its {@code loss.csv}: step, loss, ...; its {@code eval.csv}: step, seconds,
     * held-out loss, held-out accuracy, then one exact-match rate per retrieval probe, named in the header). Missing
     * files draw empty panels.
     */
    public static void training(Path dir, Path png, String title) throws IOException {
        List<double[]> loss = read(dir.resolve("loss.csv"));
        List<double[]> eval = read(dir.resolve("eval.csv"));
        List<String> evalCols = header(dir.resolve("eval.csv"));
        int w = 1000, h = 760, left = 70, right = 190, top = 50, gap = 60;
        int ph = (h - top - gap - 50) / 2, pw = w - left - right;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img, title, left, 28, 12);
        double xmax = 1;
        for (double[] r : loss) xmax = Math.max(xmax, r[0] + 1);
        for (double[] r : eval) xmax = Math.max(xmax, r[0]);
        double ymax = 0.5;
        for (double[] r : loss) ymax = Math.max(ymax, Math.min(r[1], 12));
        for (double[] r : eval) ymax = Math.max(ymax, Math.min(r[2], 12));
        // top panel: loss
        int y0 = top;
        axes(g, left, y0, pw, ph, xmax, ymax, "loss (nats/token)", "%.1f");
        g.setColor(new Color(180, 200, 230));
        polyline(g, loss, 0, 1, left, y0, pw, ph, xmax, ymax);
        List<double[]> avg = movingAverage(loss, Math.max(1, loss.size() / 60));
        g.setStroke(new BasicStroke(2f));
        g.setColor(COLORS[0]);
        polyline(g, avg, 0, 1, left, y0, pw, ph, xmax, ymax);
        g.setColor(COLORS[1]);
        for (double[] r : eval) dot(g, r[0], r[2], left, y0, pw, ph, xmax, ymax);
        legend(g, left + pw + 15, y0 + 15, COLORS[0], "train (moving avg)");
        legend(g, left + pw + 15, y0 + 35, COLORS[1], "held-out");
        // bottom panel: accuracy and retrieval rates
        int y1 = top + ph + gap;
        g.setStroke(new BasicStroke(1f));
        axes(g, left, y1, pw, ph, xmax, 1.0, "held-out accuracy / exact match", "%.1f");
        g.setStroke(new BasicStroke(2f));
        for (int c = 3; c < evalCols.size(); c++) {
            Color col = COLORS[(c - 2) % COLORS.length];
            g.setColor(col);
            polyline(g, eval, 0, c, left, y1, pw, ph, xmax, 1.0);
            for (double[] r : eval) if (r.length > c) dot(g, r[0], r[c], left, y1, pw, ph, xmax, 1.0);
            legend(g, left + pw + 15, y1 + 15 + 20 * (c - 3), col, c == 3 ? "token accuracy" : evalCols.get(c));
        }
        g.setColor(Color.BLACK);
        g.drawString("optimizer step", left + pw / 2 - 40, h - 12);
        save(g, img, png);
    }

    /** White, antialiased, the title in bold at (x, y), then black text of {@code fontSize} for the rest. */
    private static Graphics2D canvas(BufferedImage img, String title, int x, int y, int fontSize) {
        System.setProperty("java.awt.headless", "true");
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, x, y);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, fontSize));
        return g;
    }

    private static void save(Graphics2D g, BufferedImage img, Path png) throws IOException {
        g.dispose();
        Path parent = png.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        ImageIO.write(img, "png", png.toFile());
    }

    private static void axes(Graphics2D g, int x, int y, int pw, int ph, double xmax, double ymax, String label, String fmt) {
        g.setColor(Color.BLACK);
        g.drawLine(x, y + ph, x + pw, y + ph);
        g.drawLine(x, y, x, y + ph);
        for (int i = 0; i <= 5; i++) {
            int xx = x + pw * i / 5;
            g.drawLine(xx, y + ph, xx, y + ph + 4);
            g.drawString(String.format(Locale.ROOT, "%.0f", xmax * i / 5), xx - 10, y + ph + 17);
            int yy = y + ph - ph * i / 5;
            g.drawLine(x - 4, yy, x, yy);
            g.drawString(String.format(Locale.ROOT, fmt, ymax * i / 5), x - 35, yy + 4);
        }
        g.drawString(label, x + 5, y - 6);
    }

    private static void polyline(Graphics2D g, List<double[]> rows, int cx, int cy, int x, int y, int pw, int ph, double xmax, double ymax) {
        int px = -1, py = -1;
        for (double[] r : rows) {
            if (r.length <= cy || Double.isNaN(r[cy])) continue;
            int xx = x + (int) (pw * r[cx] / xmax);
            int yy = y + ph - (int) (ph * Math.min(r[cy], ymax) / ymax);
            if (px >= 0) g.drawLine(px, py, xx, yy);
            px = xx;
            py = yy;
        }
    }

    private static void dot(Graphics2D g, double vx, double vy, int x, int y, int pw, int ph, double xmax, double ymax) {
        int xx = x + (int) (pw * vx / xmax);
        int yy = y + ph - (int) (ph * Math.min(vy, ymax) / ymax);
        g.fillOval(xx - 3, yy - 3, 7, 7);
    }

    private static void legend(Graphics2D g, int x, int y, Color c, String text) {
        g.setColor(c);
        g.fillRect(x, y - 10, 12, 12);
        g.setColor(Color.BLACK);
        g.drawString(text, x + 18, y);
    }

    /** Column 1 of rows averaged over windows of k consecutive rows, at the window's last step. */
    private static List<double[]> movingAverage(List<double[]> rows, int k) {
        List<double[]> out = new ArrayList<>();
        double sum = 0;
        for (int i = 0; i < rows.size(); i++) {
            sum += rows.get(i)[1];
            if (i >= k) sum -= rows.get(i - k)[1];
            if (i >= k - 1) out.add(new double[] {rows.get(i)[0], sum / k});
        }
        return out;
    }

    private static List<String> header(Path csv) throws IOException {
        if (!Files.isRegularFile(csv)) return List.of();
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        return lines.isEmpty() ? List.of() : List.of(lines.get(0).split(","));
    }

    private static List<double[]> read(Path csv) throws IOException {
        List<double[]> out = new ArrayList<>();
        if (!Files.isRegularFile(csv)) return out;
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",");
            double[] r = new double[f.length];
            for (int j = 0; j < f.length; j++) r[j] = Double.parseDouble(f[j]);
            out.add(r);
        }
        return out;
    }
}

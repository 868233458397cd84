package io.tokenflow.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A small PNG line chart for benchmark programs: categorical x positions (evenly spaced labels), one line per
 * series with a legend, y from 0 with tick labels formatted by {@code yFormat}, and an optional grey reference line.
 */
final class LinePlot {
    private static final Color[] COLORS = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
        new Color(214, 39, 40), new Color(148, 103, 189)};

    private LinePlot() {}

    /**
     * @param y y[series][x]; NaN points are skipped
     * @param yMin lowest y shown (the axis starts there), yMax highest at least (grows to fit the data)
     * @param yStep distance between y ticks
     * @param reference y of a grey horizontal line, or NaN for none
     */
    static void write(Path png, String title, String xTitle, List<String> xLabels, List<String> series, double[][] y,
            double yMin, double yMax, double yStep, String yFormat, double reference) throws IOException {
        int w = 900, h = 560, left = 80, right = 170, top = 60, bottom = 70;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        double top1 = yMax;
        for (double[] row : y) for (double v : row) if (!Double.isNaN(v)) top1 = Math.max(top1, v * 1.05);
        final double ymax = top1;
        int pw = w - left - right, ph = h - top - bottom;
        int n = xLabels.size();
        java.util.function.IntUnaryOperator xAt = i -> left + (n == 1 ? pw / 2 : pw * i / (n - 1));
        java.util.function.DoubleToIntFunction yAt = v -> top + ph - (int) Math.round(ph * (v - yMin) / (ymax - yMin));
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(title, left, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
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
        g.dispose();
        Files.createDirectories(png.toAbsolutePath().getParent());
        ImageIO.write(img, "png", png.toFile());
    }
}

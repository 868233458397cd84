package io.tokenflow.eval;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LinePlotTest {
    @TempDir
    Path dir;

    @Test
    void categoricalChartIsAPngOfItsSizeWithSomethingDrawn() throws IOException {
        Path png = dir.resolve("sub/chart.png");
        LinePlot.categorical(png, "Top-1 agreement", "KV budget", List.of("12%", "25%", "50%"), List.of("streaming", "snapkv"),
                new double[][] {{0.91, 0.95, 0.99}, {0.93, Double.NaN, 1.0}}, 0.9, 1.0, 0.02, "%.2f", 1.0);
        assertDrawn(png, 900, 560);
    }

    @Test
    void trainingChartReadsLossAndEvalCsvs() throws IOException {
        StringBuilder loss = new StringBuilder("step,loss,accuracy,lr,tokens_per_s,seconds\n");
        for (int s = 0; s < 200; s++) loss.append(s).append(',').append(6.0 * Math.exp(-s / 80.0) + 0.1 * Math.sin(s)).append(",0.1,0.001,1000,1\n");
        Files.writeString(dir.resolve("loss.csv"), loss);
        Files.writeString(dir.resolve("eval.csv"), "step,seconds,val_loss,val_accuracy,passkey\n0,0.0,6.0,0.0,0.0\n100,1.0,3.0,0.3,0.5\n200,2.0,2.0,0.45,0.9\n");
        Path png = dir.resolve("loss.png");
        LinePlot.training(dir, png, "tiny: 2x64, ctx 128");
        assertDrawn(png, 1000, 760);
    }

    @Test
    void trainingChartOfAnEmptyDirectoryStillDraws() throws IOException {
        Path png = dir.resolve("empty.png");
        LinePlot.training(dir.resolve("nothing-here"), png, "no data yet");
        assertDrawn(png, 1000, 760);
    }

    private static void assertDrawn(Path png, int width, int height) throws IOException {
        BufferedImage img = ImageIO.read(png.toFile());
        assertThat(img).as("decodes as an image").isNotNull();
        assertThat(img.getWidth()).isEqualTo(width);
        assertThat(img.getHeight()).isEqualTo(height);
        int background = img.getRGB(0, 0);
        int differing = 0;
        for (int y = 0; y < height; y++) for (int x = 0; x < width; x++) if (img.getRGB(x, y) != background) differing++;
        assertThat(differing).as("pixels unlike the background").isGreaterThan(0);
    }
}

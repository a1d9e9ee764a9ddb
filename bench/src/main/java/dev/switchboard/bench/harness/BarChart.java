package dev.switchboard.bench.harness;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * A grouped bar chart rendered to PNG with Java2D (headless): one group per label, one bar per
 * series, value printed on each bar.
 */
final class BarChart {
    private static final Color[] PALETTE = {new Color(0x2f6fde), new Color(0xe0892b), new Color(0x3a9d5d), new Color(0xb8453a)};
    private static final int WIDTH = 900;
    private static final int HEIGHT = 420;

    private BarChart() {
    }

    /**
     * @param values values[group][series]; NaN = no bar
     */
    static void write(Path file, String title, String unit, List<String> groups, List<String> series, double[][] values)
            throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, WIDTH, HEIGHT);
        g.setColor(Color.DARK_GRAY);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(title, 20, 28);
        int left = 80;
        int right = WIDTH - 20;
        int top = 60;
        int bottom = HEIGHT - 70;
        double max = 0;
        for (double[] row : values) {
            for (double value : row) {
                if (!Double.isNaN(value)) {
                    max = Math.max(max, value);
                }
            }
        }
        max = max <= 0 ? 1 : niceCeiling(max);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics metrics = g.getFontMetrics();
        for (int tick = 0; tick <= 4; tick++) {
            double value = max * tick / 4;
            int y = bottom - (int) ((bottom - top) * tick / 4.0);
            g.setColor(new Color(0xe6e6e6));
            g.drawLine(left, y, right, y);
            g.setColor(Color.GRAY);
            String label = format(value);
            g.drawString(label, left - 8 - metrics.stringWidth(label), y + 4);
        }
        g.drawString(unit, 10, top - 12);
        int groupWidth = (right - left) / Math.max(1, groups.size());
        int barWidth = Math.max(6, (int) (groupWidth * 0.8 / Math.max(1, series.size())));
        for (int group = 0; group < groups.size(); group++) {
            int groupLeft = left + group * groupWidth + (int) (groupWidth * 0.1);
            for (int s = 0; s < series.size(); s++) {
                double value = values[group][s];
                if (Double.isNaN(value)) {
                    continue;
                }
                int height = (int) ((bottom - top) * value / max);
                int x = groupLeft + s * barWidth;
                g.setColor(PALETTE[s % PALETTE.length]);
                g.fillRect(x, bottom - height, barWidth - 2, height);
                g.setColor(Color.DARK_GRAY);
                String label = format(value);
                g.drawString(label, x + (barWidth - 2 - metrics.stringWidth(label)) / 2, bottom - height - 4);
            }
            g.setColor(Color.DARK_GRAY);
            String name = groups.get(group);
            g.drawString(name, left + group * groupWidth + (groupWidth - metrics.stringWidth(name)) / 2, bottom + 18);
        }
        g.setStroke(new BasicStroke(1));
        g.drawLine(left, bottom, right, bottom);
        int legendX = left;
        for (int s = 0; s < series.size(); s++) {
            g.setColor(PALETTE[s % PALETTE.length]);
            g.fillRect(legendX, HEIGHT - 30, 12, 12);
            g.setColor(Color.DARK_GRAY);
            g.drawString(series.get(s), legendX + 16, HEIGHT - 20);
            legendX += 24 + metrics.stringWidth(series.get(s)) + 20;
        }
        g.dispose();
        Files.createDirectories(file.getParent());
        ImageIO.write(image, "png", file.toFile());
    }

    private static double niceCeiling(double value) {
        double magnitude = Math.pow(10, Math.floor(Math.log10(value)));
        for (double step : new double[] {1, 2, 2.5, 5, 10}) {
            if (step * magnitude >= value) {
                return step * magnitude;
            }
        }
        return 10 * magnitude;
    }

    static String format(double value) {
        if (value >= 1_000_000) {
            return String.format("%.2fM", value / 1_000_000);
        }
        if (value >= 10_000) {
            return String.format("%.0fk", value / 1000);
        }
        if (value >= 100) {
            return String.format("%.0f", value);
        }
        return String.format("%.2f", value);
    }
}

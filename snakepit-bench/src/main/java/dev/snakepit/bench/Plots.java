package dev.snakepit.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/** Line charts as PNG files, drawn with the JDK alone (headless). */
final class Plots {
  private static final int WIDTH = 900;
  private static final int HEIGHT = 520;
  private static final int LEFT = 90;
  private static final int RIGHT = 200;
  private static final int TOP = 50;
  private static final int BOTTOM = 70;
  private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
      new Color(0x9467bd), new Color(0x8c564b)};

  /** One line: its label and its points. */
  record Series(String label, double[] xs, double[] ys) {}

  private Plots() {}

  /**
   * Draws {@code series} into {@code file}. With {@code logX} the x axis is logarithmic (base 10), as
   * latencies spanning decades need.
   */
  static void lines(Path file, String title, String xLabel, String yLabel, boolean logX, List<Series> series) throws IOException {
    double minX = Double.MAX_VALUE;
    double maxX = -Double.MAX_VALUE;
    double maxY = 0;
    for (Series s : series) {
      for (int i = 0; i < s.xs().length; i++) {
        double x = logX ? Math.log10(s.xs()[i]) : s.xs()[i];
        minX = Math.min(minX, x);
        maxX = Math.max(maxX, x);
        maxY = Math.max(maxY, s.ys()[i]);
      }
    }
    if (logX) {
      minX = Math.floor(minX);
      maxX = Math.ceil(maxX);
    }
    if (maxX <= minX) {
      maxX = minX + 1;
    }
    maxY = niceCeiling(maxY);
    BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, WIDTH, HEIGHT);
    int plotW = WIDTH - LEFT - RIGHT;
    int plotH = HEIGHT - TOP - BOTTOM;
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
    g.setColor(Color.BLACK);
    g.drawString(title, LEFT, 30);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    // Grid and ticks.
    for (int i = 0; i <= 5; i++) {
      int y = TOP + plotH - plotH * i / 5;
      g.setColor(new Color(0xe0e0e0));
      g.drawLine(LEFT, y, LEFT + plotW, y);
      g.setColor(Color.DARK_GRAY);
      g.drawString(format(maxY * i / 5), LEFT - 60, y + 4);
    }
    int xTicks = logX ? (int) (maxX - minX) : 5;
    for (int i = 0; i <= xTicks; i++) {
      double value = minX + (maxX - minX) * i / xTicks;
      int x = LEFT + (int) (plotW * (value - minX) / (maxX - minX));
      g.setColor(new Color(0xe0e0e0));
      g.drawLine(x, TOP, x, TOP + plotH);
      g.setColor(Color.DARK_GRAY);
      g.drawString(format(logX ? Math.pow(10, value) : value), x - 15, TOP + plotH + 18);
    }
    g.setColor(Color.BLACK);
    g.drawRect(LEFT, TOP, plotW, plotH);
    g.drawString(xLabel, LEFT + plotW / 2 - 40, HEIGHT - 25);
    g.rotate(-Math.PI / 2);
    g.drawString(yLabel, -(TOP + plotH / 2 + 40), 20);
    g.rotate(Math.PI / 2);
    // Lines and legend.
    g.setStroke(new BasicStroke(2f));
    for (int k = 0; k < series.size(); k++) {
      Series s = series.get(k);
      g.setColor(COLORS[k % COLORS.length]);
      Path2D.Double path = new Path2D.Double();
      for (int i = 0; i < s.xs().length; i++) {
        double xv = logX ? Math.log10(s.xs()[i]) : s.xs()[i];
        double px = LEFT + plotW * (xv - minX) / (maxX - minX);
        double py = TOP + plotH - plotH * s.ys()[i] / maxY;
        if (i == 0) {
          path.moveTo(px, py);
        } else {
          path.lineTo(px, py);
        }
      }
      g.draw(path);
      int ly = TOP + 20 + 22 * k;
      g.drawLine(LEFT + plotW + 15, ly - 4, LEFT + plotW + 40, ly - 4);
      g.setColor(Color.BLACK);
      g.drawString(s.label(), LEFT + plotW + 46, ly);
    }
    g.dispose();
    ImageIO.write(image, "png", file.toFile());
  }

  private static double niceCeiling(double value) {
    if (value <= 0) {
      return 1;
    }
    double magnitude = Math.pow(10, Math.floor(Math.log10(value)));
    for (double step : new double[] {1, 2, 2.5, 5, 10}) {
      if (step * magnitude >= value) {
        return step * magnitude;
      }
    }
    return 10 * magnitude;
  }

  private static String format(double value) {
    if (value >= 10_000) {
      return String.format(Locale.ROOT, "%,.0f", value);
    }
    return value == Math.rint(value) ? String.format(Locale.ROOT, "%.0f", value) : String.format(Locale.ROOT, "%.1f", value);
  }
}

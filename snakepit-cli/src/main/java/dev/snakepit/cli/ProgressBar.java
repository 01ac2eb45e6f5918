package dev.snakepit.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * Shows how far a run is. On a terminal it redraws one line in place with {@code \r}; elsewhere (a pipe,
 * a CI log) it prints a line each time another tenth of the work is done, so logs stay short.
 *
 * <p>Used from one thread only. {@link #note} prints a whole line without tearing the bar: on a terminal
 * it clears the bar first and redraws it on the next update.
 */
final class ProgressBar {
  private static final int WIDTH = 30;

  private final PrintStream out;
  private final boolean inPlace;
  private final long total;
  private final long startNanos;
  /** What is counted, or null for calls, whose rate the line shows; other counts show the time so far. */
  private final String unit;
  /** Length of the bar line last drawn, 0 when none is on screen. */
  private int drawn;
  /** The last tenth reported in line mode. */
  private int lastTenth;
  /** While paused, updates are not drawn (a terminal is left for other output to appear cleanly). */
  private boolean paused;

  ProgressBar(PrintStream out, boolean inPlace, long total) {
    this(out, inPlace, total, null);
  }

  /** A bar of {@code total} {@code unit} (such as "workers ready"), whose line shows the time so far. */
  ProgressBar(PrintStream out, boolean inPlace, long total, String unit) {
    this.unit = unit;
    this.out = out;
    this.inPlace = inPlace;
    this.total = Math.max(total, 1);
    this.startNanos = System.nanoTime();
  }

  /** Shows that {@code done} of the total are done. */
  void update(long done) {
    if (paused) {
      return;
    }
    long elapsed = System.nanoTime() - startNanos;
    if (inPlace) {
      String line = line(done, elapsed);
      out.print("\r" + line + " ".repeat(Math.max(0, drawn - line.length())));
      out.flush();
      drawn = line.length();
    } else {
      int tenth = (int) (done * 10 / total);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        out.println(line(done, elapsed));
      }
    }
  }

  /** Prints {@code message} on a line of its own. */
  void note(String message) {
    clear();
    out.println(message);
  }

  /**
   * On a terminal, takes the bar off the screen and stops drawing it until {@link #resume()}, so that
   * other output (such as the pool's log) lands on clean lines. In line mode nothing needs protecting.
   */
  void pause() {
    clear();
    paused = inPlace;
  }

  void resume() {
    paused = false;
  }

  /** Draws the final state and ends the bar's line. */
  void finish(long done) {
    paused = false;
    update(done);
    if (inPlace && drawn > 0) {
      out.println();
      drawn = 0;
    }
  }

  /** One line of progress, such as {@code [#########.....]  45%  1800/4000  2,912 calls/s}. */
  String line(long done, long elapsedNanos) {
    int filled = (int) (done * WIDTH / total);
    String bar = "#".repeat(filled) + ".".repeat(WIDTH - filled);
    String after = unit == null ? Latencies.rate(done, elapsedNanos)
        : String.format(Locale.ROOT, "%s, %.1f s", unit, elapsedNanos / 1e9);
    return String.format(Locale.ROOT, "[%s] %3d%%  %d/%d  %s", bar, done * 100 / total, done, total, after);
  }

  private void clear() {
    if (inPlace && drawn > 0) {
      out.print("\r" + " ".repeat(drawn) + "\r");
      out.flush();
      drawn = 0;
    }
  }
}

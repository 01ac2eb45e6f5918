package dev.snakepit.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/** A one-line description of the machine a run measured. */
final class Machine {
  private Machine() {}

  static String describe(String python) {
    return String.format(Locale.ROOT, "%d cores, %s, %s %s, JDK %s, Python %s", Runtime.getRuntime().availableProcessors(), memory(),
        System.getProperty("os.name"), System.getProperty("os.version"), Runtime.version(), pythonVersion(python));
  }

  private static String memory() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
          return String.format(Locale.ROOT, "%.0f GiB", kib / 1024.0 / 1024.0);
        }
      }
    } catch (IOException | NumberFormatException e) {
      // Reported as unknown.
    }
    return "memory unknown";
  }

  private static String pythonVersion(String python) {
    try {
      Process p = new ProcessBuilder(python, "-c", "import platform; print(platform.python_version())").redirectErrorStream(true).start();
      String version = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0 ? version : "unknown";
    } catch (IOException e) {
      return "unknown";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown";
    }
  }
}

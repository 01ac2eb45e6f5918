package dev.snakepit.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A JVM that a test starts with this JVM's class path and the test presets' properties, running
 * {@code main}'s main method; the child's stderr goes to this JVM's.
 */
public final class ChildJvm {
  private ChildJvm() {}

  public static Process start(Class<?> main, String... args) throws IOException {
    List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(), "-cp",
        System.getProperty("java.class.path"), "-Dsnakepit.test.python=" + TestPools.python(),
        "-Dsnakepit.test.repo=" + System.getProperty("snakepit.test.repo", ""),
        "-Dsnakepit.test.preload=" + TestPools.preloading(), main.getName()));
    command.addAll(List.of(args));
    return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  /**
   * The words after {@code ready} of the first line of {@code jvm}'s stdout that starts with it,
   * skipping the child's log lines; fails if its stdout ends first.
   */
  public static List<String> awaitReady(Process jvm) throws IOException {
    BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8));
    for (String line = out.readLine(); line != null; line = out.readLine()) {
      if (line.startsWith("ready ")) {
        return List.of(line.substring("ready ".length()).split(" "));
      }
    }
    throw new AssertionError("the child JVM ended its output without a ready line");
  }
}

package dev.snakepit.internal.process;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A separate JVM's entry point for {@link PythonRuntimeTest}: prints "ready", waits for a line on
 * stdin (so that all the JVMs unpack at the same moment), unpacks into the cache root given as the
 * argument and prints the runtime directory.
 */
public final class UnpackInAnotherJvm {
  private UnpackInAnotherJvm() {}

  public static void main(String[] args) throws Exception {
    System.out.println("ready");
    System.out.flush();
    new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
    System.out.println(PythonRuntime.unpack(Path.of(args[0])));
  }
}

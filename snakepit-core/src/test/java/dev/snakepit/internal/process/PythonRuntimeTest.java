package dev.snakepit.internal.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.testing.NoLeaks;
import dev.snakepit.testing.TestPools;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The bundled Python runtime is unpacked once per version into a cache that several JVMs share. */
@ExtendWith(NoLeaks.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PythonRuntimeTest {
  private static final int JVMS = 4;

  @TempDir
  Path cache;

  @Test
  void jvmsUnpackingAtTheSameMomentAllGetTheSameCompleteRuntime() throws Exception {
    List<Process> jvms = new ArrayList<>();
    try {
      for (int i = 0; i < JVMS; i++) {
        Process jvm = new ProcessBuilder(javaExecutable(), "-cp", classPath(), UnpackInAnotherJvm.class.getName(), cache.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        jvms.add(jvm);
      }
      List<BufferedReader> outputs = new ArrayList<>();
      for (Process jvm : jvms) {
        BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8));
        assertThat(out.readLine()).isEqualTo("ready");
        outputs.add(out);
      }
      for (Process jvm : jvms) {
        try (Writer go = new OutputStreamWriter(jvm.getOutputStream(), StandardCharsets.UTF_8)) {
          go.write("go\n");
        }
      }
      List<String> directories = new ArrayList<>();
      for (int i = 0; i < JVMS; i++) {
        directories.add(outputs.get(i).readLine());
        assertThat(jvms.get(i).waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(jvms.get(i).exitValue()).isZero();
      }

      assertThat(directories).doesNotContainNull().containsOnly(directories.getFirst());
      Path runtime = Path.of(directories.getFirst());
      assertThat(runtime.getParent()).isEqualTo(cache);
      assertThat(runtime.getFileName().toString()).matches("runtime-.+-[0-9a-f]{16}");
      try (Stream<Path> entries = Files.list(cache)) {
        assertThat(entries).as("no staging directory is left behind").containsExactly(runtime);
      }
      assertImportable(runtime);
    } finally {
      jvms.forEach(Process::destroyForcibly);
      for (Process jvm : jvms) {
        jvm.waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void whoLosesTheRaceToMoveItsCopyInPlaceUsesTheWinnersAndDeletesItsOwn() throws Exception {
    int racers = 4;
    CyclicBarrier allExtracted = new CyclicBarrier(racers);
    Runnable waitForTheOthers = () -> {
      try {
        allExtracted.await(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
    List<Path> results;
    try (ExecutorService threads = Executors.newFixedThreadPool(racers)) {
      List<Future<Path>> futures = new ArrayList<>();
      for (int i = 0; i < racers; i++) {
        futures.add(threads.submit(() -> PythonRuntime.unpack(cache, waitForTheOthers)));
      }
      results = new ArrayList<>();
      for (Future<Path> future : futures) {
        results.add(future.get(60, TimeUnit.SECONDS));
      }
    }

    assertThat(results).containsOnly(results.getFirst());
    try (Stream<Path> entries = Files.list(cache)) {
      assertThat(entries).as("the losers' copies are deleted").containsExactly(results.getFirst());
    }
    assertImportable(results.getFirst());
  }

  @Test
  void anUnpackedRuntimeIsReusedAsItIs() throws IOException {
    Path first = PythonRuntime.unpack(cache);
    Path marker = Files.writeString(first.resolve("marker"), "kept");

    Path second = PythonRuntime.unpack(cache);

    assertThat(second).isEqualTo(first);
    assertThat(marker).hasContent("kept");
  }

  @Test
  void aCacheRootThatCannotBeADirectoryIsAClearError() throws IOException {
    Path file = Files.writeString(cache.resolve("not-a-directory"), "");

    assertThatThrownBy(() -> PythonRuntime.unpack(file))
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("cannot unpack bundled Python code (runtime-" )
        .hasMessageContaining("SNAKEPIT_CACHE_DIR");
  }

  /** A real interpreter imports the worker from the directory, so every module arrived whole. */
  private static void assertImportable(Path runtime) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(TestPools.python(), "-c",
        "import snakepit.startup, snakepit.examples.demo; print(snakepit.startup.__file__)").redirectErrorStream(true);
    builder.environment().put("PYTHONPATH", runtime.toString());
    Process python = builder.start();
    String output = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertThat(python.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(python.exitValue()).as(output).isZero();
    assertThat(Path.of(output)).startsWith(runtime);
  }

  private static String javaExecutable() {
    return ProcessHandle.current().info().command().orElseThrow();
  }

  /** This module's classes and test classes, wherever the build put them; the runtime needs nothing else. */
  private static String classPath() throws Exception {
    return location(PythonRuntime.class) + File.pathSeparator + location(UnpackInAnotherJvm.class);
  }

  private static Path location(Class<?> type) throws Exception {
    return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
  }
}

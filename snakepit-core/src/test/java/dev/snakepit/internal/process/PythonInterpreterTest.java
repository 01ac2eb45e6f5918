package dev.snakepit.internal.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.testing.TestPools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resolving the interpreter once, and compiling the runtime to bytecode on the way. */
class PythonInterpreterTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  @Test
  void theProbeFindsTheRealInterpreterAndCompilesTheRuntimeToBytecode(@TempDir Path runtime) throws Exception {
    Files.createDirectories(runtime.resolve("pkg"));
    Files.writeString(runtime.resolve("pkg/__init__.py"), "");
    Files.writeString(runtime.resolve("pkg/mod.py"), "VALUE = 1\n");

    PythonInterpreter python = PythonInterpreter.probe(TestPools.python(), runtime, TIMEOUT);

    assertThat(Path.of(python.executable())).isAbsolute().exists();
    assertThat(python.version()).matches("3\\.\\d+\\.\\d+");
    assertThat(bytecode(runtime.resolve("pkg/__pycache__"))).anyMatch(name -> name.startsWith("mod.") && name.endsWith(".pyc"))
        .anyMatch(name -> name.startsWith("__init__.") && name.endsWith(".pyc"));
  }

  @Test
  void aRuntimeThatCannotBeCompiledDoesNotStopTheProbe(@TempDir Path runtime) throws Exception {
    Files.writeString(runtime.resolve("broken.py"), "def (:\n");

    PythonInterpreter python = PythonInterpreter.probe(TestPools.python(), runtime, TIMEOUT);

    assertThat(python.version()).startsWith("3.");
    assertThat(runtime.resolve("__pycache__")).doesNotExist();
  }

  @Test
  void aCommandThatIsNoInterpreterIsNamedInTheError(@TempDir Path runtime) {
    assertThatThrownBy(() -> PythonInterpreter.probe(runtime.resolve("no-such-python").toString(), runtime, TIMEOUT))
        .isInstanceOf(PythonInterpreter.Unusable.class)
        .hasMessageContaining("no-such-python' cannot be run");
  }

  private static Stream<String> bytecode(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).toList().stream();
    }
  }
}

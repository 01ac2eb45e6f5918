package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.spi.EnvironmentEvent;
import dev.snakepit.spi.EnvironmentEvent.Step;
import dev.snakepit.spi.PoolListener;
import dev.snakepit.testing.ChildJvm;
import dev.snakepit.testing.NoLeaks;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.TestPools;
import dev.snakepit.testing.TestWheels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pools that make their own virtual environment: from a requirements file with a wheel directory (no
 * index), from the machine's index, from a pyproject.toml installed editable; made once, by one pool
 * of one JVM at a time, reused after; a failed install reported with pip's words and left behind.
 */
@PoolTest
class VirtualEnvironmentTest {
  private static final String ADAPTER = "pooltests.environment:EnvironmentAdapter";

  @TempDir
  Path dir;

  /** Environments the tests made, removed after each test so that the cache does not grow with runs. */
  private final Set<Path> made = ConcurrentHashMap.newKeySet();

  /** The steps a pool's listener saw, without pip's output lines. */
  private final class Steps implements PoolListener {
    final List<Step> steps = new CopyOnWriteArrayList<>();
    final List<String> output = new CopyOnWriteArrayList<>();

    @Override
    public void environment(EnvironmentEvent event) {
      made.add(event.directory());
      if (event.step() == Step.OUTPUT) {
        output.add(event.line());
      } else {
        steps.add(event.step());
      }
    }
  }

  @AfterEach
  void removeEnvironments() throws IOException {
    for (Path environment : made) {
      if (Files.exists(environment)) {
        try (Stream<Path> all = Files.walk(environment)) {
          for (Path path : all.sorted(Comparator.reverseOrder()).toList()) {
            Files.deleteIfExists(path);
          }
        }
      }
      Files.deleteIfExists(environment.resolveSibling(environment.getFileName() + ".lock"));
    }
  }

  private Path wheels() throws IOException {
    Path wheels = Files.createDirectories(dir.resolve("wheels"));
    TestWheels.write(wheels, "snakepit-envtest-pkg", "1.0", 42);
    return wheels;
  }

  private PoolConfig.Builder offline(String name, Path requirements, Path wheels, Steps steps) {
    return TestPools.builder(ADAPTER, name).requirements(requirements).wheelDirectory(wheels).listener(steps);
  }

  @Test
  void makesAnEnvironmentFromRequirementsAndAWheelDirectoryThenReusesIt() throws IOException {
    Path requirements = Files.writeString(dir.resolve("requirements.txt"), "snakepit-envtest-pkg==1.0\n");
    Path wheels = wheels();
    Steps first = new Steps();
    String prefix;
    try (Snakepit pool = TestPools.start(offline("env-first", requirements, wheels, first))) {
      assertThat(pool.execute("value_of", Map.of("module", "snakepit_envtest_pkg"))).isEqualTo(42L);
      prefix = (String) pool.execute("prefix", Map.of());
    }
    assertThat(first.steps).containsExactly(Step.CREATING, Step.INSTALLING, Step.READY);
    assertThat(first.output).anyMatch(line -> line.contains("Successfully installed snakepit-envtest-pkg-1.0"));
    Path environment = made.iterator().next();
    assertThat(Path.of(prefix)).isEqualTo(environment);

    Steps second = new Steps();
    try (Snakepit pool = TestPools.start(offline("env-second", requirements, wheels, second))) {
      assertThat(pool.execute("prefix", Map.of())).isEqualTo(prefix);
    }
    assertThat(second.steps).containsExactly(Step.REUSED);

    // A new requirement is a new environment; so is a new wheel.
    Files.writeString(requirements, "snakepit-envtest-pkg==1.0\n# pinned\n");
    Steps changed = new Steps();
    try (Snakepit pool = TestPools.start(offline("env-changed", requirements, wheels, changed))) {
      assertThat(pool.execute("prefix", Map.of())).isNotEqualTo(prefix);
    }
    assertThat(changed.steps).startsWith(Step.CREATING);
  }

  @Test
  void poolsOfThisJvmAndOfAnotherAskingForOneEnvironmentAtOnceMakeItOnce() throws Exception {
    Path requirements = Files.writeString(dir.resolve("requirements.txt"), "-r base.txt\n");
    Files.writeString(dir.resolve("base.txt"), "snakepit-envtest-pkg==1.0\n");
    Path wheels = wheels();
    Process other = ChildJvm.start(EnvironmentTarget.class, requirements.toString(), wheels.toString(), NoLeaks.OWNER);
    try {
      List<Steps> here = List.of(new Steps(), new Steps());
      List<CompletableFuture<Object>> pools = new ArrayList<>();
      for (int i = 0; i < here.size(); i++) {
        PoolConfig.Builder builder = offline("env-race-" + i, requirements, wheels, here.get(i));
        pools.add(CompletableFuture.supplyAsync(() -> {
          try (Snakepit pool = TestPools.start(builder)) {
            return pool.execute("value_of", Map.of("module", "snakepit_envtest_pkg"));
          }
        }, task -> Thread.ofPlatform().start(task)));
      }
      List<String> theirs = ChildJvm.awaitReady(other);
      for (CompletableFuture<Object> pool : pools) {
        assertThat(pool.get(120, TimeUnit.SECONDS)).isEqualTo(42L);
      }
      assertThat(theirs.get(1)).isEqualTo("42");
      List<Step> all = new ArrayList<>(List.of(theirs.getFirst().split(",")).stream().map(Step::valueOf).toList());
      here.forEach(s -> all.addAll(s.steps));
      assertThat(all).as("steps of the three pools").filteredOn(s -> s == Step.CREATING).hasSize(1);
      assertThat(all).filteredOn(s -> s == Step.REUSED).hasSize(2);
      assertThat(other.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(other.exitValue()).isZero();
    } finally {
      other.destroyForcibly();
      other.waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void aFailedInstallStopsThePoolWithPipsOwnErrorAndLeavesNoEnvironment() throws IOException {
    Path requirements = Files.writeString(dir.resolve("requirements.txt"), "snakepit-envtest-missing==9.9\n");
    Steps steps = new Steps();
    assertThatThrownBy(() -> TestPools.start(offline("env-broken", requirements, wheels(), steps)))
        .isInstanceOfSatisfying(SnakepitException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_REQUEST))
        .hasMessageContaining("pool 'env-broken' cannot start: pip could not install " + requirements)
        .hasMessageContaining("(exit code 1)")
        .hasMessageContaining("No matching distribution found for snakepit-envtest-missing==9.9");
    assertThat(made).hasSize(1).allSatisfy(environment -> assertThat(environment).doesNotExist());
  }

  @Test
  void installsARealPackageFromTheMachinesIndex() throws IOException {
    Path requirements = Files.writeString(dir.resolve("requirements.txt"), "six==1.17.0\n");
    Steps steps = new Steps();
    try (Snakepit pool = TestPools.start(TestPools.builder(ADAPTER, "env-index").requirements(requirements).listener(steps))) {
      assertThat(pool.execute("value_of", Map.of("module", "six", "name", "__version__"))).isEqualTo("1.17.0");
    }
    assertThat(steps.output).anyMatch(line -> line.contains("Successfully installed six-1.17.0"));
  }

  @Test
  void aPyprojectIsInstalledEditableWithItsDependencies() throws IOException {
    Path project = Files.createDirectories(dir.resolve("project"));
    Files.createDirectories(project.resolve("envproj"));
    Files.writeString(project.resolve("envproj/__init__.py"), "import snakepit_envtest_pkg\nVALUE = snakepit_envtest_pkg.VALUE + 1\n");
    // A build backend of the project's own (PEP 517 backend-path), so that the test needs no index:
    // its editable wheel (PEP 660) is a .pth file naming the project's directory, and its dependency.
    Files.writeString(project.resolve("tiny_backend.py"), """
        import base64, hashlib, os, zipfile

        NAME, VERSION = "envproj", "0.1"
        INFO = NAME + "-" + VERSION + ".dist-info/"

        def get_requires_for_build_editable(config_settings=None):
            return []

        def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
            files = {
                NAME + ".pth": os.path.dirname(os.path.abspath(__file__)) + "\\n",
                INFO + "METADATA": "Metadata-Version: 2.1\\nName: envproj\\nVersion: 0.1\\n"
                                   "Requires-Dist: snakepit-envtest-pkg==1.0\\n",
                INFO + "WHEEL": "Wheel-Version: 1.0\\nGenerator: tiny\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
            }
            record = ""
            for path, text in files.items():
                digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
                record += "%s,sha256=%s,%d\\n" % (path, digest, len(text.encode()))
            files[INFO + "RECORD"] = record + INFO + "RECORD,,\\n"
            name = NAME + "-" + VERSION + "-py3-none-any.whl"
            with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as wheel:
                for path, text in files.items():
                    wheel.writestr(path, text)
            return name
        """);
    Path pyproject = Files.writeString(project.resolve("pyproject.toml"), """
        [build-system]
        requires = []
        build-backend = "tiny_backend"
        backend-path = ["."]

        [project]
        name = "envproj"
        version = "0.1"
        dependencies = ["snakepit-envtest-pkg==1.0"]
        """);
    Steps steps = new Steps();
    PoolConfig.Builder builder = TestPools.builder(ADAPTER, "env-project").pyproject(pyproject).wheelDirectory(wheels())
        .listener(steps);
    try (Snakepit pool = TestPools.start(builder)) {
      assertThat(pool.execute("value_of", Map.of("module", "envproj"))).isEqualTo(43L);
    }
    Files.writeString(project.resolve("envproj/__init__.py"), "VALUE = 7\n");
    Steps again = new Steps();
    try (Snakepit pool = TestPools.start(builder.listener(again))) {
      assertThat(pool.execute("value_of", Map.of("module", "envproj"))).as("editable: the project's code as it is now").isEqualTo(7L);
    }
    assertThat(again.steps).containsExactly(Step.REUSED);
  }

  @Test
  void refusesWhatCannotMakeAnEnvironment() throws IOException {
    Path requirements = Files.writeString(dir.resolve("requirements.txt"), "six\n");
    Path pyproject = Files.writeString(dir.resolve("pyproject.toml"), "[project]\nname = 'x'\n");
    assertThatThrownBy(() -> PoolConfig.builder(ADAPTER).requirements(dir.resolve("none.txt")))
        .hasMessageContaining("PoolConfig.requirements = " + dir.resolve("none.txt") + " is invalid: it must be a readable file");
    assertThatThrownBy(() -> PoolConfig.builder(ADAPTER).requirements(requirements).pyproject(pyproject))
        .hasMessageContaining("PoolConfig.pyproject = " + pyproject + " is invalid: it cannot be given with requirements");
    assertThatThrownBy(() -> PoolConfig.builder(ADAPTER).pyproject(requirements))
        .hasMessageContaining("it must be an existing pyproject.toml file");
    assertThatThrownBy(() -> PoolConfig.builder(ADAPTER).wheelDirectory(dir).build())
        .hasMessageContaining("PoolConfig.wheelDirectory = " + dir + " is invalid: it needs requirements or pyproject");
  }
}

package dev.snakepit.testing;

import dev.snakepit.PoolConfig;
import dev.snakepit.Snakepit;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Pool configurations for integration tests: the interpreter the build chose, the test adapters on
 * the path, small sizes and short timeouts, and the owner mark {@link NoLeaks} looks for.
 */
public final class TestPools {
  /** The runtime's demo adapter. */
  public static final String DEMO = "snakepit.examples.demo:DemoAdapter";
  /** The demo's tools plus misbehaving ones (src/test/python/pooltests/tools.py). */
  public static final String TEST_ADAPTER = "pooltests.tools:PoolTestAdapter";

  private TestPools() {}

  /**
   * A builder for {@code adapter} with the test presets: one worker; call timeout 10 s, acquire
   * timeout 5 s, start timeout 20 s (generous: two cores may be starting several interpreters),
   * shutdown grace 3 s, cancel grace 2 s. Workers are forked from a template when the system property
   * {@code snakepit.test.preload} is true, as in the build's {@code preloaded} test run.
   */
  public static PoolConfig.Builder builder(String adapter, String poolName) {
    return PoolConfig.builder(adapter)
        .name(poolName)
        .pythonExecutable(python())
        .addPythonPath(testAdapters())
        .environment(NoLeaks.OWNER_VARIABLE, NoLeaks.OWNER)
        .size(1)
        .callTimeout(Duration.ofSeconds(10))
        .acquireTimeout(Duration.ofSeconds(5))
        .startTimeout(Duration.ofSeconds(20))
        .shutdownGrace(Duration.ofSeconds(3))
        .cancelGrace(Duration.ofSeconds(2))
        .preload(preloading());
  }

  /** Whether the tests run with preloading on ({@code snakepit.test.preload}): every worker forked from a template. */
  public static boolean preloading() {
    return Boolean.getBoolean("snakepit.test.preload");
  }

  /** The presets with the demo adapter. */
  public static PoolConfig.Builder demo(String poolName) {
    return builder(DEMO, poolName);
  }

  /** The presets with {@link #TEST_ADAPTER}. */
  public static PoolConfig.Builder testAdapter(String poolName) {
    return builder(TEST_ADAPTER, poolName);
  }

  /** Starts a pool and tells {@link NoLeaks} about its workers. */
  public static Snakepit start(PoolConfig.Builder builder) {
    Snakepit pool = Snakepit.start(builder.build());
    NoLeaks.sawWorkers(pool.workerPids());
    return pool;
  }

  /** The interpreter the build runs workers with ({@code snakepit.test.python}). */
  public static String python() {
    return System.getProperty("snakepit.test.python", "python3");
  }

  /** The folder holding the test adapters' package {@code pooltests}. */
  public static Path testAdapters() {
    String repo = System.getProperty("snakepit.test.repo");
    Path module = repo == null || repo.isBlank() ? Path.of("") : Path.of(repo, "snakepit-core");
    return module.resolve("src/test/python").toAbsolutePath();
  }
}

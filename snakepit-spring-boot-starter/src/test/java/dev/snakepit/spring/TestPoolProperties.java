package dev.snakepit.spring;

import dev.snakepit.Snakepit;
import dev.snakepit.testing.NoLeaks;
import dev.snakepit.testing.TestPools;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The properties of {@link TestPools}'s presets for a pool of the demo adapter under
 * {@code snakepit.pools.<key>}: the build's interpreter, one worker, short timeouts, and the owner mark
 * that {@link NoLeaks} looks for.
 */
final class TestPoolProperties {
  private TestPoolProperties() {}

  /** The presets for pool {@code key}, followed by {@code more} (which may override them). */
  static String[] of(String key, String... more) {
    String prefix = "snakepit.pools." + key + ".";
    List<String> properties = new ArrayList<>(Stream.of(
        "adapter=" + TestPools.DEMO,
        "python-executable=" + TestPools.python(),
        "environment." + NoLeaks.OWNER_VARIABLE + "=" + NoLeaks.OWNER,
        "size=1",
        "call-timeout=10s",
        "acquire-timeout=5s",
        "start-timeout=20s",
        "shutdown-grace=3s",
        "cancel-grace=2s").map(p -> prefix + p).toList());
    properties.addAll(List.of(more));
    return properties.toArray(String[]::new);
  }

  /** Tells {@link NoLeaks} about the workers of {@code pool}, and returns their pids. */
  static List<Long> workersOf(Snakepit pool) {
    List<Long> pids = pool.workerPids();
    NoLeaks.sawWorkers(pids);
    return pids;
  }
}

package dev.snakepit;

import dev.snakepit.spi.EnvironmentEvent;
import dev.snakepit.spi.PoolListener;
import dev.snakepit.testing.NoLeaks;
import dev.snakepit.testing.TestPools;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/**
 * The other JVM of {@link VirtualEnvironmentTest}: starts a pool in the environment of the
 * requirements file and wheel directory given, prints {@code ready <steps> <value>} and exits.
 */
public final class EnvironmentTarget {
  private EnvironmentTarget() {}

  public static void main(String[] args) {
    List<EnvironmentEvent.Step> steps = new CopyOnWriteArrayList<>();
    PoolListener listener = new PoolListener() {
      @Override
      public void environment(EnvironmentEvent event) {
        if (event.step() != EnvironmentEvent.Step.OUTPUT) {
          steps.add(event.step());
        }
      }
    };
    try (Snakepit pool = Snakepit.start(TestPools.builder("pooltests.environment:EnvironmentAdapter", "other-jvm")
        .environment(NoLeaks.OWNER_VARIABLE, args[2]).requirements(Path.of(args[0])).wheelDirectory(Path.of(args[1]))
        .listener(listener).build())) {
      Object value = pool.execute("value_of", Map.of("module", "snakepit_envtest_pkg"));
      System.out.println("ready " + steps.stream().map(Enum::name).collect(Collectors.joining(",")) + " " + value);
      System.out.flush();
    }
  }
}

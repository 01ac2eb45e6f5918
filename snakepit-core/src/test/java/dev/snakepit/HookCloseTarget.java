package dev.snakepit;

import dev.snakepit.testing.NoLeaks;
import dev.snakepit.testing.TestPools;
import java.util.stream.Collectors;

/**
 * The JVM that {@link ShutdownHookCloseTest} terminates: a pool of two workers, marked with the owner
 * mark given as the argument, that the application closes from a shutdown hook of its own, as Spring
 * and other containers do. It prints {@code ready <worker pids>} and waits.
 */
public final class HookCloseTarget {
  private HookCloseTarget() {}

  public static void main(String[] args) throws Exception {
    Snakepit pool = Snakepit.start(TestPools.testAdapter("hook-close").size(2).environment(NoLeaks.OWNER_VARIABLE, args[0])
        .build());
    Runtime.getRuntime().addShutdownHook(new Thread(pool::close, "application-shutdown"));
    pool.execute("ping", java.util.Map.of());
    System.out.println("ready " + pool.workerPids().stream().map(String::valueOf).collect(Collectors.joining(" ")));
    System.out.flush();
    System.in.read(); // until terminated: the testing JVM never writes
  }
}

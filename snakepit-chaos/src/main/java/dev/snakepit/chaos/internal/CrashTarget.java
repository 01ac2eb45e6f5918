package dev.snakepit.chaos.internal;

import dev.snakepit.Call;
import dev.snakepit.PoolConfig;
import dev.snakepit.Snakepit;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * The JVM that {@code JvmCrashHarness} kills: starts a pool as its arguments say, runs the warm-up
 * calls, prints {@code worker PID} lines and {@code ready}, then waits forever. Never closes its pool:
 * what happens to the workers when this JVM is killed is what the harness checks.
 *
 * <p>Arguments: {@code adapter size python [--path DIR]... [--env NAME=VALUE]... [--call TOOL] [--preload true]}.
 */
public final class CrashTarget {
  private CrashTarget() {}

  public static void main(String[] args) throws InterruptedException {
    PoolConfig.Builder config = PoolConfig.builder(args[0]).name("crash-target").size(Integer.parseInt(args[1]))
        .pythonExecutable(args[2]);
    String warmUp = null;
    for (int i = 3; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--path" -> config.addPythonPath(Path.of(args[i + 1]));
        case "--env" -> {
          int eq = args[i + 1].indexOf('=');
          config.environment(args[i + 1].substring(0, eq), args[i + 1].substring(eq + 1));
        }
        case "--call" -> warmUp = args[i + 1];
        case "--preload" -> config.preload(Boolean.parseBoolean(args[i + 1]));
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    Snakepit pool = Snakepit.start(config.build());
    if (warmUp != null) {
      // As many calls at once as there are workers: each free worker takes one.
      List<CompletableFuture<Object>> calls = new ArrayList<>();
      for (int i = 0; i < pool.config().size(); i++) {
        calls.add(pool.executeAsync(Call.of(warmUp)));
      }
      calls.forEach(CompletableFuture::join);
    }
    for (long pid : pool.workerPids()) {
      System.out.println("worker " + pid);
    }
    System.out.println("ready");
    System.out.flush();
    new CountDownLatch(1).await();
  }
}

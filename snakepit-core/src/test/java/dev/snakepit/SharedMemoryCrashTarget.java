package dev.snakepit;

import dev.snakepit.testing.NoLeaks;
import dev.snakepit.testing.TestPools;
import java.lang.ref.Reference;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

/**
 * The JVM that {@link SharedMemoryJvmCrashTest} kills: a pool of two workers in shared memory under the
 * base directory given as the first argument, its processes marked with the owner mark given as the
 * second (the testing JVM's). It holds a result mapped, one worker holds a mapped argument, the other
 * has a file of its own in the directory; it then prints {@code ready <pool directory> <worker pids>}
 * and waits to be killed.
 */
public final class SharedMemoryCrashTarget {
  private SharedMemoryCrashTarget() {}

  public static void main(String[] args) throws Exception {
    Path base = Path.of(args[0]);
    Snakepit pool = Snakepit.start(TestPools.testAdapter("shm-crash").size(2).sharedMemoryDirectory(base)
        .sharedMemoryThreshold(PoolConfig.MIN_SHARED_MEMORY_THRESHOLD).environment(NoLeaks.OWNER_VARIABLE, args[1]).build());
    Path directory = SharedMemoryTest.poolDirectory(base);
    NdArray result = (NdArray) pool.execute("numpy_ramp", Map.of("n", 1 << 17, "dtype", "float64"));
    CompletableFuture<Object> held = pool.executeAsync(Call.of("hold").withArg("value", SharedMemoryTest.ramp(1 << 17))
        .withArg("seconds", 120));
    CompletableFuture<Object> leaving = pool.executeAsync(Call.of("leave_shared_file").withArg("size", 1 << 20)
        .withArg("seconds", 120));
    // Ready once the first worker has unlinked the JVM's file of its argument and the second has written its own.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    List<Path> files = SharedMemoryTest.list(directory);
    while (!(files.size() == 1 && files.getFirst().getFileName().toString().startsWith("w"))) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the workers did not get ready in " + directory + ": " + files);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
      files = SharedMemoryTest.list(directory);
    }
    System.out.println("ready " + directory + " "
        + pool.workerPids().stream().map(String::valueOf).collect(Collectors.joining(" ")));
    System.out.flush();
    System.in.read(); // until killed: the testing JVM never writes
    Reference.reachabilityFence(result);
    Reference.reachabilityFence(held);
    Reference.reachabilityFence(leaving);
    pool.close();
  }
}

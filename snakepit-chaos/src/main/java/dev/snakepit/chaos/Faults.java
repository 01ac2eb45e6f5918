package dev.snakepit.chaos;

import dev.snakepit.Snakepit;
import dev.snakepit.internal.PoolAccess;
import dev.snakepit.internal.process.ProcStat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * Fault injectors for a running pool: kill, freeze and thaw workers, recycle one on demand, break the
 * pool's supervisor. Every method acts at once and returns; what the pool does about it is for the
 * test to observe. To kill the whole JVM, see {@link JvmCrashHarness}.
 *
 * <p>Freezing uses SIGSTOP and SIGCONT through {@code kill(1)}; a frozen worker misses its heartbeats and
 * the pool replaces it once {@link dev.snakepit.PoolConfig#heartbeatTimeout()} passes. Always thaw what
 * you freeze (a worker replaced meanwhile is killed by the pool; thawing it is harmless).
 */
public final class Faults {
  private Faults() {}

  /** SIGKILLs one of the pool's workers, chosen by {@code random}; empty when the pool has none. */
  public static OptionalLong killRandomWorker(Snakepit pool, RandomGenerator random) {
    OptionalLong victim = randomWorker(pool, random);
    victim.ifPresent(Faults::kill);
    return victim;
  }

  /** SIGKILLs one process (not its group: the pool is to find and clean up what it leaves). */
  public static void kill(long pid) {
    ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
  }

  /** Stops one of the pool's workers with SIGSTOP; empty when the pool has none. Thaw it with {@link #thaw}. */
  public static OptionalLong freezeRandomWorker(Snakepit pool, RandomGenerator random) {
    OptionalLong victim = randomWorker(pool, random);
    victim.ifPresent(Faults::freeze);
    return victim;
  }

  /** Stops a process with SIGSTOP. */
  public static void freeze(long pid) {
    signal(pid, "STOP");
  }

  /** Lets a stopped process go on, with SIGCONT. */
  public static void thaw(long pid) {
    signal(pid, "CONT");
  }

  /**
   * Recycles one of the pool's ready workers, as a recycling threshold would (its replacement starts
   * first; no call fails). Returns its pid, or empty when no worker was ready.
   */
  public static OptionalLong recycleRandomWorker(Snakepit pool, RandomGenerator random) {
    OptionalLong victim = randomWorker(pool, random);
    if (victim.isPresent() && PoolAccess.core(pool).recycle(victim.getAsLong())) {
      return victim;
    }
    return OptionalLong.empty();
  }

  /**
   * Throws {@code error} inside the pool's control loop, as a bug there would. The pool cannot trust
   * its own state after that: it closes, kills every worker and what they started, and refuses calls
   * with {@link dev.snakepit.ErrorKind#POOL_CLOSED}.
   */
  public static void failSupervisor(Snakepit pool, RuntimeException error) {
    PoolAccess.core(pool).injectSupervisorFailure(Objects.requireNonNull(error, "error"));
  }

  /** Alive and not a zombie: a zombie has ended, only its exit status waits to be collected. */
  static boolean running(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) && !ProcStat.isZombie(pid);
  }

  private static OptionalLong randomWorker(Snakepit pool, RandomGenerator random) {
    List<Long> pids = pool.workerPids();
    return pids.isEmpty() ? OptionalLong.empty() : OptionalLong.of(pids.get(random.nextInt(pids.size())));
  }

  /** Sends the signal and waits until it is sent, so that a freeze and the thaw after it never swap places. */
  private static void signal(long pid, String name) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
      if (!kill.waitFor(10, TimeUnit.SECONDS)) {
        kill.destroyForcibly();
        throw new IllegalStateException("kill -" + name + " " + pid + " did not finish within 10 s");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot send SIG" + name + " to " + pid + ": kill(1) cannot be run", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while sending SIG" + name + " to " + pid, e);
    }
  }
}

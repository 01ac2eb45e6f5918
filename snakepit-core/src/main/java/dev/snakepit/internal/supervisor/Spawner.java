package dev.snakepit.internal.supervisor;

import dev.snakepit.internal.RecyclePolicy;
import dev.snakepit.internal.dispatch.Dispatcher;
import java.io.IOException;
import java.util.function.LongSupplier;

/**
 * How the supervisor gets a worker process: the one seam between the control loop and the operating
 * system. {@link WorkerLauncher} forks Python; the supervisor's unit tests hand out processes they
 * drive themselves, so the loop's decisions can be tested on fake time without a process.
 */
interface Spawner {
  /**
   * Starts worker {@code id} and the threads that read its channels, which report to
   * {@code wiring.reports()}. Called on the control loop only (a worker must be forked from it).
   */
  WorkerProcess spawn(String id, Wiring wiring) throws IOException;

  /** Ends what the spawner keeps besides its workers (a preloading pool's template); after every worker is dead. */
  default void close() throws InterruptedException {}

  /**
   * What a new worker is connected to: the policy that says when it is due for recycling, the
   * dispatcher its replies go to, where its own pid is learnt, and what its channels report.
   */
  record Wiring(RecyclePolicy recycling, Dispatcher dispatcher, LongSupplier knownPid, WorkerProcess.Reports reports) {}
}

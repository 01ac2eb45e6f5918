package dev.snakepit.internal.supervisor;

import dev.snakepit.internal.control.ControlChannel;
import dev.snakepit.internal.dispatch.WorkerConnection;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The operating-system side of one worker, as the supervisor sees it: the keeper process the pool
 * started, the worker it forked, their output, and the ways to end them. {@link Worker} holds the
 * supervisor's bookkeeping about the same worker; this is what it acts on.
 */
interface WorkerProcess {
  /** Everything a worker's channels report: its data plane's and its control plane's events. */
  interface Reports extends WorkerConnection.Listener, ControlChannel.Listener {}

  /** The keeper's pid: the process the pool started. */
  long keeperPid();

  /** The keeper's oldest child running the keeper's command, which is the worker; 0 while there is none. */
  long forkedChild();

  /**
   * Completes with the keeper's exit value once it has exited (the keeper exits with the worker's
   * status), on a thread of the pool's own: what depends on it never waits for a shared executor.
   */
  CompletableFuture<Integer> exited();

  /** Completes once the worker's stderr and control plane have been read to their end. */
  CompletableFuture<Void> outputEnded();

  /**
   * What ended the worker when neither it nor the pool did (the template it was forked from exited),
   * in a few words; null otherwise.
   */
  default String endedBy() {
    return null;
  }

  /** The last lines the worker wrote to stderr. */
  String stderrTail();

  /**
   * Asks the worker ({@code pid}) to write its threads' Python stacks to stderr; says whether it was
   * asked, which it is not when it is stopped and could not answer.
   */
  boolean dumpStacks(long pid);

  /** Kills the keeper and the whole process group of the worker {@code pid}. */
  void killTree(long pid);

  /** Kills what is left of the worker's process group, which may still hold its stderr open. */
  void killLeftovers(long pid);

  /** Closes the worker's stdin (its lifeline) and its sockets; the reading threads then end. */
  void closeChannels();

  /**
   * Forgets the keeper in the run registry (it is dead and must never be killed as a leftover), and
   * removes the files the worker left in the pool's shared memory.
   */
  void forget();

  /** The resident memory of the keeper's whole tree, in bytes. */
  long residentBytes();

  /** The threads reading the worker's channels and waiting for its exit, to join at close. */
  List<Thread> threads();
}

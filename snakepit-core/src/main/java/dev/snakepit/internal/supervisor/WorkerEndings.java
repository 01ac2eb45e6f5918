package dev.snakepit.internal.supervisor;

import dev.snakepit.ErrorKind;
import dev.snakepit.WorkerExit;
import dev.snakepit.internal.Ticker;
import dev.snakepit.internal.dispatch.Dispatcher;
import dev.snakepit.internal.protocol.FrameKind;
import dev.snakepit.internal.protocol.Messages;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a worker ends, on the control loop: stopped on purpose (SHUTDOWN, after the call it runs),
 * killed (after writing its Python stacks, when it misbehaved), and, once its exit is seen and its
 * output has drained, handed to the supervisor to be buried. Confined to the loop, like the workers'
 * states it moves on.
 */
final class WorkerEndings {
  private static final Logger LOG = LoggerFactory.getLogger(WorkerEndings.class);
  /**
   * How long a dead worker's stderr and stdout (control plane) may take to drain before its exit is
   * processed anyway. Both normally end the moment the process group is dead; the bound only covers
   * a process that holds them open and escaped the group kill.
   */
  private static final long OUTPUT_DRAIN_MILLIS = 1000;
  /** How long a worker killed for misbehaving gets to write its stacks first (Dispatcher.STACK_DUMP_LEAD too). */
  static final long STACK_DUMP_WAIT_MILLIS = 200;
  /** How long a worker whose data connection ended may take to be reported dead before it is killed. */
  private static final long CONNECTION_LOSS_GRACE_MILLIS = 1000;

  private final String pool;
  private final ControlLoop loop;
  private final Ticker ticker;
  private final Dispatcher dispatcher;
  private final Consumer<Worker> bury;
  private final Duration drainTimeout;

  /**
   * Endings whose dead workers go to {@code bury}, on the loop, once their output has drained, and
   * whose workers holding sessions are drained for at most {@code drainTimeout} before they stop.
   */
  WorkerEndings(String pool, ControlLoop loop, Ticker ticker, Dispatcher dispatcher, Consumer<Worker> bury,
      Duration drainTimeout) {
    this.pool = pool;
    this.loop = loop;
    this.ticker = ticker;
    this.dispatcher = dispatcher;
    this.bury = bury;
    this.drainTimeout = drainTimeout;
  }

  /**
   * Stops a ready worker on purpose, drain first: while it holds sessions it serves only their calls
   * and gets no new session, and it stops once the last one closes or after the drain timeout, when
   * the sessions still open are lost. A worker without sessions stops at once. {@code stopped} runs on
   * the loop when the worker has been asked to stop.
   */
  void stopAfterSessions(Worker worker, String reason, WorkerExit.PoolReason poolReason, Runnable stopped) {
    Runnable stop = () -> {
      if (worker.draining && worker.state() == WorkerState.READY) {
        worker.draining = false;
        stopGracefully(worker, reason, poolReason);
        stopped.run();
      }
    };
    worker.draining = worker.state() == WorkerState.READY && worker.slot != null && !drainTimeout.isZero()
        && dispatcher.sessions().drain(worker.slot, () -> loop.post(stop));
    if (!worker.draining) {
      stopGracefully(worker, reason, poolReason);
      stopped.run();
      return;
    }
    LOG.info("{} of pool '{}' is to stop ({}); it serves its sessions for at most {} first", worker, pool, reason, drainTimeout);
    loop.schedule(stop, drainTimeout);
  }

  /** Kills the worker as broken unless it is ready within {@code timeout}. */
  void expectReadyWithin(Worker worker, Duration timeout) {
    loop.schedule(() -> {
      if (worker.state() == WorkerState.STARTING) {
        killBroken(worker, "did not become ready within " + timeout.toMillis() + " ms", ErrorKind.TIMEOUT,
            WorkerExit.PoolReason.START_TIMEOUT);
      }
    }, timeout);
  }

  /** Kills a worker because the pool is closing; {@code reason} is its stop reason unless it has one already. */
  void killForShutdown(Worker worker, String reason) {
    markStopped(worker, reason, WorkerExit.PoolReason.SHUTDOWN);
    kill(worker);
  }

  /** Records that the pool ends the worker on purpose, and why, unless a reason is recorded already. */
  private static void markStopped(Worker worker, String reason, WorkerExit.PoolReason poolReason) {
    if (worker.stopReason == null) {
      worker.stopReason = reason;
      worker.poolReason = poolReason;
    }
  }

  /**
   * The worker's data connection ended after the handshake. Almost always its process is dying: the
   * kernel closes a process's sockets before its exit is reported, and that exit (code, signal,
   * stderr) is what its call's error and its crash event must tell. So the worker only stops getting
   * calls now, and is killed as broken only if it is still alive after {@link #CONNECTION_LOSS_GRACE_MILLIS}.
   */
  void connectionLost(Worker worker, String reason) {
    if (worker.slot != null) {
      dispatcher.retire(worker.slot);
    }
    loop.schedule(() -> killBroken(worker, reason, ErrorKind.WORKER_CRASHED, WorkerExit.PoolReason.CONNECTION_LOST),
        Duration.ofMillis(CONNECTION_LOSS_GRACE_MILLIS));
  }

  /** Kills a worker that broke the protocol, hung or overran its cancel; it writes its stacks first. */
  void killBroken(Worker worker, String reason, ErrorKind kind, WorkerExit.PoolReason poolReason) {
    // A worker stopping on purpose (a resize, a recycle) waits for its calls to end before it is asked
    // to exit: if one of them overran its cancel, it would wait for ever. Only a worker killed already
    // (broken, with its failure recorded) or dead is left alone.
    if (worker.state() == WorkerState.DEAD || worker.state() == WorkerState.STOPPING && worker.failure != null) {
      return;
    }
    if (worker.failure == null) {
      worker.failure = reason;
      worker.failureKind = kind;
      worker.poolReason = poolReason;
    }
    LOG.warn("{} of pool '{}' {}; killing it", worker, pool, reason);
    if (worker.slot != null) {
      dispatcher.retire(worker.slot);
    }
    if (worker.state() != WorkerState.STOPPING) {
      worker.moveTo(WorkerState.STOPPING);
    }
    // First the worker writes every thread's Python stack to stderr (faulthandler, which works
    // even when the GIL is held), so that the error and the log show where it hung; unless it
    // wrote them already, ahead of a kill that was foreseen, or it is stopped and cannot.
    long sinceDump = ticker.nanoTime() - worker.stacksDumpedNanos;
    boolean dumped = worker.stacksDumpedNanos != 0 && sinceDump < TimeUnit.MILLISECONDS.toNanos(5 * STACK_DUMP_WAIT_MILLIS);
    if (!dumped && dumpStacks(worker)) {
      loop.schedule(() -> kill(worker), Duration.ofMillis(STACK_DUMP_WAIT_MILLIS));
    } else {
      kill(worker);
    }
  }

  /** Asks the worker for its Python stacks, unless it is stopped and could not write them; says whether it asked. */
  boolean dumpStacks(Worker worker) {
    if (!worker.process().dumpStacks(worker.pid())) {
      return false;
    }
    worker.stacksDumpedNanos = ticker.nanoTime();
    return true;
  }

  /**
   * Stops a worker on purpose: one still starting is killed; a ready one gets no new call, and is sent
   * SHUTDOWN once it has answered the calls it was given, then stops. Sent any earlier, SHUTDOWN could
   * overtake the frame of a call a caller took the worker for just before, which the worker would never
   * read.
   */
  void stopGracefully(Worker worker, String reason, WorkerExit.PoolReason poolReason) {
    markStopped(worker, reason, poolReason);
    if (worker.state() == WorkerState.READY) {
      worker.moveTo(WorkerState.STOPPING);
      dispatcher.retire(worker.slot, () -> loop.post(() -> askToShutDown(worker, worker.stopReason)));
    } else if (worker.state() == WorkerState.STARTING) {
      kill(worker);
    }
  }

  private void askToShutDown(Worker worker, String reason) {
    if (worker.state() != WorkerState.STOPPING) {
      return; // killed and dead meanwhile
    }
    try {
      worker.slot.data().write(FrameKind.SHUTDOWN, 0, Messages.shutdown(reason));
    } catch (Exception e) {
      // Cannot ask: kill instead. The worker's stdin stays open until then, because closing it would
      // make the worker exit without teardown().
      kill(worker);
    }
  }

  /** Kills the worker's whole process group. Its exit, reported by the JDK, finishes the job. */
  void kill(Worker worker) {
    if (worker.state() == WorkerState.DEAD) {
      return;
    }
    if (worker.state() != WorkerState.STOPPING) {
      worker.moveTo(WorkerState.STOPPING);
    }
    if (worker.slot != null) {
      dispatcher.retire(worker.slot);
    }
    worker.process().killTree(worker.pid());
    worker.process().closeChannels();
  }

  /**
   * The worker's keeper has exited: the worker gets no more calls, what is left of its group is
   * killed, and it is buried once its output has drained, or after {@link #OUTPUT_DRAIN_MILLIS}.
   */
  void exited(Worker worker) {
    if (worker.state() == WorkerState.DEAD) {
      return;
    }
    if (worker.slot != null) {
      dispatcher.retire(worker.slot);
    }
    // The keeper killed the worker's tree before it exited; whatever is left of the worker's group (the
    // keeper itself was killed, say) still holds its stderr open: kill it so the pipe drains.
    worker.process().killLeftovers(worker.pid());
    // A FATAL frame on the control plane says why a worker failed to start, so its exit is
    // processed only once that channel has been read to its end, as well as stderr.
    worker.process().outputEnded().thenRun(() -> loop.post(() -> bury.accept(worker)));
    loop.schedule(() -> bury.accept(worker), Duration.ofMillis(OUTPUT_DRAIN_MILLIS));
  }
}

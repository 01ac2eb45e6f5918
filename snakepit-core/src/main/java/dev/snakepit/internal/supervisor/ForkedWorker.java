package dev.snakepit.internal.supervisor;

import dev.snakepit.internal.control.ControlChannel;
import dev.snakepit.internal.control.StderrPump;
import dev.snakepit.internal.control.WorkerLogs;
import dev.snakepit.internal.dispatch.WorkerConnection;
import dev.snakepit.internal.process.ProcStat;
import dev.snakepit.internal.process.ProcessTree;
import dev.snakepit.internal.process.RunRegistry;
import dev.snakepit.internal.protocol.SharedMemory;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A worker process the pool forked: its keeper (python/snakepit/keeper.py), which forks the worker,
 * owns the worker's whole process tree and exits with the worker's status; the three threads that
 * read the worker's data plane, control plane and stderr; and the thread that waits for the keeper's
 * exit.
 *
 * <p>The exit is waited for on a thread of the worker's own, never through {@code Process.onExit()}:
 * the JDK completes that future on the common {@code ForkJoinPool}, whose threads belong to the
 * application. One task of the application's blocked in a wait the common pool does not make up for
 * (a thread's {@code join()}, a lock, blocking I/O) is enough on two cores, where the common pool has
 * one thread: the pool would then not learn that a worker died until that task ended, neither bury
 * nor replace it, leave the call it ran waiting past its timeout, and make {@code close()} wait out
 * the shutdown grace and its kill, and return with the worker still in its table.
 */
final class ForkedWorker implements WorkerProcess {
  /** The signal on which a worker writes its threads' Python stacks to stderr (snakepit/guard.py). */
  private static final String STACK_DUMP_SIGNAL = "USR2";

  private final Process keeper;
  private final StderrPump stderr;
  private final ControlChannel control;
  private final WorkerConnection data;
  /** The keeper's exit value, once it has exited; completed by the worker's exit thread. */
  private final CompletableFuture<Integer> exited = new CompletableFuture<>();
  private final List<Thread> threads = new CopyOnWriteArrayList<>();
  private final String id;
  private final SharedMemory sharedMemory;

  /** Wraps the started keeper; call {@link #start} next. */
  ForkedWorker(String pool, String id, Process keeper, WorkerConnection.Endpoint endpoint, int maxFrameBytes,
      SharedMemory sharedMemory, Spawner.Wiring wiring) {
    this.keeper = keeper;
    this.id = id;
    this.sharedMemory = sharedMemory;
    WorkerLogs logs = new WorkerLogs(pool, id);
    this.stderr = new StderrPump(keeper.getErrorStream(), logs);
    this.control = new ControlChannel(keeper.getInputStream(), keeper.getOutputStream(), maxFrameBytes, logs, wiring.reports());
    this.data = new WorkerConnection(pool, id, endpoint, new WorkerConnection.Settings(maxFrameBytes, wiring.recycling(), sharedMemory),
        control, wiring.knownPid(), wiring.dispatcher(), wiring.reports());
  }

  /** Starts the threads that read the worker's three channels, and the one that waits for its exit. */
  void start(String pool, String id) {
    String prefix = "snakepit-" + pool + "-" + id + "-";
    threads.add(Thread.ofPlatform().daemon().name(prefix + "data").start(data));
    threads.add(Thread.ofPlatform().daemon().name(prefix + "control").start(control));
    threads.add(Thread.ofPlatform().daemon().name(prefix + "stderr").start(stderr));
    threads.add(Thread.ofPlatform().daemon().name(prefix + "exit").start(this::awaitExit));
  }

  /**
   * Completes {@link #exited} when the keeper exits; the JDK's process reaper, which collects the exit
   * status, wakes this thread directly. Whatever waits on the future runs here, on no shared executor.
   */
  private void awaitExit() {
    exited.complete(ProcessTree.awaitExit(keeper));
  }

  @Override
  public long keeperPid() {
    return keeper.pid();
  }

  /** The keeper forks the worker first, and adopts orphans only later: its oldest child with its command line. */
  @Override
  public long forkedChild() {
    return oldestChild(keeper.toHandle());
  }

  /** The oldest child of {@code keeper} that runs the keeper's command: the worker it forked; 0 for none. */
  static long oldestChild(ProcessHandle keeper) {
    Optional<String> command = keeper.info().commandLine();
    return keeper.children()
        .filter(h -> command.isEmpty() || h.info().commandLine().equals(command))
        .min(Comparator.comparing(h -> h.info().startInstant().orElse(Instant.MAX)))
        .map(ProcessHandle::pid).orElse(0L);
  }

  @Override
  public CompletableFuture<Integer> exited() {
    return exited;
  }

  @Override
  public CompletableFuture<Void> outputEnded() {
    return CompletableFuture.allOf(stderr.ended(), control.ended());
  }

  @Override
  public String stderrTail() {
    return stderr.tail();
  }

  @Override
  public boolean dumpStacks(long pid) {
    return askForStacks(pid);
  }

  /** Signals worker {@code pid} to write its threads' Python stacks to stderr, unless it is stopped. */
  static boolean askForStacks(long pid) {
    return !ProcStat.isStopped(pid) && ProcessTree.signal(pid, STACK_DUMP_SIGNAL);
  }

  @Override
  public void killTree(long pid) {
    ProcessTree.kill(keeper.toHandle(), pid);
  }

  @Override
  public void killLeftovers(long pid) {
    ProcessTree.killGroup(pid);
  }

  @Override
  public void closeChannels() {
    control.closeLifeline();
    data.close();
  }

  /** Forgets the keeper, and removes the files the worker left in the pool's shared memory (it is buried). */
  @Override
  public void forget() {
    RunRegistry.get().remove(keeper.pid());
    sharedMemory.removeFilesOf(id);
  }

  @Override
  public long residentBytes() {
    return ProcStat.treeResidentBytes(keeper.pid());
  }

  @Override
  public List<Thread> threads() {
    return threads;
  }
}

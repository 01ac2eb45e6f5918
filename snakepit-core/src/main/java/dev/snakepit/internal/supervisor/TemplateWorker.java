package dev.snakepit.internal.supervisor;

import dev.snakepit.internal.control.AcceptedPlane;
import dev.snakepit.internal.control.ControlChannel;
import dev.snakepit.internal.control.StderrPump;
import dev.snakepit.internal.control.WorkerLogs;
import dev.snakepit.internal.dispatch.WorkerConnection;
import dev.snakepit.internal.process.ProcStat;
import dev.snakepit.internal.process.ProcessTree;
import dev.snakepit.internal.process.RunRegistry;
import dev.snakepit.internal.protocol.SharedMemory;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A worker forked from the pool's {@link Template} (docs/adr/0007): the same keeper and worker as a
 * {@link ForkedWorker}'s, but the template's children, not the JVM's. Its control plane and stderr
 * are Unix sockets the pool listens on ({@link AcceptedPlane}), its keeper's pid is what the template
 * reports in FORKED, and its exit is the template's REAPED, or the template's own exit, which ends
 * every worker it forked. The data plane and everything above it are a {@link ForkedWorker}'s.
 */
final class TemplateWorker implements WorkerProcess {
  /** The exit value of a worker that the pool killed, or that died with its template: SIGKILL's. */
  private static final int KILLED = 128 + 9;
  /** How long the template may take to answer a FORK before a kill of its worker finds it wedged. */
  static final Duration FORK_ANSWER_LIMIT = Duration.ofSeconds(5);
  /** The runtime's exit status for a worker that could not start (python/snakepit/exits.py). */
  private static final int START_FAILED = 3;

  private final String id;
  private final Template template;
  private final ControlLoop loop;
  private final AcceptedPlane controlPlane;
  private final AcceptedPlane stderrPlane;
  private final StderrPump stderr;
  private final ControlChannel control;
  private final WorkerConnection data;
  private final SharedMemory sharedMemory;
  private final ControlChannel.Listener reports;
  private final CompletableFuture<Integer> exited = new CompletableFuture<>();
  private final List<Thread> threads = new CopyOnWriteArrayList<>();
  /** The keeper's pid, from FORKED; 0 before. */
  private volatile long keeper;
  /** Set once the pool killed the worker: a keeper reported after it is killed at once. */
  private volatile boolean killed;
  /** What the template said about the worker's end, if it ended without its own word; null otherwise. */
  private volatile String ending;

  TemplateWorker(String pool, String id, Template template, ControlLoop loop, AcceptedPlane controlPlane,
      AcceptedPlane stderrPlane, WorkerConnection.Endpoint endpoint, int maxFrameBytes, SharedMemory sharedMemory,
      Spawner.Wiring wiring) {
    this.id = id;
    this.template = template;
    this.loop = loop;
    this.controlPlane = controlPlane;
    this.stderrPlane = stderrPlane;
    this.sharedMemory = sharedMemory;
    this.reports = wiring.reports();
    WorkerLogs logs = new WorkerLogs(pool, id);
    this.stderr = new StderrPump(stderrPlane.input(), logs);
    this.control = new ControlChannel(controlPlane.input(), controlPlane.output(), maxFrameBytes, logs, wiring.reports());
    this.data = new WorkerConnection(pool, id, endpoint, new WorkerConnection.Settings(maxFrameBytes, wiring.recycling(), sharedMemory),
        control, wiring.knownPid(), wiring.dispatcher(), wiring.reports());
  }

  /** Starts the threads that read the worker's three planes; each first waits for the worker to connect. */
  void start(String pool) {
    String prefix = "snakepit-" + pool + "-" + id + "-";
    threads.add(Thread.ofPlatform().daemon().name(prefix + "data").start(data));
    threads.add(Thread.ofPlatform().daemon().name(prefix + "control").start(control));
    threads.add(Thread.ofPlatform().daemon().name(prefix + "stderr").start(stderr));
  }

  String id() {
    return id;
  }

  /** The template forked the worker's keeper, {@code pid}. */
  void forked(long pid) {
    RunRegistry.get().add(pid);
    keeper = pid;
    if (killed) {
      killTree(pid); // killed while the FORK was on its way
    }
  }

  /** The template could not fork the worker. */
  void forkFailed(String why) {
    end(why, START_FAILED);
  }

  /** The template could not start; the worker fails its start with the template's FATAL {@code body}. */
  void templateFatal(Map<String, Object> body) {
    reports.fatal(body);
  }

  /** The template reaped the worker's keeper, which exited with {@code status}. */
  void reaped(int status) {
    stopListening();
    exited.complete(status);
  }

  /**
   * The template exited ({@code why} says how, with its exit value {@code status}): the worker's keeper,
   * whose parent-death signal names the template, is dying; what is left of its tree is killed.
   */
  void templateGone(String why, int status) {
    long k = keeper;
    if (k > 0) {
      killKeeperTree(k, k);
    }
    end(why, k > 0 ? KILLED : status);
  }

  private void end(String why, int status) {
    ending = why;
    stopListening();
    exited.complete(status);
  }

  private void stopListening() {
    controlPlane.stopListening();
    stderrPlane.stopListening();
  }

  @Override
  public long keeperPid() {
    return keeper;
  }

  @Override
  public long forkedChild() {
    long k = keeper;
    if (k == 0 || exited.isDone()) {
      return 0;
    }
    return ProcessHandle.of(k).map(ForkedWorker::oldestChild).orElse(0L);
  }

  @Override
  public CompletableFuture<Integer> exited() {
    return exited;
  }

  @Override
  public CompletableFuture<Void> outputEnded() {
    return CompletableFuture.allOf(stderr.ended(), control.ended());
  }

  /** The first line of what the template said about the worker's end, if it was not the worker's own. */
  @Override
  public String endedBy() {
    String why = ending;
    return why == null ? null : why.lines().findFirst().orElse(why);
  }

  @Override
  public String stderrTail() {
    String tail = stderr.tail();
    String why = ending;
    if (why == null) {
      return tail;
    }
    return tail.isEmpty() ? why : tail + "\n" + why;
  }

  @Override
  public boolean dumpStacks(long pid) {
    return ForkedWorker.askForStacks(pid);
  }

  /**
   * Kills the keeper and the worker's group. Before the template said the keeper's pid: a FORK still
   * waiting for the template is withdrawn, and the worker ends at once; one sent is killed when the
   * template reports it, and a template that has not reported it within {@link #FORK_ANSWER_LIMIT} is
   * killed, which ends the worker.
   */
  @Override
  public void killTree(long pid) {
    killed = true;
    long k = keeper;
    if (k == 0) {
      if (template.withdraw(this)) {
        end("stopped before the template forked it", KILLED);
      } else {
        loop.schedule(() -> template.killIfUnanswered(this, FORK_ANSWER_LIMIT), FORK_ANSWER_LIMIT);
      }
      return;
    }
    killKeeperTree(k, pid);
  }

  /**
   * Kills keeper {@code k}'s tree and the groups of the keeper and of the worker {@code pid}; once the
   * keeper is reaped its pid may be another process's, so only the groups are killed then.
   */
  private void killKeeperTree(long k, long pid) {
    Optional<ProcessHandle> handle = exited.isDone() ? Optional.empty() : ProcessHandle.of(k);
    if (handle.isPresent()) {
      ProcessTree.kill(handle.get(), pid); // the groups too
      return;
    }
    ProcessTree.killGroup(k);
    if (pid != k) {
      ProcessTree.killGroup(pid);
    }
  }

  @Override
  public void killLeftovers(long pid) {
    ProcessTree.killGroup(pid);
  }

  @Override
  public void closeChannels() {
    control.closeLifeline();
    data.close();
    stopListening();
  }

  @Override
  public void forget() {
    long k = keeper;
    if (k > 0) {
      RunRegistry.get().remove(k);
    }
    sharedMemory.removeFilesOf(id);
    controlPlane.close();
    stderrPlane.close();
  }

  @Override
  public long residentBytes() {
    long k = keeper;
    return k > 0 ? ProcStat.treeResidentBytes(k) : 0;
  }

  @Override
  public List<Thread> threads() {
    return threads;
  }
}

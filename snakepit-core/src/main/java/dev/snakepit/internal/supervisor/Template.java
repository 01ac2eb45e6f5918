package dev.snakepit.internal.supervisor;

import dev.snakepit.internal.control.ControlChannel;
import dev.snakepit.internal.control.StderrPump;
import dev.snakepit.internal.control.WorkerLogs;
import dev.snakepit.internal.protocol.Frame;
import dev.snakepit.internal.protocol.FrameKind;
import dev.snakepit.internal.protocol.FrameReader;
import dev.snakepit.internal.protocol.FrameTooLargeException;
import dev.snakepit.internal.protocol.FrameWriter;
import dev.snakepit.internal.protocol.Messages;
import dev.snakepit.internal.protocol.ValueDecoder;
import dev.snakepit.internal.protocol.ValueDecodingException;
import dev.snakepit.internal.process.ExitStatus;
import dev.snakepit.internal.process.ProcStat;
import dev.snakepit.internal.process.ProcessTree;
import dev.snakepit.internal.process.RunRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The template of one generation of a preloading pool (docs/adr/0007; python/snakepit/template.py):
 * the process that imported the adapter and ran its {@code preload()}, from which every worker of the
 * generation is forked. It is the JVM's child as a keeper is (the lifeline on its stdin, its
 * parent-death signal tied to the control loop's thread, recorded in the run registry) and speaks
 * the frames of docs/protocol.md, section 4.16 on its stdin and stdout.
 *
 * <p>FORK requests made before the template is ready wait for TEMPLATE_READY. A FATAL goes to every
 * worker waiting for it, so the pool's start fails with the template's own reason. Its FORKED and
 * REAPED reports start and end the workers' {@link TemplateWorker}s; its exit ends every worker it
 * has not reported reaped (their keepers, whose parent-death signal names it, are dying).
 *
 * <p>Thread-safe. One thread reads the template's frames and, once they end, waits for its exit; one
 * drains its stderr.
 */
final class Template {
  private static final Logger LOG = LoggerFactory.getLogger(Template.class);
  private static final ValueDecoder DECODER = new ValueDecoder();
  /** How long {@link #close} waits for the template to end on its own before it kills its tree. */
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

  private final String pool;
  private final Process process;
  private final FrameWriter writer;
  private final FrameReader reader;
  private final StderrPump stderr;
  private final List<Thread> threads = new CopyOnWriteArrayList<>();
  /** The template's exit value, completed by its reading thread once its output has ended. */
  private final CompletableFuture<Integer> exited = new CompletableFuture<>();

  /** Guarded by this: TEMPLATE_READY came. */
  private boolean ready;
  /** Guarded by this: it sent FATAL; the workers waiting for it fail their start with its reason. */
  private boolean failed;
  /** Guarded by this: the template has exited (or is about to: its output ended). */
  private boolean gone;
  /** Guarded by this: FORK requests waiting for TEMPLATE_READY, in order. */
  private final List<Runnable> waiting = new ArrayList<>();
  /** Guarded by this: workers forked or to be forked, not yet reaped, by id. */
  private final Map<String, TemplateWorker> byId = new LinkedHashMap<>();
  /** Guarded by this: the same workers once the template said their keeper's pid. */
  private final Map<Long, TemplateWorker> byKeeper = new HashMap<>();

  private Template(String pool, Process process, int maxFrameBytes) {
    this.pool = pool;
    this.process = process;
    this.writer = FrameWriter.toStream(process.getOutputStream(), maxFrameBytes);
    this.reader = new FrameReader(process.getInputStream(), maxFrameBytes);
    this.stderr = new StderrPump(process.getErrorStream(), new WorkerLogs(pool, "template"));
  }

  /**
   * Starts the template {@code builder} describes, records it in the run registry, and starts the
   * threads that read it. Call on the control loop only: the template's parent-death signal is tied
   * to the thread that forks it.
   */
  static Template start(String pool, ProcessBuilder builder, int maxFrameBytes) throws IOException {
    Process process = builder.start();
    RunRegistry.get().add(process.pid());
    Template template = new Template(pool, process, maxFrameBytes);
    String prefix = "snakepit-" + pool + "-template-";
    template.threads.add(Thread.ofPlatform().daemon().name(prefix + "stderr").start(template.stderr));
    template.threads.add(Thread.ofPlatform().daemon().name(prefix + "control").start(template::read));
    LOG.info("pool '{}': started the template (pid {}) that preloads the adapter and forks the workers", pool, process.pid());
    return template;
  }

  /** The template's pid. */
  long pid() {
    return process.pid();
  }

  /** Whether the template is gone, so that the next worker needs a new one. */
  synchronized boolean gone() {
    return gone;
  }

  /**
   * Forks {@code worker} with its own {@code environment} once the template is ready; a template that is
   * gone ends the worker at once.
   */
  void fork(TemplateWorker worker, Map<String, String> environment) {
    Runnable send = () -> send(worker, environment);
    synchronized (this) {
      if (!gone) {
        byId.put(worker.id(), worker);
        if (ready) {
          send.run();
        } else {
          waiting.add(send);
        }
        return;
      }
    }
    worker.templateGone(describeExit(), exitValue());
  }

  /**
   * Withdraws the FORK of {@code worker} if it is still waiting for the template to be ready; says
   * whether it was, in which case the worker will never be forked.
   */
  synchronized boolean withdraw(TemplateWorker worker) {
    // Its waiting request stays, and is skipped when sent: its worker is no longer in byId.
    return !ready && !gone && byId.remove(worker.id()) != null;
  }

  /**
   * Kills the template if it has not answered the FORK of {@code worker}, which the pool has since
   * killed: a template that does not answer within that long is stopped or wedged, and can neither fork
   * nor report its workers' ends. Its death ends its workers, and the next one needed starts a new
   * template.
   */
  void killIfUnanswered(TemplateWorker worker, Duration waited) {
    synchronized (this) {
      if (!ready || byId.get(worker.id()) != worker || byKeeper.containsValue(worker)) {
        return;
      }
    }
    LOG.warn("pool '{}': the template (pid {}) has not answered the FORK of worker {} within {} ms; killing it", pool,
        process.pid(), worker.id(), waited.toMillis());
    killTree();
  }

  /**
   * Kills the template if it is stopped (SIGSTOP, a debugger): it would neither fork nor reap, and the
   * ends of its workers would go unreported. Runs on the control loop at each heartbeat interval.
   */
  void killIfStopped() {
    if (!gone() && ProcStat.isStopped(process.pid())) {
      LOG.warn("pool '{}': the template (pid {}) is stopped, so it can neither fork nor report its workers' ends;"
          + " killing it", pool, process.pid());
      killTree();
    }
  }

  private void send(TemplateWorker worker, Map<String, String> environment) {
    synchronized (this) {
      if (byId.get(worker.id()) != worker) {
        return; // withdrawn
      }
    }
    try {
      writer.write(FrameKind.FORK, 0, Messages.fork(worker.id(), environment));
    } catch (IOException | FrameTooLargeException e) {
      // The template is gone or going: its exit ends the worker, which is in byId.
      LOG.debug("pool '{}': FORK of worker {} not sent: {}", pool, worker.id(), e.toString());
    }
  }

  /** Reads the template's frames until its stdout ends, then waits for its exit and ends the workers it leaves. */
  private void read() {
    try {
      for (Frame frame; (frame = reader.read()) != null; ) {
        handle(frame);
      }
    } catch (IOException e) {
      LOG.warn("pool '{}': the template (pid {}) broke the protocol: {}; killing it", pool, process.pid(), e.getMessage());
      killTree();
    } finally {
      ended();
    }
  }

  private void handle(Frame frame) {
    Map<String, Object> body;
    try {
      body = ControlChannel.asMap(DECODER.decode(frame));
    } catch (ValueDecodingException e) {
      LOG.warn("pool '{}': the template sent an unreadable {} frame: {}", pool, frame.kind(), e.getMessage());
      return;
    }
    switch (frame.kind()) {
      case TEMPLATE_READY -> ready();
      case FATAL -> fatal(body);
      case FORKED -> forked(body);
      case REAPED -> reaped(body);
      default -> LOG.warn("pool '{}': the template sent a {} frame, which templates do not send; ignored", pool, frame.kind());
    }
  }

  private void ready() {
    List<Runnable> requests;
    synchronized (this) {
      ready = true;
      requests = new ArrayList<>(waiting);
      waiting.clear();
    }
    LOG.info("pool '{}': the template (pid {}) is ready to fork workers", pool, process.pid());
    requests.forEach(Runnable::run);
  }

  /** The template could not start: each worker waiting for it fails its start with the template's reason. */
  private void fatal(Map<String, Object> body) {
    Map<String, Object> theirs = new LinkedHashMap<>(body);
    theirs.remove("pid"); // the template's, not a worker's: nothing of the worker's may be killed by it
    List<TemplateWorker> workers;
    synchronized (this) {
      failed = true;
      workers = new ArrayList<>(byId.values());
    }
    workers.forEach(w -> w.templateFatal(theirs));
  }

  private void forked(Map<String, Object> body) {
    String id = String.valueOf(body.get("worker_id"));
    long keeper = Messages.pid(body);
    TemplateWorker worker;
    synchronized (this) {
      worker = keeper > 0 ? byId.get(id) : byId.remove(id);
      if (worker != null && keeper > 0) {
        byKeeper.put(keeper, worker);
      }
    }
    if (worker == null) {
      LOG.warn("pool '{}': the template reported forking worker {}, which the pool did not ask for", pool, id);
    } else if (keeper > 0) {
      worker.forked(keeper);
    } else {
      worker.forkFailed("the template (pid " + process.pid() + ") could not fork it: " + body.get("error"));
    }
  }

  private void reaped(Map<String, Object> body) {
    long keeper = Messages.pid(body);
    int status = body.get("status") instanceof Long s ? s.intValue() : -1;
    TemplateWorker worker;
    synchronized (this) {
      worker = byKeeper.remove(keeper);
      if (worker != null) {
        byId.remove(worker.id());
      }
    }
    if (worker != null) {
      worker.reaped(status);
    }
    // Else an orphan of a worker's tree, re-parented to the template (a subreaper), has ended.
  }

  /** The template's output has ended: it exits; every worker it has not reported reaped is ended. */
  private void ended() {
    int status = ProcessTree.awaitExit(process);
    exited.complete(status); // before gone: a fork() that finds it gone reports this status
    List<TemplateWorker> left;
    boolean startFailed;
    synchronized (this) {
      startFailed = failed;
      gone = true;
      left = new ArrayList<>(byId.values());
      byId.clear();
      byKeeper.clear();
      waiting.clear();
    }
    RunRegistry.get().remove(process.pid());
    if (!left.isEmpty() && !startFailed) { // a failed start is the pool's to report
      LOG.warn("pool '{}': {}; its {} worker(s) die with it", pool, describeExit().replace("its template", "the template"),
          left.size());
    }
    String why = describeExit();
    left.forEach(w -> w.templateGone(why, status));
  }

  /** Kills the template and what is left of its tree: its keepers, their workers, the orphans it adopted. */
  private void killTree() {
    ProcessTree.kill(process.toHandle(), process.pid());
  }

  /** The template's exit value, or -1 while it runs. */
  private int exitValue() {
    return exited.getNow(-1);
  }

  /** How the template ended, in a line, and its last lines of stderr after it. */
  private String describeExit() {
    String tail = stderr.tail();
    return "its template (pid " + process.pid() + ") ended, " + ExitStatus.of(process.pid(), exitValue(), "").describe()
        + (tail.isEmpty() ? "" : "\nthe template's last lines of stderr:\n" + tail);
  }

  /**
   * Ends the template: closes its lifeline (it kills what is left of its tree and exits) and kills it
   * if it has not exited within a few seconds; one that is not ready yet (importing, in
   * {@code preload()}), which watches no lifeline, is killed at once. Then waits for its threads. For
   * the pool's end, after its workers are dead.
   */
  void close() throws InterruptedException {
    boolean serving;
    synchronized (this) {
      serving = ready;
    }
    try {
      process.getOutputStream().close();
    } catch (IOException ignored) {
      // Closed already: the template is gone.
    }
    try {
      if (!serving) {
        killTree();
      }
      exited.get(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      LOG.warn("pool '{}': the template (pid {}) did not exit within {} ms of its lifeline's end; killing it", pool,
          process.pid(), CLOSE_WAIT.toMillis());
      killTree();
    }
    for (Thread t : threads) {
      t.join(CLOSE_WAIT);
    }
  }

  /** The threads reading the template. */
  List<Thread> threads() {
    return threads;
  }
}

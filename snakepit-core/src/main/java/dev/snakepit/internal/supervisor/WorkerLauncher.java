package dev.snakepit.internal.supervisor;

import dev.snakepit.PoolConfig;
import dev.snakepit.internal.control.AcceptedPlane;
import dev.snakepit.internal.dispatch.WorkerConnection;
import dev.snakepit.internal.protocol.Messages;
import dev.snakepit.internal.protocol.SharedMemory;
import dev.snakepit.internal.process.PythonInterpreter;
import dev.snakepit.internal.process.RunDirectory;
import dev.snakepit.internal.process.RunRegistry;
import dev.snakepit.internal.process.WorkerLimits;
import java.io.File;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Spawns worker processes. Always called on the pool's control loop, one long-lived platform thread:
 * Linux delivers a parent-death signal when the thread that forked a child ends, so workers must never
 * be forked from a short-lived or virtual thread.
 */
final class WorkerLauncher implements Spawner {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String GLIBC_TUNABLES = "GLIBC_TUNABLES";
  private static final String HUGE_PAGES = "glibc.malloc.hugetlb";
  /** The pool's shared-memory directory and threshold (docs/protocol.md, section 3.5); unset when it has none. */
  private static final String SHM_DIR = "SNAKEPIT_SHM_DIR";
  private static final String SHM_THRESHOLD = "SNAKEPIT_SHM_THRESHOLD";
  /** The pid a keeper's parent-death check expects: the JVM's, or the template's for a forked worker. */
  private static final String PARENT_PID = "SNAKEPIT_JVM_PID";
  /** Where a worker forked from the template connects its control plane and its stderr (docs/protocol.md, 4.16). */
  private static final String CONTROL_SOCKET = "SNAKEPIT_CONTROL_SOCKET";
  private static final String STDERR_SOCKET = "SNAKEPIT_STDERR_SOCKET";

  private final PoolConfig config;
  private final PythonInterpreter python;
  private final Path runtime;
  private final RunDirectory runDirectory;
  private final SharedMemory shared;
  private final WorkerLimits limits;
  private final ControlLoop loop;
  /** With preloading, the template workers are forked from now; written on the loop only, read at close. */
  private volatile Template template;
  /** Every template started, for their threads at close. */
  private final List<Template> templates = new CopyOnWriteArrayList<>();

  WorkerLauncher(PoolConfig config, PythonInterpreter python, Path runtime, RunDirectory runDirectory, SharedMemory shared,
      WorkerLimits limits, ControlLoop loop) {
    this.shared = shared;
    this.loop = loop;
    this.limits = limits;
    this.config = config;
    this.python = python;
    this.runtime = runtime;
    this.runDirectory = runDirectory;
  }

  /**
   * Listens on the worker's socket, then starts its keeper, or with preloading asks the template to
   * fork it (starting the template first if there is none), and starts the threads that read it.
   */
  @Override
  public WorkerProcess spawn(String id, Wiring wiring) throws IOException {
    // The parent-death signal is tied to the thread that forks: only the long-lived control loop may.
    loop.checkInLoop("worker " + id + " of pool '" + config.name() + "'");
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    String token = HexFormat.of().formatHex(secret);
    Path socket = runDirectory.socket(id);
    Files.deleteIfExists(socket);
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      server.bind(UnixDomainSocketAddress.of(socket), 1);
      Path connectTo = config.dataPlaneInterceptor().workerSocket(config.name(), id, socket);
      if (connectTo == null) {
        throw new IllegalStateException("the data-plane interceptor of pool '" + config.name() + "' returned no socket for worker " + id);
      }
      WorkerConnection.Endpoint endpoint = new WorkerConnection.Endpoint(server, socket, token);
      Map<String, String> own = workerVariables(id, connectTo, token);
      if (config.preload()) {
        return forkFromTemplate(id, endpoint, own, wiring);
      }
      ProcessBuilder builder = builder(List.of());
      builder.environment().putAll(own);
      Process process = builder.start();
      RunRegistry.get().add(process.pid());
      ForkedWorker worker = new ForkedWorker(config.name(), id, process, endpoint, config.maxFrameBytes(), shared, wiring);
      worker.start(config.name(), id);
      return worker;
    } catch (IOException | RuntimeException e) {
      server.close();
      Files.deleteIfExists(socket);
      throw e;
    }
  }

  /**
   * Has the template fork worker {@code id}, whose control plane and stderr are sockets listened on
   * here; starts a template if the generation has none, or if the last one is gone.
   */
  private WorkerProcess forkFromTemplate(String id, WorkerConnection.Endpoint endpoint, Map<String, String> own, Wiring wiring)
      throws IOException {
    Template current = template;
    if (current == null || current.gone()) {
      current = Template.start(config.name(), builder(List.of("--template")), config.maxFrameBytes());
      if (templates.isEmpty()) {
        // A stopped template would neither fork nor report its workers' ends: it is looked at as often
        // as the workers' heartbeats are.
        loop.every(config.heartbeatInterval(), () -> {
          Template t = template;
          if (t != null) {
            t.killIfStopped();
          }
        });
      }
      template = current;
      templates.add(current);
    }
    AcceptedPlane control = AcceptedPlane.listen("control", runDirectory.socket(id + "-control"), endpoint.token());
    AcceptedPlane stderr;
    try {
      stderr = AcceptedPlane.listen("stderr", runDirectory.socket(id + "-stderr"), endpoint.token());
    } catch (IOException | RuntimeException e) {
      control.close();
      throw e;
    }
    TemplateWorker worker = new TemplateWorker(config.name(), id, current, loop, control, stderr, endpoint,
        config.maxFrameBytes(), shared, wiring);
    worker.start(config.name());
    Map<String, String> environment = new LinkedHashMap<>(own);
    environment.put(CONTROL_SOCKET, control.path().toString());
    environment.put(STDERR_SOCKET, stderr.path().toString());
    environment.put(PARENT_PID, Long.toString(current.pid())); // the keeper's parent is the template
    current.fork(worker, environment);
    return worker;
  }

  /** Ends the template, if the pool preloads; its workers are dead by now. */
  @Override
  public void close() throws InterruptedException {
    Template current = template;
    if (current != null) {
      current.close();
    }
    for (Template t : templates) {
      for (Thread thread : t.threads()) {
        thread.join(Duration.ofSeconds(5));
      }
    }
  }

  /** What only worker {@code id} has in its environment: its data plane's socket and token, its limits. */
  private Map<String, String> workerVariables(String id, Path socket, String token) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("SNAKEPIT_SOCKET", socket.toString());
    env.put("SNAKEPIT_TOKEN", token);
    env.put("SNAKEPIT_WORKER_ID", id);
    env.putAll(limits.prepare(id));
    return env;
  }

  /**
   * A process running {@code python -m snakepit --adapter <adapter>} and {@code options}, with what every
   * worker of the pool has in its environment.
   */
  private ProcessBuilder builder(List<String> options) {
    List<String> command = new ArrayList<>(List.of(python.executable(), "-m", "snakepit", "--adapter", config.adapter()));
    command.addAll(options);
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.directory(config.workingDirectory().toFile());
    Map<String, String> env = builder.environment();
    env.putAll(config.environment());
    env.put(GLIBC_TUNABLES, withHugePages(env.get(GLIBC_TUNABLES)));
    List<String> path = new ArrayList<>();
    path.add(runtime.toString());
    config.pythonPath().forEach(p -> path.add(p.toString()));
    String inherited = env.get("PYTHONPATH");
    if (inherited != null && !inherited.isEmpty()) {
      path.add(inherited);
    }
    env.put("PYTHONPATH", String.join(File.pathSeparator, path));
    env.put("PYTHONIOENCODING", "utf-8:backslashreplace");
    env.put("SNAKEPIT_POOL", config.name());
    env.put("SNAKEPIT_MAX_FRAME_BYTES", Integer.toString(config.maxFrameBytes()));
    env.put("SNAKEPIT_PROTOCOL", Long.toString(Messages.PROTOCOL));
    env.put("SNAKEPIT_LOG_LEVEL", config.pythonLogLevel());
    env.put("SNAKEPIT_ARRAYS", config.pythonArrays().name().toLowerCase(Locale.ROOT));
    env.put(PARENT_PID, Long.toString(ProcessHandle.current().pid()));
    env.put(RunRegistry.INSTANCE_VARIABLE, RunRegistry.get().token());
    env.put(PoolConfig.HEARTBEAT_INTERVAL_VARIABLE, Long.toString(config.heartbeatInterval().toMillis()));
    env.put(PoolConfig.HEARTBEAT_TIMEOUT_VARIABLE, Long.toString(config.heartbeatTimeout().toMillis()));
    if (shared.on()) {
      env.put(SHM_DIR, shared.directory().toString());
      env.put(SHM_THRESHOLD, Integer.toString(shared.threshold()));
    } else {
      env.remove(SHM_DIR); // one the JVM inherited: the workers of this pool use none
      env.remove(SHM_THRESHOLD);
    }
    builder.redirectInput(ProcessBuilder.Redirect.PIPE);
    builder.redirectOutput(ProcessBuilder.Redirect.PIPE);
    builder.redirectError(ProcessBuilder.Redirect.PIPE);
    return builder;
  }

  /**
   * The workers' glibc tunables: the given ones, plus transparent huge pages for malloc's large blocks
   * unless they say otherwise. A large bytes value is a fresh allocation on every call; with 4 KiB
   * pages, faulting it in costs more than moving it through the socket (docs/benchmarks.md).
   * {@code glibc.malloc.hugetlb=0} in the pool's or the JVM's environment turns this off.
   */
  static String withHugePages(String tunables) {
    if (tunables == null || tunables.isEmpty()) {
      return HUGE_PAGES + "=1";
    }
    for (String tunable : tunables.split(":")) {
      if (tunable.startsWith(HUGE_PAGES + "=")) {
        return tunables;
      }
    }
    return tunables + ":" + HUGE_PAGES + "=1";
  }
}

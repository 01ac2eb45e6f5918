package dev.snakepit.internal.supervisor;

import dev.snakepit.PoolConfig;
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
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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

  private final PoolConfig config;
  private final PythonInterpreter python;
  private final Path runtime;
  private final RunDirectory runDirectory;
  private final SharedMemory shared;
  private final WorkerLimits limits;
  private final ControlLoop loop;

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

  /** Listens on the worker's socket, starts its keeper and the threads that read it. */
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
      Process process = processBuilder(id, connectTo, token).start();
      RunRegistry.get().add(process.pid());
      ForkedWorker worker = new ForkedWorker(config.name(), id, process,
          new WorkerConnection.Endpoint(server, socket, token), config.maxFrameBytes(), shared, wiring);
      worker.start(config.name(), id);
      return worker;
    } catch (IOException | RuntimeException e) {
      server.close();
      Files.deleteIfExists(socket);
      throw e;
    }
  }

  private ProcessBuilder processBuilder(String id, Path socket, String token) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(List.of(
        python.executable(), "-m", "snakepit", "--adapter", config.adapter()));
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
    env.put("SNAKEPIT_SOCKET", socket.toString());
    env.put("SNAKEPIT_TOKEN", token);
    env.put("SNAKEPIT_WORKER_ID", id);
    env.put("SNAKEPIT_POOL", config.name());
    env.put("SNAKEPIT_MAX_FRAME_BYTES", Integer.toString(config.maxFrameBytes()));
    env.put("SNAKEPIT_PROTOCOL", Long.toString(Messages.PROTOCOL));
    env.put("SNAKEPIT_LOG_LEVEL", config.pythonLogLevel());
    env.put("SNAKEPIT_ARRAYS", config.pythonArrays().name().toLowerCase(Locale.ROOT));
    env.put("SNAKEPIT_JVM_PID", Long.toString(ProcessHandle.current().pid()));
    env.put(RunRegistry.INSTANCE_VARIABLE, RunRegistry.get().token());
    env.putAll(limits.prepare(id));
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

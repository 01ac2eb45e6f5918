package dev.snakepit;

import dev.snakepit.spi.CallTracer;
import dev.snakepit.spi.DataPlaneInterceptor;
import dev.snakepit.spi.PoolListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * How a pool is set up. Immutable; build one with {@link #builder(String)}. Every setter of the
 * builder rejects a bad value at once with an {@link IllegalArgumentException} whose message names the
 * field, the value and the rule.
 *
 * <pre>{@code
 * PoolConfig config = PoolConfig.builder("my_models.sentiment:SentimentAdapter")
 *     .size(4)
 *     .callTimeout(Duration.ofSeconds(10))
 *     .build();
 * }</pre>
 *
 * <p>Defaults: {@code size} = the number of processors; the interpreter is {@code $SNAKEPIT_PYTHON} or
 * else {@code python3} from the {@code PATH}; call timeout 30 s; acquire timeout 5 s; queue of 1024
 * calls; start timeout 30 s; shutdown grace 5 s; cancel grace 5 s; maximum frame 128 MiB; heartbeat
 * interval 2 s and timeout 10 s, or {@code $SNAKEPIT_HEARTBEAT_INTERVAL} and
 * {@code $SNAKEPIT_HEARTBEAT_TIMEOUT} in milliseconds; a crash loop at 10 crashes within 60 s; no
 * recycling, and recycling thresholds spread by 10% when some is set; at most 64 sessions per worker, a
 * session drain of 5 minutes, and no leak warnings for sessions; no shared memory (values cross the
 * socket).
 */
public final class PoolConfig {
  /** The largest allowed {@link Builder#pipelineDepth(int)}. */
  public static final int MAX_PIPELINE_DEPTH = 16;
  /** The smallest allowed {@link Builder#maxFrameBytes(int)}: 64 KiB. */
  public static final int MIN_FRAME_BYTES = 64 * 1024;
  /** The default {@link Builder#maxFrameBytes(int)}: 128 MiB. */
  public static final int DEFAULT_MAX_FRAME_BYTES = 128 * 1024 * 1024;
  /** The largest allowed {@link Builder#size(int)}. */
  public static final int MAX_SIZE = 1024;
  /** The smallest allowed {@link Builder#sharedMemoryThreshold(int)}: 64 KiB. */
  public static final int MIN_SHARED_MEMORY_THRESHOLD = 64 * 1024;
  /** The default {@link Builder#sharedMemoryThreshold(int)}: 16 MiB (docs/benchmarks.md, arrays, says why). */
  public static final int DEFAULT_SHARED_MEMORY_THRESHOLD = 16 * 1024 * 1024;
  /** Where shared memory goes unless {@link Builder#sharedMemoryDirectory(Path)} says otherwise, if it is a directory. */
  public static final Path DEFAULT_SHARED_MEMORY_DIRECTORY = Path.of("/dev/shm");

  private static final Pattern ADAPTER =
      Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*");
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  private static final Pattern HOST_FUNCTION_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9._-]{0,63}");
  private static final Duration MAX_DURATION = Duration.ofDays(1);
  /** The environment variable overriding the default {@link Builder#heartbeatInterval}, in milliseconds. */
  public static final String HEARTBEAT_INTERVAL_VARIABLE = "SNAKEPIT_HEARTBEAT_INTERVAL";
  /** The environment variable overriding the default {@link Builder#heartbeatTimeout}, in milliseconds. */
  public static final String HEARTBEAT_TIMEOUT_VARIABLE = "SNAKEPIT_HEARTBEAT_TIMEOUT";
  private static final Duration MIN_HEARTBEAT_INTERVAL = Duration.ofMillis(10);

  private final String adapter;
  private final String name;
  private final int size;
  private final String pythonExecutable;
  private final Path workingDirectory;
  private final List<Path> pythonPath;
  private final Map<String, String> environment;
  private final Duration callTimeout;
  private final Duration acquireTimeout;
  private final int maxQueue;
  private final Duration startTimeout;
  private final Duration shutdownGrace;
  private final Duration cancelGrace;
  private final int maxFrameBytes;
  private final Duration heartbeatInterval;
  private final Duration heartbeatTimeout;
  private final int crashLoopLimit;
  private final Duration crashLoopWindow;
  private final double maxCrashRate;
  private final long recycleAfterCalls;
  private final Duration recycleAfterAge;
  private final long recycleAboveMemory;
  private final double recycleAboveErrorRate;
  private final int recycleErrorWindow;
  private final double recycleJitter;
  private final long workerMemoryLimit;
  private final double workerCpuLimit;
  private final String pythonLogLevel;
  private final PythonArrays pythonArrays;
  private final int maxSessionsPerWorker;
  private final Duration sessionLeakThreshold;
  private final Duration sessionDrainTimeout;
  private final Map<String, HostFunction> hostFunctions;
  private final int maxHostCallDepth;
  private final int pipelineDepth;
  private final boolean sharedMemory;
  private final int sharedMemoryThreshold;
  private final Path sharedMemoryDirectory;
  private final Path requirements;
  private final Path pyproject;
  private final Path wheelDirectory;
  private final boolean preload;
  private final PoolListener listener;
  private final DataPlaneInterceptor dataPlaneInterceptor;
  private final CallTracer tracer;

  private PoolConfig(Builder b) {
    this.adapter = b.adapter;
    this.tracer = b.tracer;
    this.name = b.name;
    this.size = b.size;
    this.pythonExecutable = b.pythonExecutable;
    this.workingDirectory = b.workingDirectory;
    this.pythonPath = Collections.unmodifiableList(new ArrayList<>(b.pythonPath));
    this.environment = Collections.unmodifiableMap(new LinkedHashMap<>(b.environment));
    this.callTimeout = b.callTimeout;
    this.acquireTimeout = b.acquireTimeout;
    this.maxQueue = b.maxQueue;
    this.startTimeout = b.startTimeout;
    this.shutdownGrace = b.shutdownGrace;
    this.cancelGrace = b.cancelGrace;
    this.maxFrameBytes = b.maxFrameBytes;
    this.heartbeatInterval = b.heartbeatInterval;
    this.heartbeatTimeout = b.heartbeatTimeout;
    this.crashLoopLimit = b.crashLoopLimit;
    this.crashLoopWindow = b.crashLoopWindow;
    this.maxCrashRate = b.maxCrashRate;
    this.recycleAfterCalls = b.recycleAfterCalls;
    this.recycleAfterAge = b.recycleAfterAge;
    this.recycleAboveMemory = b.recycleAboveMemory;
    this.recycleAboveErrorRate = b.recycleAboveErrorRate;
    this.recycleErrorWindow = b.recycleErrorWindow;
    this.recycleJitter = b.recycleJitter;
    this.workerMemoryLimit = b.workerMemoryLimit;
    this.workerCpuLimit = b.workerCpuLimit;
    this.pythonLogLevel = b.pythonLogLevel;
    this.pythonArrays = b.pythonArrays;
    this.maxSessionsPerWorker = b.maxSessionsPerWorker;
    this.sessionLeakThreshold = b.sessionLeakThreshold;
    this.sessionDrainTimeout = b.sessionDrainTimeout;
    this.hostFunctions = Collections.unmodifiableMap(new LinkedHashMap<>(b.hostFunctions));
    this.maxHostCallDepth = b.maxHostCallDepth;
    this.pipelineDepth = b.pipelineDepth;
    this.sharedMemoryDirectory = b.sharedMemoryDirectory;
    this.requirements = b.requirements;
    this.pyproject = b.pyproject;
    this.wheelDirectory = b.wheelDirectory;
    this.preload = b.preload;
    this.sharedMemory = b.sharedMemory && b.sharedMemoryDirectory != null;
    this.sharedMemoryThreshold = b.sharedMemoryThreshold;
    this.listener = b.listener;
    this.dataPlaneInterceptor = b.dataPlaneInterceptor;
  }

  /**
   * Starts a builder for a pool running {@code adapter}, written {@code package.module:Class}.
   *
   * @throws IllegalArgumentException if {@code adapter} is not of that form
   */
  public static Builder builder(String adapter) {
    return new Builder(adapter);
  }

  /** The adapter class, {@code package.module:Class}. */
  public String adapter() {
    return adapter;
  }

  /** The pool's name, used in thread names, log categories and messages. */
  public String name() {
    return name;
  }

  /** The number of workers the pool keeps. */
  public int size() {
    return size;
  }

  /** The Python interpreter: a path or a command looked up on the {@code PATH}. */
  public String pythonExecutable() {
    return pythonExecutable;
  }

  /** The workers' working directory; {@code python -m} puts it first on {@code sys.path}. */
  public Path workingDirectory() {
    return workingDirectory;
  }

  /** Directories added to the workers' {@code sys.path}, after the runtime and before {@code $PYTHONPATH}. */
  public List<Path> pythonPath() {
    return pythonPath;
  }

  /** Environment variables added to the workers' environment (which otherwise is the JVM's). */
  public Map<String, String> environment() {
    return environment;
  }

  /** The requirements file the workers' virtual environment is made from, or null (see {@link Builder#requirements}). */
  public Path requirements() {
    return requirements;
  }

  /** The project whose virtual environment the workers run in, or null (see {@link Builder#pyproject}). */
  public Path pyproject() {
    return pyproject;
  }

  /** The directory pip installs from instead of an index, or null (see {@link Builder#wheelDirectory}). */
  public Path wheelDirectory() {
    return wheelDirectory;
  }

  /** Whether workers are forked from a template that ran the adapter's {@code preload()} (see {@link Builder#preload}). */
  public boolean preload() {
    return preload;
  }

  /** Whether the pool makes (or reuses) a virtual environment for its workers. */
  public boolean managesEnvironment() {
    return requirements != null || pyproject != null;
  }

  /** How long a call may run on a worker unless the call sets its own timeout. */
  public Duration callTimeout() {
    return callTimeout;
  }

  /** How long a call may wait for a free worker. */
  public Duration acquireTimeout() {
    return acquireTimeout;
  }

  /** How many calls may wait for a worker at once; more fail at once with RESOURCE_EXHAUSTED. */
  public int maxQueue() {
    return maxQueue;
  }

  /** How long a worker may take from spawn to ready (adapter import and {@code setup()} included). */
  public Duration startTimeout() {
    return startTimeout;
  }

  /** How long {@code close()} lets running calls and {@code teardown()} finish before killing workers. */
  public Duration shutdownGrace() {
    return shutdownGrace;
  }

  /** How long a worker may keep running a call after its deadline before it is killed and replaced. */
  public Duration cancelGrace() {
    return cancelGrace;
  }

  /** The largest frame either side may send, in bytes. */
  public int maxFrameBytes() {
    return maxFrameBytes;
  }

  /** How often each worker sends a heartbeat on its control plane. */
  public Duration heartbeatInterval() {
    return heartbeatInterval;
  }

  /**
   * How long a worker may go without a heartbeat before the pool kills and replaces it, and how long
   * a worker waits for the pool's acknowledgements before it ends itself.
   */
  public Duration heartbeatTimeout() {
    return heartbeatTimeout;
  }

  /** How many worker crashes within {@link #crashLoopWindow()} make the pool crash-looping. */
  public int crashLoopLimit() {
    return crashLoopLimit;
  }

  /** The window in which {@link #crashLoopLimit()} crashes make the pool crash-looping. */
  public Duration crashLoopWindow() {
    return crashLoopWindow;
  }

  /**
   * The worker crashes per second, over the last minute, at which the pool stops being ready (see
   * {@link PoolHealth}); 0.1 by default.
   */
  public double maxCrashRate() {
    return maxCrashRate;
  }

  /** After how many calls a worker is recycled; 0 for never. */
  public long recycleAfterCalls() {
    return recycleAfterCalls;
  }

  /** At what age a worker is recycled; {@link Duration#ZERO} for never. */
  public Duration recycleAfterAge() {
    return recycleAfterAge;
  }

  /** Above how many bytes of resident memory (its whole process tree) a worker is recycled; 0 for never. */
  public long recycleAboveMemory() {
    return recycleAboveMemory;
  }

  /** Above what share of failed calls within {@link #recycleErrorWindow()} a worker is recycled; 0 for never. */
  public double recycleAboveErrorRate() {
    return recycleAboveErrorRate;
  }

  /** How many of a worker's latest calls its error rate is measured over. */
  public int recycleErrorWindow() {
    return recycleErrorWindow;
  }

  /** How far each worker's recycling thresholds are spread, as a fraction up or down (0.1 = 10%). */
  public double recycleJitter() {
    return recycleJitter;
  }

  /** The memory cap of each worker's process tree, in bytes; 0 for none. */
  public long workerMemoryLimit() {
    return workerMemoryLimit;
  }

  /** The CPU cap of each worker's process tree, in cores; 0 for none. */
  public double workerCpuLimit() {
    return workerCpuLimit;
  }

  /** The lowest Python logging level forwarded to SLF4J. */
  public String pythonLogLevel() {
    return pythonLogLevel;
  }

  /** What arrays arrive as in the workers. */
  public PythonArrays pythonArrays() {
    return pythonArrays;
  }

  /** What an {@link NdArray} sent to a worker arrives as there (docs/protocol.md, section 3.3). */
  public enum PythonArrays {
    /** A {@code numpy.ndarray} when numpy can be imported, else a {@code memoryview}. The default. */
    AUTO,
    /** Always a {@code numpy.ndarray}; a worker that cannot import numpy fails to start. */
    NUMPY,
    /** Always a read-only {@code memoryview} cast to the shape; numpy is never imported. */
    MEMORYVIEW
  }

  /** How many sessions one worker may hold at once. */
  public int maxSessionsPerWorker() {
    return maxSessionsPerWorker;
  }

  /** After how long without a call an open session is reported as a likely leak; {@link Duration#ZERO} for never. */
  public Duration sessionLeakThreshold() {
    return sessionLeakThreshold;
  }

  /**
   * How long a worker that holds sessions and is to stop (recycled, or removed by a resize) keeps
   * serving them before it stops anyway.
   */
  public Duration sessionDrainTimeout() {
    return sessionDrainTimeout;
  }

  /** The functions Python may call with {@code snakepit.host.call}, by name, in registration order. */
  public Map<String, HostFunction> hostFunctions() {
    return hostFunctions;
  }

  /** How deep calls may nest: Java calls Python, which calls a host function, which calls Python, and so on. */
  public int maxHostCallDepth() {
    return maxHostCallDepth;
  }

  /** How many calls may wait on a busy worker's socket behind the call it runs; 0: none. */
  public int pipelineDepth() {
    return pipelineDepth;
  }

  /**
   * Whether values of {@link #sharedMemoryThreshold()} bytes and more travel through files in
   * {@link #sharedMemoryDirectory()} instead of the socket: off unless turned on, and off when no
   * directory was given and {@code /dev/shm} is not one.
   */
  public boolean sharedMemory() {
    return sharedMemory;
  }

  /** From how many bytes a bytes value, an array's elements or an Arrow stream go through shared memory. */
  public int sharedMemoryThreshold() {
    return sharedMemoryThreshold;
  }

  /**
   * Where each pool makes its shared-memory directory: the one set, else {@code /dev/shm}; null when
   * none was set and {@code /dev/shm} is not a directory.
   */
  public Path sharedMemoryDirectory() {
    return sharedMemoryDirectory;
  }

  /** The listener receiving the pool's events. */
  public PoolListener listener() {
    return listener;
  }

  /** What stands between the pool and its workers on the data plane; {@link DataPlaneInterceptor#NONE} by default. */
  public DataPlaneInterceptor dataPlaneInterceptor() {
    return dataPlaneInterceptor;
  }

  /** What traces the pool's calls; {@link CallTracer#NONE} by default. */
  public CallTracer tracer() {
    return tracer;
  }

  @Override
  public String toString() {
    return "PoolConfig{name=" + name + ", adapter=" + adapter + ", size=" + size + ", python="
        + pythonExecutable + ", callTimeout=" + callTimeout + ", acquireTimeout=" + acquireTimeout
        + ", maxQueue=" + maxQueue + ", maxFrameBytes=" + maxFrameBytes + ", heartbeatInterval=" + heartbeatInterval
        + ", heartbeatTimeout=" + heartbeatTimeout + ", crashLoop=" + crashLoopLimit + " in " + crashLoopWindow + "}";
  }

  /** Builds a {@link PoolConfig}; each setter validates its value at once. */
  public static final class Builder {
    private final String adapter;
    private String name = "snakepit";
    private int size = Math.max(1, Math.min(MAX_SIZE, Runtime.getRuntime().availableProcessors()));
    private String pythonExecutable = defaultPython();
    private Path workingDirectory = Path.of("").toAbsolutePath();
    private final List<Path> pythonPath = new ArrayList<>();
    private final Map<String, String> environment = new LinkedHashMap<>();
    private Duration callTimeout = Duration.ofSeconds(30);
    private Duration acquireTimeout = Duration.ofSeconds(5);
    private int maxQueue = 1024;
    private Duration startTimeout = Duration.ofSeconds(30);
    private Duration shutdownGrace = Duration.ofSeconds(5);
    private Duration cancelGrace = Duration.ofSeconds(5);
    private int maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
    private Duration heartbeatInterval;
    private Duration heartbeatTimeout;
    private int crashLoopLimit = 10;
    private Duration crashLoopWindow = Duration.ofSeconds(60);
    private double maxCrashRate = 0.1;
    private long recycleAfterCalls;
    private Duration recycleAfterAge = Duration.ZERO;
    private long recycleAboveMemory;
    private double recycleAboveErrorRate;
    private int recycleErrorWindow = 100;
    private double recycleJitter = 0.1;
    private long workerMemoryLimit;
    private double workerCpuLimit;
    private String pythonLogLevel = "INFO";
    private PythonArrays pythonArrays = PythonArrays.AUTO;
    private int maxSessionsPerWorker = 64;
    private Duration sessionLeakThreshold = Duration.ZERO;
    private Duration sessionDrainTimeout = Duration.ofMinutes(5);
    private final Map<String, HostFunction> hostFunctions = new LinkedHashMap<>();
    private int maxHostCallDepth = 16;
    private int pipelineDepth;
    private boolean sharedMemory;
    private int sharedMemoryThreshold = DEFAULT_SHARED_MEMORY_THRESHOLD;
    private Path sharedMemoryDirectory = Files.isDirectory(DEFAULT_SHARED_MEMORY_DIRECTORY) ? DEFAULT_SHARED_MEMORY_DIRECTORY : null;
    private Path requirements;
    private Path pyproject;
    private Path wheelDirectory;
    private boolean preload;
    private PoolListener listener = PoolListener.NONE;
    private DataPlaneInterceptor dataPlaneInterceptor = DataPlaneInterceptor.NONE;
    private CallTracer tracer = CallTracer.NONE;

    private Builder(String adapter) {
      this(adapter, System.getenv());
    }

    /** A builder whose defaults come from {@code environment} instead of the process's. */
    Builder(String adapter, Map<String, String> environment) {
      if (adapter == null || !ADAPTER.matcher(adapter).matches()) {
        throw invalid("adapter", adapter, "it must name a class as package.module:Class");
      }
      this.adapter = adapter;
      this.heartbeatInterval = millisVariable(environment, HEARTBEAT_INTERVAL_VARIABLE, Duration.ofSeconds(2), Builder::validInterval);
      this.heartbeatTimeout = millisVariable(environment, HEARTBEAT_TIMEOUT_VARIABLE, Duration.ofSeconds(10), Builder::validTimeout);
    }

    /** The pool's name: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit. */
    public Builder name(String value) {
      if (value == null || !NAME.matcher(value).matches()) {
        throw invalid("name", value, "it must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
      }
      this.name = value;
      return this;
    }

    /** The number of workers, 1 to {@value #MAX_SIZE}. */
    public Builder size(int value) {
      if (value < 1 || value > MAX_SIZE) {
        throw invalid("size", value, "it must be between 1 and " + MAX_SIZE);
      }
      this.size = value;
      return this;
    }

    /** The Python interpreter, 3.9 or newer: an absolute path or a command on the {@code PATH}. */
    public Builder pythonExecutable(String value) {
      if (value == null || value.isBlank()) {
        throw invalid("pythonExecutable", value, "it must be a path or a command name");
      }
      this.pythonExecutable = value;
      return this;
    }

    /** The workers' working directory, which must exist. */
    public Builder workingDirectory(Path value) {
      if (value == null || !value.toFile().isDirectory()) {
        throw invalid("workingDirectory", value, "it must be an existing directory");
      }
      this.workingDirectory = value.toAbsolutePath();
      return this;
    }

    /** Adds a directory to the workers' {@code sys.path}. */
    public Builder addPythonPath(Path value) {
      if (value == null) {
        throw invalid("pythonPath", null, "entries must not be null");
      }
      this.pythonPath.add(value.toAbsolutePath());
      return this;
    }

    /**
     * Sets an environment variable for the workers. Names starting with {@code SNAKEPIT_} are the
     * runtime's own and are refused.
     *
     * <p>The pool adds {@code glibc.malloc.hugetlb=1} to the workers' {@code GLIBC_TUNABLES} unless
     * they set {@code glibc.malloc.hugetlb} already: large values then land in transparent huge pages,
     * which makes receiving or building a bytes value of many megabytes several times faster. Set
     * {@code GLIBC_TUNABLES} to {@code glibc.malloc.hugetlb=0} to turn that off.
     */
    public Builder environment(String key, String value) {
      if (key == null || key.isEmpty() || key.indexOf('=') >= 0 || key.indexOf('\0') >= 0) {
        throw invalid("environment", key, "a variable name must be non-empty without '=' or NUL");
      }
      if (key.startsWith("SNAKEPIT_")) {
        throw invalid("environment", key, "names starting with SNAKEPIT_ are reserved for the runtime");
      }
      if (value == null || value.indexOf('\0') >= 0) {
        throw invalid("environment." + key, value, "the value must be non-null without NUL");
      }
      this.environment.put(key, value);
      return this;
    }

    /** Sets several environment variables for the workers; see {@link #environment(String, String)}. */
    public Builder environment(Map<String, String> variables) {
      if (variables == null) {
        throw invalid("environment", null, "the map of variables must not be null");
      }
      variables.forEach(this::environment);
      return this;
    }

    /**
     * The default time a call may run on a worker: positive, at most one day. At the deadline the worker
     * is told to cancel the call, and the caller gets {@link ErrorKind#TIMEOUT} as soon as the cancel
     * lands (with the traceback of where it landed), or, for a tool stuck in C code, when the worker is
     * killed {@link #cancelGrace} later (with the stack dump of every thread).
     */
    public Builder callTimeout(Duration value) {
      this.callTimeout = positive("callTimeout", value);
      return this;
    }

    /** How long a call may wait for a free worker: zero (fail at once when none is free) to one day. */
    public Builder acquireTimeout(Duration value) {
      this.acquireTimeout = zeroToDay("acquireTimeout", value);
      return this;
    }

    /** How many calls may wait for a worker, 0 to 1,000,000. */
    public Builder maxQueue(int value) {
      if (value < 0 || value > 1_000_000) {
        throw invalid("maxQueue", value, "it must be between 0 and 1000000");
      }
      this.maxQueue = value;
      return this;
    }

    /** How long a worker may take to become ready: positive, at most one day. */
    public Builder startTimeout(Duration value) {
      this.startTimeout = positive("startTimeout", value);
      return this;
    }

    /** How long {@code close()} waits for running calls and {@code teardown()}: zero to one day. */
    public Builder shutdownGrace(Duration value) {
      this.shutdownGrace = zeroToDay("shutdownGrace", value);
      return this;
    }

    /**
     * How long a worker may overrun a call's deadline before it is killed and replaced: positive, at most
     * one day. A timed-out call's caller waits at most this long past the deadline for its answer.
     */
    public Builder cancelGrace(Duration value) {
      this.cancelGrace = positive("cancelGrace", value);
      return this;
    }

    /** The largest frame either side may send: {@value #MIN_FRAME_BYTES} bytes to 2 GiB - 1. */
    public Builder maxFrameBytes(int value) {
      if (value < MIN_FRAME_BYTES) {
        throw invalid("maxFrameBytes", value, "it must be between " + MIN_FRAME_BYTES + " and " + Integer.MAX_VALUE);
      }
      this.maxFrameBytes = value;
      return this;
    }

    /** How often each worker beats: 10 ms to one day; it must stay shorter than the heartbeat timeout. */
    public Builder heartbeatInterval(Duration value) {
      this.heartbeatInterval = validInterval(value);
      return this;
    }

    /**
     * How long a worker may be silent before it is killed and replaced (and how long it waits for the
     * pool's acknowledgements before it ends itself): positive, at most one day, longer than the
     * heartbeat interval. A tool holding the GIL for longer (a long C call that does not release it)
     * silences its worker; raise this for such tools.
     */
    public Builder heartbeatTimeout(Duration value) {
      this.heartbeatTimeout = validTimeout(value);
      return this;
    }

    /**
     * When {@code crashes} workers (1 to 10,000) have crashed within {@code window} (positive, at most
     * one day), the pool is crash-looping: it reports itself unhealthy and starts at most
     * {@code crashes} replacements per window, instead of restarting workers as fast as they die. It
     * recovers by itself once fewer crashes fall within the window.
     */
    public Builder crashLoop(int crashes, Duration window) {
      if (crashes < 1 || crashes > 10_000) {
        throw invalid("crashLoop.crashes", crashes, "it must be between 1 and 10000");
      }
      this.crashLoopWindow = positive("crashLoop.window", window);
      this.crashLoopLimit = crashes;
      return this;
    }

    /**
     * The worker crashes per second, averaged over the last minute, at which the pool reports itself
     * not ready ({@link Snakepit#health()}): 0.1 by default, six crashes a minute. Above 0, at most
     * 10,000. The pool is ready again once enough crashes are more than a minute old. This only
     * reports; the crash-loop circuit ({@link #crashLoop}) is what holds replacements back.
     */
    public Builder maxCrashRate(double crashesPerSecond) {
      if (!(crashesPerSecond > 0 && crashesPerSecond <= 10_000)) {
        throw invalid("maxCrashRate", crashesPerSecond, "it must be a number of crashes per second above 0 and at most 10000");
      }
      this.maxCrashRate = crashesPerSecond;
      return this;
    }

    /**
     * Recycles a worker after it has served {@code calls} calls (1 to 10^12; 0, the default, never):
     * against leaks and state that grows call by call. Recycling starts the replacement first, sends
     * the old worker no new call once the replacement is ready, lets it finish the call it runs, then
     * asks it to stop, so no call fails because of it. Each worker's threshold is spread by
     * {@link #recycleJitter}, so workers do not all recycle at once.
     */
    public Builder recycleAfterCalls(long calls) {
      if (calls < 0 || calls > 1_000_000_000_000L) {
        throw invalid("recycleAfterCalls", calls, "it must be between 0 (never) and 1000000000000");
      }
      this.recycleAfterCalls = calls;
      return this;
    }

    /** Recycles a worker at this age (zero, the default, never; at most one day); see {@link #recycleAfterCalls}. */
    public Builder recycleAfterAge(Duration age) {
      if (age == null || age.isNegative() || age.compareTo(MAX_DURATION) > 0) {
        throw invalid("recycleAfterAge", age, "it must be between 0 (never) and " + MAX_DURATION);
      }
      this.recycleAfterAge = age;
      return this;
    }

    /**
     * Recycles a worker whose process tree (the worker and every process it started) holds more than
     * {@code bytes} of resident memory, as the JVM reads it from {@code /proc} (0, the default, never;
     * else at least 1 MiB); see {@link #recycleAfterCalls}. Linux only.
     */
    public Builder recycleAboveMemory(long bytes) {
      if (bytes != 0 && bytes < 1024 * 1024) {
        throw invalid("recycleAboveMemory", bytes, "it must be 0 (never) or at least 1048576 bytes (1 MiB)");
      }
      this.recycleAboveMemory = bytes;
      return this;
    }

    /**
     * Recycles a worker when more than {@code rate} (0 to 1; 0, the default, never) of its latest
     * {@code window} calls (1 to 10,000) ended with an error from Python; see {@link #recycleAfterCalls}.
     */
    public Builder recycleAboveErrorRate(double rate, int window) {
      if (!(rate >= 0 && rate <= 1)) {
        throw invalid("recycleAboveErrorRate.rate", rate, "it must be between 0 (never) and 1");
      }
      if (window < 1 || window > 10_000) {
        throw invalid("recycleAboveErrorRate.window", window, "it must be between 1 and 10000");
      }
      this.recycleAboveErrorRate = rate;
      this.recycleErrorWindow = window;
      return this;
    }

    /** How far each worker's recycling thresholds are spread up or down: 0 to 0.5 (default 0.1, 10%). */
    public Builder recycleJitter(double fraction) {
      if (!(fraction >= 0 && fraction <= 0.5)) {
        throw invalid("recycleJitter", fraction, "it must be between 0 and 0.5");
      }
      this.recycleJitter = fraction;
      return this;
    }

    /**
     * Caps each worker's memory, its whole process tree included (0, the default, for none; else at
     * least 16 MiB). Enforced by a cgroup v2 or v1 group per worker where the machine allows (a worker
     * over the cap is killed by the kernel and its exit says {@code OUT_OF_MEMORY}), else by an
     * address-space limit the worker sets on itself (allocations beyond it raise {@code MemoryError}).
     * {@code stats().limits()} names the mechanism in use. The pool does not start when no mechanism
     * can enforce the caps asked for.
     */
    public Builder workerMemoryLimit(long bytes) {
      if (bytes != 0 && bytes < 16L * 1024 * 1024) {
        throw invalid("workerMemoryLimit", bytes, "it must be 0 (none) or at least 16777216 bytes (16 MiB)");
      }
      this.workerMemoryLimit = bytes;
      return this;
    }

    /**
     * Caps each worker's CPU time, its whole process tree included, at {@code cores} cores (0, the
     * default, for none; else 0.01 to 1024). Needs cgroups (v2 or v1); see {@link #workerMemoryLimit}.
     */
    public Builder workerCpuLimit(double cores) {
      if (!(cores == 0 || (cores >= 0.01 && cores <= 1024))) {
        throw invalid("workerCpuLimit", cores, "it must be 0 (none) or between 0.01 and 1024 cores");
      }
      this.workerCpuLimit = cores;
      return this;
    }

    /** The lowest Python logging level forwarded: DEBUG, INFO, WARNING, ERROR or CRITICAL. */
    public Builder pythonLogLevel(String value) {
      if (value == null || !List.of("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL").contains(value)) {
        throw invalid("pythonLogLevel", value, "it must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL");
      }
      this.pythonLogLevel = value;
      return this;
    }

    /**
     * What arrays arrive as in the workers: numpy arrays where numpy is installed ({@code AUTO}, the
     * default), or always one or the other. Passed to workers as {@code SNAKEPIT_ARRAYS}.
     */
    public Builder pythonArrays(PythonArrays value) {
      if (value == null) {
        throw invalid("pythonArrays", null, "it must be AUTO, NUMPY or MEMORYVIEW");
      }
      this.pythonArrays = value;
      return this;
    }

    /**
     * How many sessions one worker may hold at once, 1 to 100,000. A new session goes to the worker that
     * holds the fewest; when every worker holds this many, opening one fails with
     * {@link ErrorKind#RESOURCE_EXHAUSTED}.
     */
    public Builder maxSessionsPerWorker(int value) {
      if (value < 1 || value > 100_000) {
        throw invalid("maxSessionsPerWorker", value, "it must be between 1 and 100000");
      }
      this.maxSessionsPerWorker = value;
      return this;
    }

    /**
     * After how long without a call an open session is logged as a likely leak, with the stack of the
     * code that opened it: zero (never, the default) to one day. The session stays open; its idle
     * timeout still closes it.
     */
    public Builder sessionLeakThreshold(Duration value) {
      this.sessionLeakThreshold = zeroToDay("sessionLeakThreshold", value);
      return this;
    }

    /**
     * How long a worker that is to stop while it holds sessions (recycled, or removed by a resize) is
     * drained first: zero to one day, 5 minutes by default. Draining, it serves only its sessions' calls
     * and gets no new session; it stops when its last session closes, or when this time has passed, and
     * the sessions still open are then lost ({@link ErrorKind#SESSION_LOST}).
     */
    public Builder sessionDrainTimeout(Duration value) {
      this.sessionDrainTimeout = zeroToDay("sessionDrainTimeout", value);
      return this;
    }

    /**
     * Registers a function that the adapter's Python code may call with
     * {@code snakepit.host.call(name, ...)}; no other Java code can be reached from Python. The name is
     * 1 to 64 letters, digits, {@code _}, {@code .} or {@code -}, starting with a letter, and may be
     * registered once. See {@link HostFunction}.
     */
    public Builder hostFunction(String name, HostFunction function) {
      if (name == null || !HOST_FUNCTION_NAME.matcher(name).matches()) {
        throw invalid("hostFunction name", name,
            "it must be 1 to 64 letters, digits, '_', '.' or '-', starting with a letter");
      }
      if (function == null) {
        throw invalid("hostFunction", null, "the function registered as '" + name + "' must not be null");
      }
      if (hostFunctions.containsKey(name)) {
        throw invalid("hostFunction name", name, "it is registered already; each name may be registered once");
      }
      hostFunctions.put(name, function);
      return this;
    }

    /**
     * How deep calls may nest, 1 to 64 (16 by default): a host function that calls the pool makes a
     * call of depth 2, which may call a host function again, and so on. A call deeper than this fails
     * at once with {@link ErrorKind#INVALID_REQUEST}.
     */
    public Builder maxHostCallDepth(int value) {
      if (value < 1 || value > 64) {
        throw invalid("maxHostCallDepth", value, "it must be between 1 and 64");
      }
      this.maxHostCallDepth = value;
      return this;
    }

    /**
     * How many calls, 0 to {@value #MAX_PIPELINE_DEPTH} (0 by default: none), may be written to a busy
     * worker's socket behind the call it runs, when every worker is busy: the worker then finds its
     * next call waiting instead of waiting for the JVM to send it, which saves two thread wake-ups per
     * call under load. Never while a worker is free. A call written ahead runs once the calls before it
     * have ended, so it suits pools of short calls: one queued behind a long call waits for it (at most
     * {@link #acquireTimeout}, as in the queue). Such a call counts as queued; if its worker dies before
     * it began, it is sent to another worker; a cancel before it began stops it there. Calls of
     * sessions and streams, and calls whose frame is above 128 KiB, are never written ahead.
     */
    public Builder pipelineDepth(int value) {
      if (value < 0 || value > MAX_PIPELINE_DEPTH) {
        throw invalid("pipelineDepth", value, "it must be between 0 and " + MAX_PIPELINE_DEPTH);
      }
      this.pipelineDepth = value;
      return this;
    }

    /**
     * Whether large values travel through shared memory (false by default; see
     * {@link #sharedMemoryThreshold}); off, every value crosses the worker's socket. Measured on the
     * reference machine, it gains a third from Python to Java at 64 MiB and loses a tenth the other
     * way (docs/benchmarks.md), and it needs room in the directory for every large value in flight:
     * turn it on for large results where {@code /dev/shm} is big enough (Docker's default is 64 MiB).
     */
    public Builder sharedMemory(boolean value) {
      this.sharedMemory = value;
      return this;
    }

    /**
     * From how many bytes ({@value #MIN_SHARED_MEMORY_THRESHOLD} to 2 GiB - 1; 16 MiB by default) a bytes
     * value, the elements of an {@link NdArray} or the stream of an {@link ArrowData} travel, either way,
     * through a file in the pool's shared-memory directory instead of the socket: the receiver maps
     * it, so an array arrives without being copied. Smaller values are cheaper on the socket. Values
     * still count against {@link #maxFrameBytes} as if they crossed the socket.
     */
    public Builder sharedMemoryThreshold(int bytes) {
      if (bytes < MIN_SHARED_MEMORY_THRESHOLD) {
        throw invalid("sharedMemoryThreshold", bytes, "it must be between " + MIN_SHARED_MEMORY_THRESHOLD + " and "
            + Integer.MAX_VALUE);
      }
      this.sharedMemoryThreshold = bytes;
      return this;
    }

    /**
     * Where each pool makes its private shared-memory directory ({@code snakepit-<pid>-<pool>-<random>},
     * mode 0700): an existing directory, best on a memory file system (tmpfs). {@code /dev/shm} by
     * default. Setting it turns shared memory on. The directory's free space bounds the large values
     * in flight at once: a value that does not fit fails its call with
     * {@link ErrorKind#RESOURCE_EXHAUSTED}, saying how to make room.
     */
    public Builder sharedMemoryDirectory(Path value) {
      if (value == null || !Files.isDirectory(value)) {
        throw invalid("sharedMemoryDirectory", value, "it must be an existing directory");
      }
      this.sharedMemoryDirectory = value.toAbsolutePath();
      this.sharedMemory = true;
      return this;
    }

    /**
     * Runs the workers in a virtual environment with the packages of this requirements file (pip's
     * format), which the pool makes with {@link #pythonExecutable} the first time and then reuses, in
     * this JVM and others: environments are cached under {@code $SNAKEPIT_CACHE_DIR/environments} (else
     * {@code ~/.cache/snakepit}), keyed by the file's content (and the files it names with {@code -r}
     * or {@code -c}), the interpreter and its version. pip runs with the machine's own configuration
     * and index; its output goes to the log and to {@link PoolListener#environment}; if it fails, the
     * pool does not start, and the error carries pip's own words. Not with {@link #pyproject}.
     */
    public Builder requirements(Path file) {
      if (file == null || !Files.isRegularFile(file) || !Files.isReadable(file)) {
        throw invalid("requirements", file, "it must be a readable file, in pip's requirements format");
      }
      if (pyproject != null) {
        throw invalid("requirements", file, "it cannot be given with pyproject (" + pyproject + "): choose one");
      }
      this.requirements = file.toAbsolutePath().normalize();
      return this;
    }

    /**
     * Runs the workers in a virtual environment in which the project of this {@code pyproject.toml} is
     * installed in editable mode ({@code pip install -e}), with its dependencies: the project's code
     * is imported from its directory, so edits need no new environment, while a change of the file
     * itself (its dependencies, say) makes a new one. Cached and reported as for {@link #requirements},
     * which it cannot be given with; pip may need the project's build backend from the index, or from
     * {@link #wheelDirectory}.
     */
    public Builder pyproject(Path file) {
      if (file == null || !Files.isRegularFile(file) || !file.getFileName().toString().endsWith(".toml")) {
        throw invalid("pyproject", file, "it must be an existing pyproject.toml file");
      }
      if (requirements != null) {
        throw invalid("pyproject", file, "it cannot be given with requirements (" + requirements + "): choose one");
      }
      this.pyproject = file.toAbsolutePath().normalize();
      return this;
    }

    /**
     * Has pip install from the wheels (and source archives) in this directory alone, never an index:
     * for machines without a network. Needs {@link #requirements} or {@link #pyproject}; its listing
     * is part of the environment's key, so adding a wheel makes a new environment.
     */
    public Builder wheelDirectory(Path directory) {
      if (directory == null || !Files.isDirectory(directory)) {
        throw invalid("wheelDirectory", directory, "it must be an existing directory of wheels");
      }
      this.wheelDirectory = directory.toAbsolutePath().normalize();
      return this;
    }

    /**
     * Forks the workers from a template (false by default): one process per generation of the pool
     * imports the adapter and runs its {@code preload()} class method once, and every worker,
     * replacements too, is forked from it. What {@code preload()} loads is shared copy-on-write by all
     * workers, and a worker starts in the time of a fork instead of an interpreter's start and
     * imports (docs/benchmarks.md, start-up). Linux only. {@code preload()} must start no thread (the
     * pool's start fails, naming them): start threads, open connections and move data to a GPU in
     * {@code setup()}, which runs in each worker (docs/adr/0007 lists what is not fork-safe). Without
     * it, each worker runs {@code preload()} itself as it starts.
     */
    public Builder preload(boolean value) {
      if (value && !forksFromTemplates(System.getProperty("os.name", ""))) {
        throw invalid("preload", true, "forking workers from a template needs Linux; this is " + System.getProperty("os.name"));
      }
      this.preload = value;
      return this;
    }

    /** Whether preloading works on the operating system named {@code osName} (its /proc and prctl). */
    static boolean forksFromTemplates(String osName) {
      return osName.startsWith("Linux");
    }

    /** The listener receiving the pool's events. */
    public Builder listener(PoolListener value) {
      if (value == null) {
        throw invalid("listener", null, "it must not be null; use PoolListener.NONE for no listener");
      }
      this.listener = value;
      return this;
    }

    /**
     * Traces every call: a span per attempt, whose W3C trace context the worker gets, so that spans
     * made in Python join the caller's trace (see {@code snakepit-opentelemetry}). The default,
     * {@link CallTracer#NONE}, sends no trace context.
     */
    public Builder tracer(CallTracer value) {
      if (value == null) {
        throw invalid("tracer", null, "it must not be null; use CallTracer.NONE for none");
      }
      this.tracer = value;
      return this;
    }

    /**
     * Puts an interceptor on the workers' data plane, for fault injection (see {@code snakepit-chaos})
     * or tracing. Production pools leave the default, {@link DataPlaneInterceptor#NONE}.
     */
    public Builder dataPlaneInterceptor(DataPlaneInterceptor value) {
      if (value == null) {
        throw invalid("dataPlaneInterceptor", null, "it must not be null; use DataPlaneInterceptor.NONE for none");
      }
      this.dataPlaneInterceptor = value;
      return this;
    }

    /**
     * Builds the configuration.
     *
     * @throws IllegalArgumentException if the heartbeat timeout is not longer than the interval, or a
     *     wheel directory is given without requirements or a pyproject
     */
    public PoolConfig build() {
      if (wheelDirectory != null && requirements == null && pyproject == null) {
        throw invalid("wheelDirectory", wheelDirectory, "it needs requirements or pyproject, whose packages it holds");
      }
      if (heartbeatTimeout.compareTo(heartbeatInterval) <= 0) {
        throw invalid("heartbeatTimeout", heartbeatTimeout, "it must be longer than heartbeatInterval (" + heartbeatInterval + ")");
      }
      return new PoolConfig(this);
    }

    private static Duration validInterval(Duration value) {
      if (value == null || value.compareTo(MIN_HEARTBEAT_INTERVAL) < 0 || value.compareTo(MAX_DURATION) > 0) {
        throw invalid("heartbeatInterval", value, "it must be between " + MIN_HEARTBEAT_INTERVAL + " and " + MAX_DURATION);
      }
      return value;
    }

    private static Duration validTimeout(Duration value) {
      return positive("heartbeatTimeout", value);
    }

    /**
     * A duration given in milliseconds by an environment variable and checked by {@code rule}, or
     * {@code otherwise} when the variable is unset.
     */
    private static Duration millisVariable(Map<String, String> environment, String name, Duration otherwise,
        UnaryOperator<Duration> rule) {
      String text = environment.get(name);
      if (text == null || text.isBlank()) {
        return otherwise;
      }
      String problem;
      try {
        return rule.apply(Duration.ofMillis(Long.parseLong(text.strip())));
      } catch (NumberFormatException e) {
        problem = "it must be a whole number of milliseconds";
      } catch (IllegalArgumentException e) {
        problem = e.getMessage();
      }
      throw new IllegalArgumentException("environment variable " + name + " = '" + text + "' is invalid: " + problem);
    }

    private static Duration zeroToDay(String field, Duration value) {
      if (value == null || value.isNegative() || value.compareTo(MAX_DURATION) > 0) {
        throw invalid(field, value, "it must be between 0 and " + MAX_DURATION);
      }
      return value;
    }

    private static Duration positive(String field, Duration value) {
      if (value == null || value.isNegative() || value.isZero() || value.compareTo(MAX_DURATION) > 0) {
        throw invalid(field, value, "it must be positive and at most " + MAX_DURATION);
      }
      return value;
    }

    private static String defaultPython() {
      String fromEnv = System.getenv("SNAKEPIT_PYTHON");
      return fromEnv == null || fromEnv.isBlank() ? "python3" : fromEnv;
    }

    private static IllegalArgumentException invalid(String field, Object value, String rule) {
      String shown = value instanceof String s ? "'" + s + "'" : String.valueOf(value);
      return new IllegalArgumentException("PoolConfig." + field + " = " + shown + " is invalid: " + rule);
    }
  }
}

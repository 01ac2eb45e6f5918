package dev.snakepit.chaos;

import dev.snakepit.PoolConfig;
import dev.snakepit.internal.process.PythonRuntime;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The chaos adapter: a Python adapter ({@value #ADAPTER}) whose tools misbehave on purpose, shipped in
 * this jar. Misbehaviour is chosen per call, with a tool of its own ({@code crash}, {@code hang},
 * {@code leak} ...), or for the ordinary tool {@code work} by the workers' environment:
 *
 * <pre>{@code
 * PoolConfig config = ChaosAdapter.pool("leaky")
 *     .size(3)
 *     .recycleAboveMemory(500L << 20)
 *     .environment(ChaosAdapter.mode(ChaosAdapter.Mode.LEAK, 1))   // every "work" call leaks 100 MiB
 *     .build();
 * }</pre>
 *
 * <p>Tools: {@code ping}, {@code echo(value)}, {@code pid}, {@code calls}, {@code rss}, {@code work(value)},
 * {@code crash}, {@code exit(code)}, {@code segfault}, {@code hang(ignore_cancel)}, {@code leak(mb)},
 * {@code slow(step)}, {@code hold_gil(seconds)}, {@code garbage(nbytes)}, {@code flood_stdout(mb)},
 * {@code spawn_grandchildren(count)}. The Python module's docstring describes each.
 */
public final class ChaosAdapter {
  /** The adapter's name, for {@link PoolConfig#builder(String)}. */
  public static final String ADAPTER = "snakepit_chaos.adapter:ChaosAdapter";
  /** The variable choosing what {@code work} does. */
  public static final String MODE_VARIABLE = "CHAOS_MODE";
  /** The variable choosing from which {@code work} call on (1-based) the mode applies. */
  public static final String AT_VARIABLE = "CHAOS_AT";

  private static final String RESOURCE = "chaos-python.zip";

  private ChaosAdapter() {}

  /** What the tool {@code work} does, from its {@code at}-th call on. */
  public enum Mode {
    /** Behaves: returns {@code {"pid", "calls", "value"}}. */
    NONE,
    /** SIGKILLs its own process at call {@code at}. */
    CRASH,
    /** Exits with {@code CHAOS_EXIT_CODE} (default 3) at call {@code at}. */
    EXIT,
    /** Dies by SIGSEGV at call {@code at}. */
    SEGFAULT,
    /** Never returns from call {@code at}, and ignores the cancel. */
    HANG,
    /** Leaks {@code CHAOS_LEAK_MB} (default 100) MiB of resident memory on every call. */
    LEAK,
    /** Sleeps {@code calls x CHAOS_SLOW_STEP} seconds (default 0.05): slower each call. */
    SLOW,
    /** Holds the GIL for {@code CHAOS_GIL_SECONDS} (default 1) on every call: heartbeats stop meanwhile. */
    HOLD_GIL,
    /** Writes bytes that are not a frame on its data connection at call {@code at}. */
    GARBAGE,
    /** Writes {@code CHAOS_FLOOD_MB} (default 10) MiB to stdout on every call. */
    FLOOD_STDOUT,
    /** Starts {@code CHAOS_GRANDCHILDREN} (default 2) long-sleeping processes on every call. */
    SPAWN_GRANDCHILDREN;

    /** The name the Python side reads, such as {@code "hold_gil"}. */
    public String pythonName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * The directory to add to a pool's Python path so that workers find {@value #ADAPTER}; unpacked from
   * this jar into Snakepit's cache on first use.
   */
  public static Path pythonPath() {
    return PythonRuntime.unpackBundled(ChaosAdapter.class, RESOURCE, "chaos");
  }

  /** A pool configuration running the chaos adapter, named {@code name}; workers behave until told otherwise. */
  public static PoolConfig.Builder pool(String name) {
    return PoolConfig.builder(ADAPTER).name(name).addPythonPath(pythonPath());
  }

  /**
   * The environment that makes {@code work} misbehave as {@code mode} from its {@code at}-th call on,
   * for {@link PoolConfig.Builder#environment(Map)}.
   *
   * @throws IllegalArgumentException if {@code at} is below 1
   */
  public static Map<String, String> mode(Mode mode, int at) {
    Objects.requireNonNull(mode, "mode");
    if (at < 1) {
      throw new IllegalArgumentException("at: " + at + " is invalid; it is a call number, 1 or more");
    }
    Map<String, String> env = new LinkedHashMap<>();
    env.put(MODE_VARIABLE, mode.pythonName());
    env.put(AT_VARIABLE, Integer.toString(at));
    return env;
  }
}

package dev.snakepit.bench.jmh;

import dev.snakepit.PoolConfig;
import dev.snakepit.Session;
import dev.snakepit.Snakepit;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A whole no-op call, {@code pool.execute("ping", Map.of())} on a pool of one worker of the demo adapter, from one
 * thread: the figure to compare two versions of the call path by, run side by side; and the same call
 * in a (strict) session on that worker, {@code session.execute("ping", Map.of())}. The interpreter is
 * the system property {@value #PYTHON_PROPERTY}, or the pool's default.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PoolCallBenchmark {
  /** The system property naming the Python interpreter the worker runs on. */
  public static final String PYTHON_PROPERTY = "snakepit.bench.python";

  private Snakepit pool;
  private Session session;

  @Setup(Level.Trial)
  public void start() {
    PoolConfig.Builder config = PoolConfig.builder("snakepit.examples.demo:DemoAdapter").name("jmh").size(1);
    String python = System.getProperty(PYTHON_PROPERTY);
    if (python != null) {
      config.pythonExecutable(python);
    }
    pool = Snakepit.start(config.build());
    session = pool.openSession();
  }

  @TearDown(Level.Trial)
  public void close() {
    session.close();
    pool.close();
  }

  @Benchmark
  public Object noop() {
    return pool.execute("ping", Map.of());
  }

  @Benchmark
  public Object sessionNoop() {
    return session.execute("ping", Map.of());
  }
}

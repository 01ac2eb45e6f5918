package dev.snakepit.bench.jmh;

import dev.snakepit.Call;
import dev.snakepit.CallStream;
import dev.snakepit.PoolConfig;
import dev.snakepit.Session;
import dev.snakepit.Snakepit;
import dev.snakepit.StreamOptions;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * A whole no-op call, {@code pool.execute("ping", Map.of())} on a pool of one worker of the demo adapter, from one
 * thread: the figure to compare two versions of the call path by, run side by side; and the same call
 * in a (strict) session on that worker, {@code session.execute("ping", Map.of())}; and one item of a
 * stream of {@value #ITEMS} small integers ({@code pool.stream(Call.of("count").withArg("n", ITEMS))}, read
 * to its end), with the default credit of 16 and with a credit of 256. The interpreter is the system
 * property {@value #PYTHON_PROPERTY}, or the pool's default.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PoolCallBenchmark {
  /** The system property naming the Python interpreter the worker runs on. */
  public static final String PYTHON_PROPERTY = "snakepit.bench.python";
  /** The items of each measured stream. */
  public static final int ITEMS = 1000;

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

  @Benchmark
  @OperationsPerInvocation(ITEMS)
  public long streamItem() {
    return readAll(StreamOptions.defaults());
  }

  @Benchmark
  @OperationsPerInvocation(ITEMS)
  public long streamItemCredit256() {
    return readAll(StreamOptions.defaults().withCredit(256));
  }

  private long readAll(StreamOptions options) {
    long sum = 0;
    try (CallStream items = pool.stream(Call.of("count").withArg("n", ITEMS), options)) {
      while (items.hasNext()) {
        sum += (Long) items.next();
      }
    }
    return sum;
  }
}

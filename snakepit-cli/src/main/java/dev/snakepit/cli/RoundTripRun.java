package dev.snakepit.cli;

import dev.snakepit.PoolConfig;
import dev.snakepit.Snakepit;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Measures, in one JVM and against one interpreter, how much a pool call costs over the cheapest
 * possible framed round trip between Java and Python on a Unix socket.
 *
 * <p>Both sides make sequential calls from this thread: (a) the raw echo, {@link EchoClient} against
 * {@link EchoServer}, no library code; (b) {@code pool.execute("ping")} on a one-worker pool. After a
 * warm-up of one round per side (JIT, Python caches), the sides alternate in rounds and swap order each
 * round, so drift in machine load (the machine is shared) hits both alike. Percentiles are taken over all
 * rounds; per-round medians show how steady the numbers were.
 *
 * <p>The warm-up matters: the pool's call path is far more code than the echo's, and until the JIT has
 * compiled it (some ten thousand calls) the pool side is measured partly interpreted.
 */
final class RoundTripRun {
  /** About the size of a small JSON call, as the pool's own request body would be. */
  static final byte[] PAYLOAD = "{\"tool\":\"ping\",\"args\":[],\"kwargs\":{}}".getBytes(StandardCharsets.UTF_8);
  private static final Duration EXIT_LIMIT = Duration.ofSeconds(10);

  private final PythonCommand python;
  private final int calls;
  private final int rounds;
  private final int warmup;
  private final Terminal terminal;

  RoundTripRun(PythonCommand python, int calls, int rounds, int warmup, Terminal terminal) {
    this.python = python;
    this.calls = calls;
    this.rounds = rounds;
    this.warmup = warmup;
    this.terminal = terminal;
  }

  /**
   * Runs the measurement; every process it starts is stopped before it returns or throws.
   *
   * @throws IOException if the echo server cannot be started or fails
   * @throws dev.snakepit.SnakepitException if the pool cannot start or a call fails
   */
  RoundTripResult run() throws IOException, InterruptedException {
    terminal.out().printf("snakepit roundtrip: %d rounds x %d sequential calls per side, after %d warm-up calls each;"
        + " Python %s (%s)%n", rounds, calls, warmup, python.version(), python.executable());
    List<ProcessHandle> started = new ArrayList<>();
    long serverPid;
    List<SideBySide.Result> results;
    PoolConfig config = PoolConfig.builder(DemoSettings.ADAPTER).name("roundtrip").size(1)
        .pythonExecutable(python.executable()).build();
    try (EchoServer server = EchoServer.start(python.executable());
        EchoClient client = new EchoClient(server.socket(), PAYLOAD);
        Snakepit pool = Snakepit.start(config)) {
      serverPid = server.pid();
      ProcessHandle.of(serverPid).ifPresent(started::add);
      pool.workerPids().forEach(pid -> ProcessHandle.of(pid).ifPresent(started::add));
      Map<String, Object> none = Map.of();
      results = new SideBySide()
          .add("raw", client::roundTrip)
          .add("pool", () -> pool.execute("ping", none))
          .run(warmup, rounds, calls, terminal.out());
    } catch (IOException | InterruptedException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(e);
    }
    SideBySide.Result raw = results.get(0);
    SideBySide.Result pooled = results.get(1);
    List<long[]> medians = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      medians.add(new long[] {raw.roundMedians()[round], pooled.roundMedians()[round]});
    }
    return new RoundTripResult(python, calls, rounds, PAYLOAD.length, raw.latencies(), raw.totalNanos(), pooled.latencies(),
        pooled.totalNanos(), medians, serverPid, awaitGone(started));
  }

  private static List<Long> awaitGone(List<ProcessHandle> started) throws InterruptedException {
    long deadline = System.nanoTime() + EXIT_LIMIT.toNanos();
    while (true) {
      List<Long> alive = started.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).toList();
      if (alive.isEmpty() || System.nanoTime() > deadline) {
        return alive;
      }
      Thread.sleep(20); // polls a condition with a bound
    }
  }
}

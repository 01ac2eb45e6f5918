package dev.snakepit.chaos;

import java.time.Duration;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;
import net.jqwik.api.arbitraries.ListArbitrary;

/**
 * jqwik generators of chaos: single faults and random sequences of calls and faults. Use them in a
 * property of your own and apply each sequence with a {@link ChaosDriver}:
 *
 * <pre>{@code
 * @Property(tries = 20)
 * void poolRecovers(@ForAll("chaos") List<ChaosOp> ops) { ... }
 *
 * @Provide
 * Arbitrary<List<ChaosOp>> chaos() {
 *   return ChaosArbitraries.sequences(30, 4);
 * }
 * }</pre>
 *
 * <p>Calls make up about half of each sequence, so that faults always land among calls in flight.
 */
public final class ChaosArbitraries {
  private ChaosArbitraries() {}

  /** A call with a payload of 0 to 64 KiB, small ones more likely. */
  public static Arbitrary<ChaosOp> calls() {
    return Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.integers().between(0, 256).map(ChaosOp.Execute::new)),
        Tuple.of(1, Arbitraries.integers().between(257, 64 * 1024).map(ChaosOp.Execute::new)));
  }

  /** A fault to a worker process: kill, freeze for 50 ms to 1.5 s, or recycle. */
  public static Arbitrary<ChaosOp> processFaults() {
    return Arbitraries.oneOf(
        Arbitraries.just(new ChaosOp.KillWorker()),
        millis(50, 1500).map(ChaosOp.FreezeWorker::new),
        Arbitraries.just(new ChaosOp.RecycleWorker()));
  }

  /** A fault on the data plane, for a pool with a {@link DataPlaneProxy}: delay, corrupt, truncate, reset. */
  public static Arbitrary<ChaosOp> proxyFaults() {
    Arbitrary<DataPlaneProxy.Direction> direction = Arbitraries.of(DataPlaneProxy.Direction.class);
    return Arbitraries.oneOf(
        Arbitraries.oneOf(Arbitraries.just(Duration.ZERO), millis(1, 100)).map(ChaosOp.ProxyDelay::new),
        direction.map(ChaosOp.CorruptFrame::new),
        direction.map(ChaosOp.TruncateFrame::new),
        Arbitraries.just(new ChaosOp.ResetConnection()));
  }

  /** A session's step: open one, call in one with a small payload, or close one. */
  public static Arbitrary<ChaosOp> sessionSteps() {
    return Arbitraries.frequencyOf(
        Tuple.of(2, Arbitraries.just(new ChaosOp.OpenSession())),
        Tuple.of(4, Arbitraries.integers().between(0, 256).map(ChaosOp.SessionCall::new)),
        Tuple.of(1, Arbitraries.just(new ChaosOp.CloseSession())));
  }

  /** A stream of 1 to 200 items, read to its end or closed after 0 to 200 of them. */
  public static Arbitrary<ChaosOp> streams() {
    return Combinators.combine(Arbitraries.integers().between(1, 200), Arbitraries.integers().between(0, 200))
        .as(ChaosOp.StreamItems::new);
  }

  /** A resize to 1 to {@code maxSize} workers. */
  public static Arbitrary<ChaosOp> resizes(int maxSize) {
    if (maxSize < 1) {
      throw new IllegalArgumentException("maxSize: " + maxSize + " is invalid; it must be 1 or more");
    }
    return Arbitraries.integers().between(1, maxSize).map(ChaosOp.Resize::new);
  }

  /** A pause of 10 to 300 ms. */
  public static Arbitrary<ChaosOp> pauses() {
    return millis(10, 300).map(ChaosOp.Pause::new);
  }

  /** Any step: mostly calls, then process faults, proxy faults, sessions' steps, streams, pauses and resizes. */
  public static Arbitrary<ChaosOp> operations(int maxSize) {
    return Arbitraries.frequencyOf(
        Tuple.of(10, calls()),
        Tuple.of(4, processFaults()),
        Tuple.of(3, sessionSteps()),
        Tuple.of(2, streams()),
        Tuple.of(3, proxyFaults()),
        Tuple.of(2, pauses()),
        Tuple.of(1, resizes(maxSize)));
  }

  /** Sequences of 1 to {@code maxLength} steps, for a pool of at most {@code maxSize} workers. */
  public static ListArbitrary<ChaosOp> sequences(int maxLength, int maxSize) {
    if (maxLength < 1) {
      throw new IllegalArgumentException("maxLength: " + maxLength + " is invalid; it must be 1 or more");
    }
    return operations(maxSize).list().ofMinSize(1).ofMaxSize(maxLength);
  }

  /** Sequences without proxy faults, for pools without a {@link DataPlaneProxy}. */
  public static ListArbitrary<ChaosOp> sequencesWithoutProxy(int maxLength, int maxSize) {
    return Arbitraries.frequencyOf(
        Tuple.of(10, calls()),
        Tuple.of(4, processFaults()),
        Tuple.of(2, pauses()),
        Tuple.of(1, resizes(maxSize))).list().ofMinSize(1).ofMaxSize(maxLength);
  }

  private static Arbitrary<Duration> millis(int min, int max) {
    return Arbitraries.integers().between(min, max).map(Duration::ofMillis);
  }
}

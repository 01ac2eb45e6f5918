package dev.snakepit.chaos;

import dev.snakepit.Call;
import dev.snakepit.CallStream;
import dev.snakepit.Session;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * The sessions and streams of a chaos run, for {@link ChaosDriver}: opens, calls in and closes sessions,
 * and runs streams on threads of their own, each checking that its items came in order and that it
 * ended with its last item or a {@link SnakepitException}.
 *
 * <p>It also counts what the pool must have counted as successful calls: {@link #sure()} for steps that
 * surely succeeded (a session opened, a stream read to its end), and {@link #unsure()} for steps that may
 * or may not have (a session closed while its worker may have died, a stream closed before its end
 * whose worker may have finished it first).
 */
final class SessionSteps {
  private final Snakepit pool;
  private final SplittableRandom random;
  /** The call of a stream of n items yielding 0, 1, ..., n - 1; null: streams are skipped. */
  private final IntFunction<Call> streams;
  private final List<Session> open = new ArrayList<>();
  private final List<Running> running = new ArrayList<>();
  private final Queue<String> violations = new ConcurrentLinkedQueue<>();
  private final AtomicLong sure = new AtomicLong();
  private final AtomicLong unsure = new AtomicLong();

  SessionSteps(Snakepit pool, SplittableRandom random, IntFunction<Call> streams) {
    this.pool = pool;
    this.random = random;
    this.streams = streams;
  }

  void open() {
    try {
      open.add(pool.openSession());
      sure.incrementAndGet();
    } catch (SnakepitException e) {
      // Every worker full, or none ready: a typed refusal is an answer. An opening that ran out of time
      // may still have opened the session on its worker, which the pool then closes.
      unsure.incrementAndGet();
    }
  }

  /** The call started in a random open session; null when none is open. */
  CompletableFuture<Object> call(Call call) {
    if (open.isEmpty()) {
      return null;
    }
    try {
      return open.get(random.nextInt(open.size())).executeAsync(call);
    } catch (SnakepitException e) {
      return CompletableFuture.failedFuture(e); // the session was lost before the call
    }
  }

  void close() {
    if (!open.isEmpty()) {
      closeQuietly(open.remove(random.nextInt(open.size())));
    }
  }

  /** Starts a stream of {@code items} items read on a thread of its own, to end within {@code bound}'s bound of its call. */
  void stream(int items, int read, Function<Call, Duration> bound) {
    if (streams == null) {
      return;
    }
    Call call = streams.apply(items);
    Thread reader = Thread.ofVirtual().name("snakepit-chaos-stream").start(() -> read(call, items, read));
    running.add(new Running(call, reader, System.nanoTime() + bound.apply(call).toNanos()));
  }

  /**
   * Waits for every stream to end within its bound, closes the sessions still open, and returns what
   * went wrong.
   */
  List<String> finish() throws InterruptedException {
    for (Running r : running) {
      long left = r.deadlineNanos - System.nanoTime();
      if (left <= 0 || !r.reader.join(Duration.ofNanos(left))) {
        violations.add("the stream of " + r.call.tool() + " did not end within its bound");
        r.reader.interrupt();
      }
    }
    running.clear();
    open.forEach(this::closeQuietly);
    open.clear();
    return List.copyOf(violations);
  }

  long sure() {
    return sure.get();
  }

  long unsure() {
    return unsure.get();
  }

  private void closeQuietly(Session session) {
    if (session.isOpen()) {
      unsure.incrementAndGet();
    }
    try {
      session.close();
    } catch (SnakepitException e) {
      // Its close_session failed or its worker died: the session is closed all the same.
    }
  }

  private void read(Call call, int items, int read) {
    List<Object> got = new ArrayList<>();
    boolean ended = false;
    try (CallStream stream = pool.stream(call)) {
      while (read >= items || got.size() < read) {
        if (!stream.hasNext()) {
          ended = true;
          break;
        }
        got.add(stream.next());
      }
    } catch (SnakepitException e) {
      // A typed end after the items that came: the worker died, the call timed out, the pool closed.
    } catch (RuntimeException e) {
      violations.add("the stream of " + call.tool() + " ended with an untyped error: " + e);
    }
    for (int i = 0; i < got.size(); i++) {
      if (!Long.valueOf(i).equals(got.get(i))) {
        violations.add("item " + i + " of the stream of " + call.tool() + " was " + got.get(i) + ": " + got);
        break;
      }
    }
    if (ended && got.size() != items) {
      violations.add("the stream of " + call.tool() + " ended after " + got.size() + " of " + items + " items");
    }
    (ended ? sure : unsure).incrementAndGet();
  }

  private record Running(Call call, Thread reader, long deadlineNanos) {}
}

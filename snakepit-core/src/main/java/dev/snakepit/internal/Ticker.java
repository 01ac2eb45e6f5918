package dev.snakepit.internal;

/**
 * The pool's one source of time: a monotonic nanosecond count, like {@link System#nanoTime()}, whose
 * values only mean something relative to each other. Every deadline, backoff, age and duration in the
 * pool is read from the ticker it was given, so tests can drive the pool on a fake clock instead of
 * waiting for real time to pass. Nothing under {@code dev.snakepit.internal} reads the system clock but
 * {@link #SYSTEM}.
 */
@FunctionalInterface
public interface Ticker {
  /** The JVM's monotonic clock. */
  Ticker SYSTEM = System::nanoTime;

  /** Nanoseconds since some fixed but arbitrary origin. */
  long nanoTime();
}

package dev.snakepit.internal.protocol;

import java.io.IOException;

/**
 * Runs a file operation with the thread's interrupt held back: a {@code FileChannel} is closed by the
 * JDK when the thread using it is interrupted, which would lose a shared-memory file that a caller
 * (reading its own reply) was about to map. The interrupt is restored afterwards; one that lands during
 * the system call itself still closes the channel.
 */
final class Uninterrupted {
  /** A file operation. */
  @FunctionalInterface
  interface Operation<T> {
    T run() throws IOException;
  }

  private Uninterrupted() {}

  static <T> T call(Operation<T> operation) throws IOException {
    boolean interrupted = Thread.interrupted();
    try {
      return operation.run();
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}

package dev.snakepit.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.SnakepitException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** What a call came to, for tests that expect it to fail. */
public final class Outcomes {
  private Outcomes() {}

  /** The {@link SnakepitException} {@code call} fails with within {@code bound}; an assertion error otherwise. */
  public static SnakepitException failureOf(CompletableFuture<?> call, Duration bound) throws InterruptedException {
    try {
      Object value = call.get(bound.toMillis(), TimeUnit.MILLISECONDS);
      throw new AssertionError("the call returned " + value + " instead of failing");
    } catch (ExecutionException e) {
      assertThat(e.getCause()).isInstanceOf(SnakepitException.class);
      return (SnakepitException) e.getCause();
    } catch (TimeoutException e) {
      throw new AssertionError("the call neither returned nor failed within " + bound, e);
    }
  }
}

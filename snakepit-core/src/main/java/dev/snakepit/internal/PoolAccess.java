package dev.snakepit.internal;

import dev.snakepit.Snakepit;
import java.util.Objects;
import java.util.function.Function;

/**
 * Reaches a pool's internals from modules of this project that need them (the fault injectors of
 * {@code snakepit-chaos}), without widening the public API. {@link Snakepit} installs the accessor when
 * its class initializes, which happens before any instance can be passed here.
 */
public final class PoolAccess {
  private static volatile Function<Snakepit, PoolCore> accessor;

  private PoolAccess() {}

  /** Called once, by {@link Snakepit}'s static initializer. */
  public static void install(Function<Snakepit, PoolCore> value) {
    if (accessor != null) {
      throw new IllegalStateException("the pool accessor is installed already");
    }
    accessor = Objects.requireNonNull(value, "value");
  }

  /** The internals of {@code pool}. */
  public static PoolCore core(Snakepit pool) {
    return accessor.apply(Objects.requireNonNull(pool, "pool"));
  }
}

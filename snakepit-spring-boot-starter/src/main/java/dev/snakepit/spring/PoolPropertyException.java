package dev.snakepit.spring;

/**
 * A pool's setting in the application's configuration that {@link dev.snakepit.PoolConfig.Builder}
 * refused: the message is the property's path followed by the builder's own message, as in
 * {@code snakepit.pools.main.size: PoolConfig.size = 0 is invalid: it must be between 1 and 1024}.
 */
public final class PoolPropertyException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String property;

  PoolPropertyException(String property, String problem, Throwable cause) {
    super(property + ": " + problem, cause);
    this.property = property;
  }

  /** The path of the property at fault, such as {@code snakepit.pools.main.size}. */
  public String property() {
    return property;
  }
}

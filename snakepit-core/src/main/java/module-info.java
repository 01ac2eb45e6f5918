/**
 * Snakepit: a supervised pool of Python worker processes, called from Java.
 *
 * <p>Start with {@link dev.snakepit.Snakepit#start(dev.snakepit.PoolConfig)}. Everything under
 * {@code dev.snakepit.internal} is implementation and may change in any release.
 */
module dev.snakepit {
  requires com.fasterxml.jackson.core;
  requires org.slf4j;

  exports dev.snakepit;
  exports dev.snakepit.spi;
}

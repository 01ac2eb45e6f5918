/**
 * Snakepit: a supervised pool of Python worker processes, called from Java.
 *
 * <p>Start with {@link dev.snakepit.Snakepit#start(dev.snakepit.PoolConfig)}. Everything under
 * {@code dev.snakepit.internal} is implementation and may change in any release.
 */
@SuppressWarnings("module") // the qualified exports name a module built after this one
module dev.snakepit {
  requires com.fasterxml.jackson.core;
  requires org.slf4j;

  exports dev.snakepit;
  exports dev.snakepit.spi;
  // Fault injection needs the pool's internals, and the CLI's crash test reads /proc through the pool's
  // own reader (ProcStat) rather than a copy of it; no other module may reach them.
  exports dev.snakepit.internal to dev.snakepit.chaos;
  exports dev.snakepit.internal.process to dev.snakepit.chaos, dev.snakepit.cli;
}

package dev.snakepit.spi;

import java.nio.file.Path;

/**
 * A step of making a pool's virtual environment ({@code PoolConfig.Builder.requirements} or
 * {@code pyproject}), before any worker starts.
 *
 * @param pool the pool's name
 * @param directory the environment's directory, under the cache
 * @param step what is happening
 * @param line a line pip (or venv) wrote, for {@link Step#OUTPUT}; otherwise what the step is about
 */
public record EnvironmentEvent(String pool, Path directory, Step step, String line) {
  /** The steps, in the order they happen; {@link #REUSED} alone when the environment exists. */
  public enum Step {
    /** Another process (or pool) is making the same environment: this one waits for it. */
    WAITING,
    /** The environment was made before and is used as it is. */
    REUSED,
    /** The virtual environment is being created. */
    CREATING,
    /** pip installs the packages. */
    INSTALLING,
    /** A line of pip's output. */
    OUTPUT,
    /** The environment is ready; its workers start next. */
    READY,
    /** pip or venv failed; the pool does not start. */
    FAILED
  }
}

package dev.snakepit.spi;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Stands between a pool and its workers on the data plane, for fault injection and tracing (the
 * {@code snakepit-chaos} module's proxy is one). Production pools leave it unset.
 *
 * <p>For each worker it starts, the pool listens on a Unix socket of its own and asks the interceptor
 * which socket the worker is to connect to. Returning {@code poolSocket} stays out of the way; returning
 * a socket the interceptor listens on lets it accept the worker's connection and relay the bytes to
 * {@code poolSocket}, changing them as it pleases. Frames are laid out as {@code docs/protocol.md}
 * describes.
 */
@FunctionalInterface
public interface DataPlaneInterceptor {
  /** Stays out of the way: workers connect to the pool's own socket. */
  DataPlaneInterceptor NONE = (pool, workerId, poolSocket) -> poolSocket;

  /**
   * Called before worker {@code workerId} of {@code pool} starts, on the pool's control loop, so it must
   * return quickly. The pool already listens on {@code poolSocket}.
   *
   * @return the path of the Unix socket the worker connects to
   * @throws IOException if the interceptor cannot listen; the worker then fails to start
   */
  Path workerSocket(String pool, String workerId, Path poolSocket) throws IOException;
}

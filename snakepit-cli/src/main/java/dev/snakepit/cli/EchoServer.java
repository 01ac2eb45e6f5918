package dev.snakepit.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The Python side of the raw round trip: {@code echo_server.py} (a resource of this module) run as a
 * {@link PythonServer}, listening on a Unix socket in its private directory.
 */
public final class EchoServer implements AutoCloseable {
  private static final String SCRIPT = "echo_server.py";
  private static final String SOCKET = "echo.sock";

  private final PythonServer server;

  private EchoServer(PythonServer server) {
    this.server = server;
  }

  /**
   * Starts the server with {@code python} and waits until it listens.
   *
   * @throws IOException if it cannot be started or does not become ready; nothing is left behind then
   */
  public static EchoServer start(String python) throws IOException {
    return new EchoServer(PythonServer.start(python, EchoServer.class, SCRIPT, dir -> List.of(dir.resolve(SOCKET).toString())));
  }

  public Path socket() {
    return server.directory().resolve(SOCKET);
  }

  public long pid() {
    return server.pid();
  }

  @Override
  public void close() {
    server.close();
  }
}

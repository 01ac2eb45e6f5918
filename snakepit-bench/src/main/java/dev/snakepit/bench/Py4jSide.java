package dev.snakepit.bench;

import dev.snakepit.cli.PythonServer;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import py4j.GatewayServer;

/**
 * The Py4J reference: a Py4J {@link GatewayServer} in this JVM, a Python process
 * ({@code py4j_ping_server.py}, started with the bench's interpreter) holding a {@link Pinger}, and
 * Java calling its no-op through Py4J's callback client, as an application that drives Python through
 * Py4J does. Both sides listen on the loopback only, on free ports, and accept only a random token.
 *
 * <p>Py4J's callback client keeps a pool of connections: each Java thread that calls at the same time
 * takes one, and the Python side serves each connection on a thread of its own. {@link #close()} stops
 * the Python process and the gateway.
 */
final class Py4jSide implements AutoCloseable {
  /** The Python object's interface as Java calls it; public, so that Py4J can build a proxy of it. */
  public interface Pinger {
    void ping();
  }

  private final GatewayServer gateway;
  private final PythonServer python;
  private final Pinger pinger;

  private Py4jSide(GatewayServer gateway, PythonServer python, Pinger pinger) {
    this.gateway = gateway;
    this.python = python;
    this.pinger = pinger;
  }

  /**
   * Checks that this interpreter can run the Python side (it has the {@code py4j} module) and prints the
   * versions of both sides, which are built from different places.
   */
  static void check(String python) throws References.MissingReference {
    Optional<List<String>> version = PythonProbe.lines(python, "import py4j.version; print(py4j.version.__version__)");
    if (version.isEmpty() || version.get().isEmpty()) {
      throw new References.MissingReference("Py4J is not installed in " + PythonProbe.display(python) + ": build it with "
          + References.BUILD_SCRIPT);
    }
    System.out.println("  Py4J " + version.get().getFirst() + " in " + PythonProbe.display(python) + ", " + javaSide() + " in the JVM");
  }

  /** The jar Py4J's Java side was loaded from (its manifest names no version). */
  private static String javaSide() {
    CodeSource source = GatewayServer.class.getProtectionDomain().getCodeSource();
    return source == null ? "Py4J" : Path.of(source.getLocation().getPath()).getFileName().toString();
  }

  /** Starts the gateway, then the Python side with {@code python}, and fetches the Python side's pinger. */
  static Py4jSide start(String python) throws IOException {
    GatewayServer.turnLoggingOff();
    InetAddress loopback = InetAddress.getLoopbackAddress();
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    String token = HexFormat.of().formatHex(secret);
    GatewayServer gateway = new GatewayServer.GatewayServerBuilder()
        .javaPort(0)
        .javaAddress(loopback)
        .callbackClient(GatewayServer.DEFAULT_PYTHON_PORT, loopback, token)
        .authToken(token)
        .build();
    PythonServer server = null;
    try {
      gateway.start();
      int javaPort = gateway.getListeningPort();
      server = PythonServer.start(python, Py4jSide.class, "py4j_ping_server.py", dir -> List.of(Integer.toString(javaPort),
          tokenFile(dir, token).toString()));
      // The Python side's callback server took a free port, which it printed: point the callback client there.
      gateway.resetCallbackClient(loopback, Integer.parseInt(server.ready()));
      Pinger pinger = (Pinger) gateway.getPythonServerEntryPoint(new Class<?>[] {Pinger.class});
      pinger.ping();
      return new Py4jSide(gateway, server, pinger);
    } catch (IOException | RuntimeException e) {
      stop(gateway, server);
      throw e;
    }
  }

  private static Path tokenFile(Path privateDirectory, String token) {
    try {
      return Files.writeString(privateDirectory.resolve("token"), token);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write the Py4J token into " + privateDirectory + ": " + e.getMessage(), e);
    }
  }

  /** One call of the Python object's no-op method, waiting for its answer. */
  void ping() {
    pinger.ping();
  }

  @Override
  public void close() {
    stop(gateway, python);
  }

  private static void stop(GatewayServer gateway, PythonServer python) {
    try {
      gateway.shutdown();
    } finally {
      if (python != null) {
        python.close();
      }
    }
  }
}

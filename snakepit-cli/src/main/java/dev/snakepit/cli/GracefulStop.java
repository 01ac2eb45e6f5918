package dev.snakepit.cli;

import dev.snakepit.server.SnakepitServer;
import java.util.ArrayList;
import java.util.List;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * SIGTERM and SIGINT stop a server gracefully, before the JVM's shutdown begins: the JVM's own
 * handling would run the shutdown hooks at once, and the pools' exit hook kills workers with calls in
 * progress. The first signal closes the server (requests and calls in progress finish); a second one
 * exits at once (the pools' exit hook still ends every worker).
 */
final class GracefulStop {
  private final List<Signal> signals = new ArrayList<>();
  private final List<SignalHandler> previous = new ArrayList<>();

  private GracefulStop() {}

  static GracefulStop onSignals(SnakepitServer server, Terminal terminal) {
    GracefulStop stop = new GracefulStop();
    boolean[] asked = new boolean[1];
    SignalHandler handler = signal -> {
      synchronized (asked) {
        if (asked[0]) {
          terminal.err().println("second SIG" + signal.getName() + ": exiting now");
          // The JVM's shutdown hooks still kill every worker.
          Thread.ofPlatform().start(() -> System.exit(128 + signal.getNumber()));
          return;
        }
        asked[0] = true;
      }
      terminal.err().println("SIG" + signal.getName() + ": stopping; calls in progress may finish (send it again to exit now)");
      Thread.ofPlatform().name("snakepit-serve-stop").start(server::close);
    };
    for (String name : List.of("TERM", "INT")) {
      Signal signal = new Signal(name);
      stop.previous.add(Signal.handle(signal, handler));
      stop.signals.add(signal);
    }
    return stop;
  }

  /** Puts the JVM's own handling back. */
  void uninstall() {
    for (int i = 0; i < signals.size(); i++) {
      Signal.handle(signals.get(i), previous.get(i));
    }
  }
}

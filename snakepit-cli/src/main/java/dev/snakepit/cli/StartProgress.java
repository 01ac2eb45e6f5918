package dev.snakepit.cli;

import dev.snakepit.spi.EnvironmentEvent;
import dev.snakepit.spi.PoolListener;
import dev.snakepit.spi.WorkerEvent;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A progress bar of workers becoming ready while pools start: a listener on each pool's configuration,
 * drawn from the pools' threads under this object's lock. Once {@link #finish()}ed, later starts (a
 * replacement, say) are not drawn.
 */
final class StartProgress implements PoolListener {
  private final Terminal terminal;
  private final AtomicInteger ready = new AtomicInteger();
  /** Guarded by {@code this}. */
  private ProgressBar bar;
  /** Guarded by {@code this}. */
  private boolean finished;

  StartProgress(Terminal terminal) {
    this.terminal = terminal;
  }

  synchronized void expect(int workers) {
    bar = new ProgressBar(terminal.err(), terminal.interactive(), workers, "workers ready");
    bar.update(ready.get());
  }

  /** The steps of making a pool's environment, and pip's lines, each on a line of its own above the bar. */
  @Override
  public synchronized void environment(EnvironmentEvent event) {
    String line = event.step() == EnvironmentEvent.Step.OUTPUT ? "  " + event.line()
        : "environment of pool '" + event.pool() + "': " + event.step().name().toLowerCase(java.util.Locale.ROOT) + " "
            + event.line() + (event.step() == EnvironmentEvent.Step.CREATING ? " in " + event.directory() : "");
    if (bar != null && !finished) {
      bar.note(line);
    } else {
      terminal.err().println(line);
    }
  }

  @Override
  public void workerStart(WorkerEvent event) {
    int now = ready.incrementAndGet();
    synchronized (this) {
      if (bar != null && !finished) {
        bar.update(now);
      }
    }
  }

  synchronized void finish() {
    if (bar != null && !finished) {
      bar.finish(ready.get());
    }
    finished = true;
  }
}

package dev.snakepit.internal.control;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * Drains a worker's stderr (where the runtime also sends stdout): forwards each line to SLF4J and
 * keeps the last lines for error messages. Runs on its own thread until the stream ends, which happens
 * once the worker and everything it started have exited.
 *
 * <p>A native crash's dump starts with a "Fatal Python error" line and then lists every thread's
 * stack, which can take more lines than the tail keeps. The last such header is therefore kept even
 * after it scrolls out, and the tail starts with it, so the error message still names the crash.
 */
public final class StderrPump implements Runnable {
  private static final int TAIL_LINES = 40;
  private static final int MAX_LINE = 1000;
  private static final String FATAL = "Fatal Python error:";

  private final InputStream in;
  private final WorkerLogs logs;
  private final CompletableFuture<Void> ended = new CompletableFuture<>();
  /** Guarded by itself. */
  private final ArrayDeque<String> tail = new ArrayDeque<>(TAIL_LINES);
  /** The last crash header seen, or null; guarded by {@link #tail}. */
  private String fatalHeader;
  /** Lines written since {@link #fatalHeader}; guarded by {@link #tail}. */
  private int sinceFatal;

  public StderrPump(InputStream in, WorkerLogs logs) {
    this.in = in;
    this.logs = logs;
  }

  @Override
  public void run() {
    var decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPLACE)
        .onUnmappableCharacter(CodingErrorAction.REPLACE);
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, decoder))) {
      for (String line; (line = reader.readLine()) != null; ) {
        String kept = line.length() > MAX_LINE ? line.substring(0, MAX_LINE) + " [cut]" : line;
        synchronized (tail) {
          if (tail.size() == TAIL_LINES) {
            tail.removeFirst();
          }
          tail.addLast(kept);
          if (kept.startsWith(FATAL)) {
            fatalHeader = kept;
            sinceFatal = 0;
          } else {
            sinceFatal++;
          }
        }
        logs.line(line);
      }
    } catch (IOException e) {
      // The pipe was closed under us: the worker is gone; nothing more to read.
    } finally {
      ended.complete(null);
    }
  }

  /**
   * The last lines written, oldest first, joined by newlines. If a crash header has scrolled out of
   * them, it comes first, followed by a line saying how many lines were left out.
   */
  public String tail() {
    synchronized (tail) {
      String lines = String.join("\n", tail);
      if (fatalHeader == null || sinceFatal < TAIL_LINES) {
        return lines;
      }
      int skipped = sinceFatal - TAIL_LINES;
      return fatalHeader + (skipped == 0 ? "" : "\n[" + skipped + " lines left out]") + "\n" + lines;
    }
  }

  /** Completes, on the pump's thread, when the stream has ended. */
  public CompletableFuture<Void> ended() {
    return ended;
  }
}

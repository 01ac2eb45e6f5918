package dev.snakepit.bench;

import dev.snakepit.cli.EchoClient;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The floor's framed echo with one change: replies are read by a thread of their own, which hands each
 * to the waiting caller through a future. A pool reads every worker's socket that way (so that
 * deadlines, cancels, interrupts and asynchronous calls never depend on the caller's thread), and this
 * side measures what that hand-off alone costs, with no other library code.
 */
final class ThreadedEchoClient implements AutoCloseable {
  private final EchoClient client;
  private final Thread reader;
  private volatile CompletableFuture<Void> pending;

  ThreadedEchoClient(Path socket, byte[] payload) throws IOException {
    this.client = new EchoClient(socket, payload);
    this.reader = Thread.ofPlatform().daemon().name("threaded-echo-reader").start(this::readReplies);
  }

  /** Sends the payload and waits until the reader thread has the whole echo. */
  void roundTrip() throws IOException, InterruptedException, TimeoutException {
    CompletableFuture<Void> call = new CompletableFuture<>();
    pending = call;
    client.send();
    try {
      call.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new IOException("the reader thread failed", e.getCause());
    }
  }

  private void readReplies() {
    try {
      while (true) {
        client.receive();
        pending.complete(null);
      }
    } catch (IOException e) {
      CompletableFuture<Void> call = pending;
      if (call != null) {
        call.completeExceptionally(e);
      }
    }
  }

  @Override
  public void close() throws IOException, InterruptedException {
    client.close();
    reader.join(TimeUnit.SECONDS.toMillis(10));
  }
}

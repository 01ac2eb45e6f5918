package dev.snakepit.bench;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
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
  private final SocketChannel channel;
  private final ByteBuffer request;
  private final ByteBuffer reply;
  private final Thread reader;
  private volatile CompletableFuture<Void> pending;

  ThreadedEchoClient(Path socket, byte[] payload) throws IOException {
    this.channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      channel.connect(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    this.request = ByteBuffer.allocateDirect(4 + payload.length);
    request.putInt(payload.length).put(payload).flip();
    this.reply = ByteBuffer.allocateDirect(4 + payload.length);
    this.reader = Thread.ofPlatform().daemon().name("threaded-echo-reader").start(this::readReplies);
  }

  /** Sends the payload and waits until the reader thread has the whole echo. */
  void roundTrip() throws IOException, InterruptedException, TimeoutException {
    CompletableFuture<Void> call = new CompletableFuture<>();
    pending = call;
    request.rewind();
    while (request.hasRemaining()) {
      channel.write(request);
    }
    try {
      call.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new IOException("the reader thread failed", e.getCause());
    }
  }

  private void readReplies() {
    try {
      while (true) {
        reply.clear();
        while (reply.hasRemaining()) {
          if (channel.read(reply) < 0) {
            throw new EOFException("the echo server closed the connection");
          }
        }
        if (reply.getInt(0) != reply.capacity() - 4) {
          throw new IOException("the echo server answered a frame of " + reply.getInt(0) + " bytes, not " + (reply.capacity() - 4));
        }
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
    channel.close();
    reader.join(TimeUnit.SECONDS.toMillis(10));
  }
}

package dev.snakepit.cli;

import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * The Java side of the raw round trip: a blocking Unix socket channel that sends one frame (4-byte
 * big-endian length, then the payload) and reads the echo, with buffers allocated once. One call at a
 * time: {@link #roundTrip()} sends and reads in the calling thread; {@link #send()} and
 * {@link #receive()} let another thread read. No library code: this is the least a call over a Unix
 * socket can cost from Java.
 */
public final class EchoClient implements AutoCloseable {
  private final SocketChannel channel;
  private final ByteBuffer request;
  private final ByteBuffer reply;

  public EchoClient(Path socket, byte[] payload) throws IOException {
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
  }

  /**
   * Sends the payload and waits for its echo.
   *
   * @throws IOException if the channel fails or the echo differs from what was sent
   */
  public void roundTrip() throws IOException {
    send();
    receive();
  }

  /** Sends the payload; {@link #receive()} then reads its echo, possibly on another thread. */
  public void send() throws IOException {
    request.rewind();
    while (request.hasRemaining()) {
      channel.write(request);
    }
  }

  /**
   * Waits for the echo of what {@link #send()} sent.
   *
   * @throws IOException if the channel fails or the echo differs from what was sent
   */
  public void receive() throws IOException {
    reply.clear().limit(4);
    fill();
    int length = reply.getInt(0);
    if (length != reply.capacity() - 4) {
      throw new IOException("the echo server answered a frame of " + length + " bytes, not " + (reply.capacity() - 4));
    }
    reply.limit(reply.capacity());
    fill();
    reply.flip();
    // A view of its own: the request's position belongs to send(), which may run on another thread.
    if (!reply.equals(request.duplicate().rewind())) {
      throw new IOException("the echo server answered different bytes than it was sent");
    }
  }

  private void fill() throws IOException {
    while (reply.hasRemaining()) {
      if (channel.read(reply) < 0) {
        throw new EOFException("the echo server closed the connection");
      }
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}

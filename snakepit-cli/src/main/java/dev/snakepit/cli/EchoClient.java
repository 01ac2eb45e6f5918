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
 * big-endian length, then the payload) and reads the echo in the same thread, with buffers allocated
 * once. No library code: this is the least a call over a Unix socket can cost from Java.
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
    request.rewind();
    while (request.hasRemaining()) {
      channel.write(request);
    }
    reply.clear().limit(4);
    fill();
    int length = reply.getInt(0);
    if (length != reply.capacity() - 4) {
      throw new IOException("the echo server answered a frame of " + length + " bytes, not " + (reply.capacity() - 4));
    }
    reply.limit(reply.capacity());
    fill();
    reply.flip();
    request.rewind();
    if (!reply.equals(request)) {
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

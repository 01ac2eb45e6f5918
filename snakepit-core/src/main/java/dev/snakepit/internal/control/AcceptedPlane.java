package dev.snakepit.internal.control;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * One of the two planes a worker forked from a template connects to, instead of the pipes of a process
 * the JVM started (docs/protocol.md, section 4.16): its control plane or its stderr, on a Unix socket
 * the pool listens on in its private directory. The worker sends its token and a newline first.
 *
 * <p>The plane is made before the worker exists and connected by the first read of {@link #input()},
 * on the thread that then reads it: that read accepts the one connection, checks the token, closes
 * the listener and removes its file. A plane closed before its worker connected reads as ended.
 * {@link #output()} writes to the worker once it is connected (before that, nothing is waiting for
 * what it would say, and it is dropped); closing it shuts the socket's sending side, which the worker
 * reads as the end of its lifeline, while its own side can still be read to its end.
 *
 * <p>The channel stays in blocking mode and is read and written directly: a socket channel reads and
 * writes under separate locks, where the JDK's stream adapters would hold one lock for both.
 */
public final class AcceptedPlane implements AutoCloseable {
  /** A token is 64 hexadecimal digits; a longer first line is not one. */
  private static final int MAX_TOKEN_LINE = 128;
  private static final int READ_BUFFER = 64 * 1024;

  private final String name;
  private final Path path;
  private final byte[] token;
  private final ServerSocketChannel listener;
  private final Object lock = new Object();
  /** Guarded by lock; null until connected. */
  private SocketChannel channel;
  /** Guarded by lock. */
  private boolean closed;
  /** Guarded by lock: the lifeline was closed, before or after the connection. */
  private boolean lifelineClosed;
  private final InputStream input = new BufferedInputStream(new Input(), READ_BUFFER);
  private final OutputStream output = new Output();

  private AcceptedPlane(String name, Path path, String token, ServerSocketChannel listener) {
    this.name = name;
    this.path = path;
    this.token = token.getBytes(StandardCharsets.US_ASCII);
    this.listener = listener;
  }

  /**
   * Listens on {@code path} (a stale file there is replaced) for the one connection of a worker that
   * presents {@code token}; {@code name} says which plane it is in messages.
   */
  public static AcceptedPlane listen(String name, Path path, String token) throws IOException {
    Files.deleteIfExists(path);
    ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    try {
      listener.bind(UnixDomainSocketAddress.of(path), 1);
    } catch (IOException | RuntimeException e) {
      listener.close();
      throw e;
    }
    return new AcceptedPlane(name, path, token, listener);
  }

  /** Where the worker connects. */
  public Path path() {
    return path;
  }

  /** What the worker sends; the first read waits for its connection. Ends when the worker's side closes. */
  public InputStream input() {
    return input;
  }

  /** What goes to the worker; {@code close()} ends its lifeline. */
  public OutputStream output() {
    return output;
  }

  /**
   * Stops waiting for the worker if it has not connected (it never will: it is dead), so that a read
   * waiting for it ends; a plane that is connected is left to be read to its end.
   */
  public void stopListening() {
    synchronized (lock) {
      if (channel != null) {
        return;
      }
      closed = true;
    }
    closeQuietly(listener);
    deleteFile();
  }

  /** Closes the listener, the connection and the socket's file; a read waiting for the worker ends. Idempotent. */
  @Override
  public void close() {
    SocketChannel connected;
    synchronized (lock) {
      closed = true;
      connected = channel;
    }
    closeQuietly(listener);
    if (connected != null) {
      closeQuietly(connected);
    }
    deleteFile();
  }

  /** The connected channel, accepting it first if need be; null when the plane was closed before. */
  private SocketChannel connected() throws IOException {
    synchronized (lock) {
      if (channel != null || closed) {
        return channel;
      }
    }
    SocketChannel accepted;
    try {
      accepted = listener.accept();
    } catch (IOException e) {
      synchronized (lock) {
        if (closed) {
          return null;
        }
      }
      throw e;
    } finally {
      closeQuietly(listener); // one connection only
      deleteFile();
    }
    try {
      checkToken(accepted);
    } catch (IOException e) {
      closeQuietly(accepted);
      throw e;
    }
    synchronized (lock) {
      if (closed) {
        closeQuietly(accepted);
        return null;
      }
      channel = accepted;
      if (lifelineClosed) {
        accepted.shutdownOutput();
      }
      return accepted;
    }
  }

  /** Reads the first line, byte by byte so that nothing after it is consumed, and compares it with the token. */
  private void checkToken(SocketChannel accepted) throws IOException {
    ByteBuffer one = ByteBuffer.allocate(1);
    byte[] line = new byte[MAX_TOKEN_LINE];
    int length = 0;
    while (true) {
      one.clear();
      if (accepted.read(one) < 0) {
        throw new IOException("the " + name + " connection closed before the worker's token");
      }
      byte b = one.get(0);
      if (b == '\n') {
        break;
      }
      if (length == MAX_TOKEN_LINE) {
        throw new IOException("the " + name + " connection did not start with the worker's token");
      }
      line[length++] = b;
    }
    byte[] presented = Arrays.copyOf(line, length);
    if (!MessageDigest.isEqual(presented, token)) {
      throw new IOException("the " + name + " connection presented a wrong token");
    }
  }

  private void deleteFile() {
    try {
      Files.deleteIfExists(path);
    } catch (IOException ignored) {
      // The run directory is removed at the pool's close.
    }
  }

  private static void closeQuietly(Channel c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // Closing is best effort.
    }
  }

  /** Reads from the connection, connecting first; -1 once the worker's side ended or the plane closed. */
  private final class Input extends InputStream {
    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] into, int offset, int length) throws IOException {
      SocketChannel c = connected();
      if (c == null) {
        return -1;
      }
      if (length == 0) {
        return 0;
      }
      try {
        return c.read(ByteBuffer.wrap(into, offset, length));
      } catch (IOException e) {
        synchronized (lock) {
          if (closed) {
            return -1; // closed by the pool while reading: the worker is being buried
          }
        }
        throw e;
      }
    }
  }

  /** Writes to the connection, dropping what comes before it; close() shuts the sending side. */
  private final class Output extends OutputStream {
    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] from, int offset, int length) throws IOException {
      SocketChannel c;
      synchronized (lock) {
        c = channel;
        if (lifelineClosed || closed) {
          throw new IOException("the " + name + " plane's sending side is closed");
        }
      }
      if (c == null) {
        return; // not connected yet: no worker reads this plane
      }
      ByteBuffer buffer = ByteBuffer.wrap(from, offset, length);
      while (buffer.hasRemaining()) {
        c.write(buffer);
      }
    }

    @Override
    public void close() throws IOException {
      SocketChannel c;
      synchronized (lock) {
        if (lifelineClosed) {
          return;
        }
        lifelineClosed = true;
        c = channel;
      }
      if (c != null && c.isOpen()) {
        c.shutdownOutput();
      }
    }
  }
}

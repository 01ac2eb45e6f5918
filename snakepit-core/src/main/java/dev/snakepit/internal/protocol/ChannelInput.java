package dev.snakepit.internal.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.AbstractSelectableChannel;
import java.util.Objects;

/**
 * The reading side of a socket channel in non-blocking mode: a buffered, blocking {@link InputStream}
 * for a {@link FrameReader}, and a wait for the next bytes that an interrupt or {@link #wake()} ends
 * without closing anything.
 *
 * <p>A thread interrupted inside a blocking channel read loses the channel: the JDK closes it. Here
 * threads wait on a selector instead, which an interrupt only wakes. The stream's own reads clear the
 * interrupt status while they wait for the rest of a frame and set it again before they return, so a
 * frame that has started arriving is read to its end by the thread that started it. Only an interrupt
 * landing inside the non-blocking read system call itself still closes the channel.
 *
 * <p>Not thread-safe: the thread that holds a worker's reading role is the only one reading, and it
 * passes the role on under a lock, which orders its reads before the next holder's.
 */
public final class ChannelInput extends InputStream {
  /**
   * The bulk buffer's size. The buffers are direct and belong to the input, not to a thread: a channel
   * reads into a heap buffer through a temporary direct buffer as large as the read, which the JDK
   * then keeps for the thread, and here any calling thread may read.
   */
  static final int BULK_BYTES = 1024 * 1024;

  private final ReadableByteChannel source;
  private final Selector selector;
  /** Bytes read from the channel and not yet taken lie between position and limit. */
  private final ByteBuffer buffer;
  /** For reads of at least the buffer's size; made on first use. */
  private ByteBuffer bulk;

  /**
   * Puts {@code channel} in non-blocking mode and registers it with a selector of its own.
   *
   * @param bufferBytes the read buffer; reads at least this large go through a second buffer of
   *     {@value #BULK_BYTES} bytes, made when first needed
   */
  public <C extends AbstractSelectableChannel & ReadableByteChannel> ChannelInput(C channel, int bufferBytes)
      throws IOException {
    this.source = Objects.requireNonNull(channel, "channel");
    channel.configureBlocking(false);
    this.selector = Selector.open();
    try {
      channel.register(selector, SelectionKey.OP_READ);
    } catch (IOException | RuntimeException e) {
      selector.close();
      throw e;
    }
    this.buffer = ByteBuffer.allocateDirect(bufferBytes).flip();
  }

  /**
   * Waits at most {@code nanos} for bytes, or the end of the stream, to be ready to read.
   *
   * @return true when they are, or when the channel or this input was closed (the next read then
   *     reports it); false when the time passed, {@link #wake()} was called, or the thread is or
   *     becomes interrupted. The interrupt status is left set.
   */
  public boolean awaitReadable(long nanos) {
    if (buffer.hasRemaining()) {
      return true;
    }
    if (Thread.currentThread().isInterrupted()) {
      return false;
    }
    try {
      return (nanos <= 0 ? selector.selectNow(key -> { }) : selector.select(key -> { }, toSelectMillis(nanos))) > 0;
    } catch (ClosedSelectorException | IOException e) {
      return true;
    }
  }

  /** Ends a wait in {@link #awaitReadable}, or makes the next one return at once. */
  public void wake() {
    selector.wakeup();
  }

  @Override
  public int read() throws IOException {
    byte[] one = new byte[1];
    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
  }

  @Override
  public int read(byte[] into, int offset, int length) throws IOException {
    Objects.checkFromIndexSize(offset, length, into.length);
    if (length == 0) {
      return 0;
    }
    if (!buffer.hasRemaining()) {
      if (length >= buffer.capacity()) {
        return readBulk(into, offset, length);
      }
      buffer.clear();
      int n = readWaiting(buffer);
      buffer.flip();
      if (n < 0) {
        return -1;
      }
    }
    int n = Math.min(length, buffer.remaining());
    buffer.get(into, offset, n);
    return n;
  }

  @Override
  public int available() {
    return buffer.remaining();
  }

  /** Closes the selector, which wakes a waiting thread; the channel is its owner's to close. */
  @Override
  public void close() throws IOException {
    selector.close();
  }

  private int readBulk(byte[] into, int offset, int length) throws IOException {
    if (bulk == null) {
      bulk = ByteBuffer.allocateDirect(BULK_BYTES);
    }
    bulk.clear().limit(Math.min(length, BULK_BYTES));
    int n = readWaiting(bulk);
    if (n > 0) {
      bulk.flip().get(into, offset, n);
    }
    return n;
  }

  /**
   * Reads at least one byte into {@code into}, waiting as long as it takes; -1 at the end of the
   * stream. The caller's interrupt status is cleared before each read and set again on return.
   */
  private int readWaiting(ByteBuffer into) throws IOException {
    boolean interrupted = false;
    try {
      while (true) {
        interrupted |= Thread.interrupted();
        int n = source.read(into);
        if (n != 0) {
          return n;
        }
        try {
          selector.select(key -> { }, 0);
        } catch (ClosedSelectorException e) {
          throw new ClosedChannelException();
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** A selector timeout in milliseconds: at least 1 (0 would mean forever), 0 for a wait without end. */
  private static long toSelectMillis(long nanos) {
    if (nanos >= Long.MAX_VALUE / 2) {
      return 0;
    }
    return Math.max(1, (nanos + 999_999) / 1_000_000);
  }
}

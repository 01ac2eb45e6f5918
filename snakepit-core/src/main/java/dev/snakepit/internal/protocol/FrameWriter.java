package dev.snakepit.internal.protocol;

import static dev.snakepit.internal.protocol.FrameLayout.LENGTH_FIELD_BYTES;
import static dev.snakepit.internal.protocol.FrameLayout.MIN_FRAME_BYTES;
import static dev.snakepit.internal.protocol.FrameLayout.TABLE_ENTRY_BYTES;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Writes whole frames to one channel, from any number of threads.
 *
 * <p>The layout (docs/protocol.md, section 2.1; integers unsigned, big-endian):
 *
 * <pre>
 *   length L (u32) | kind (u8) | flags (u8) | reserved (u16) = 0 | request id (u64)
 *   | body length B (u32) | attachment count A (u32) | A attachment lengths (u32 each)
 *   | B bytes of UTF-8 JSON | the attachments one after another
 *   where L = 20 + 4*A + B + (sum of attachment lengths), and 4 + L &lt;= maxFrameBytes
 * </pre>
 *
 * <p>The size is checked before a single byte is written: an oversize frame throws
 * {@link FrameTooLargeException} and leaves the channel untouched and usable. Header, table, body and
 * attachments go out in gathering writes straight from the caller's arrays, which are never copied
 * here; large ones are written in slices so that the JDK's per-thread temporary direct buffers, which
 * it uses for heap buffers, stay small.
 *
 * <p>{@code lock} guards the channel, so that frames from concurrent callers never interleave, as
 * well as the reusable header buffer and {@code failure}. It is a {@link ReentrantLock} rather than
 * {@code synchronized} so that, on JDK 21 to 23, a virtual thread blocked in a write does not pin its
 * carrier thread.
 * An I/O error can leave half a frame on the wire, after which no receiver can find the next frame
 * boundary, so the writer then refuses every further frame.
 *
 * <p>The channel may be in non-blocking mode: when its buffer is full the writer waits, on a selector
 * it opens for that frame and closes after it, until the channel takes more bytes. Either way a frame
 * is out in full when {@code write} returns.
 *
 * <p>A {@code SocketChannel} is closed by the JDK when the thread writing to it is interrupted, which
 * for a worker's data socket means losing the worker. The writer therefore clears the thread's
 * interrupt status while it writes a frame and sets it again afterwards: an interrupt that came
 * before, or while the writer waited for room, closes nothing. One that lands during the write
 * system call itself still closes the channel.
 */
public final class FrameWriter {

  // Slices of heap buffers given to one write call, and the bytes per call: each heap slice is copied
  // by the JDK into a temporary direct buffer that it then keeps, per thread, for reuse.
  private static final int MAX_SLICE_BYTES = 256 * 1024;
  private static final int MAX_BYTES_PER_WRITE = 1024 * 1024;
  private static final int MAX_BUFFERS_PER_WRITE = 64;
  private static final int COPY_CHUNK_BYTES = 8192;

  private final WritableByteChannel channel; // null when writing to a stream
  private final OutputStream stream; // null when writing to a channel
  private final int maxFrameBytes;
  private final ReentrantLock lock = new ReentrantLock();

  // Guarded by lock.
  private ByteBuffer header = ByteBuffer.allocate(MIN_FRAME_BYTES + 16 * TABLE_ENTRY_BYTES);
  // Guarded by lock; set when a write failed part-way.
  private IOException failure;
  // Guarded by lock; for buffers without an accessible array written to a stream.
  private byte[] copyChunk;
  // Guarded by lock; open only while a frame waits for room in a non-blocking channel.
  private Selector roomSelector;
  // Guarded by lock; an interrupt that ended a wait for room, to be restored after the frame.
  private boolean roomInterrupted;

  /**
   * A writer to a channel, such as a Unix {@code SocketChannel}, in blocking or non-blocking mode.
   *
   * <p>Do not pass {@code Channels.newChannel(process.getOutputStream())}: a process's output stream
   * is buffered and that adapter never flushes it; use {@link #toStream} for pipes.
   */
  public FrameWriter(WritableByteChannel channel, int maxFrameBytes) {
    this(Objects.requireNonNull(channel, "channel"), null, maxFrameBytes);
  }

  /**
   * A writer to a stream, such as {@code process.getOutputStream()} (a worker's control plane),
   * flushed after every frame.
   */
  public static FrameWriter toStream(OutputStream out, int maxFrameBytes) {
    return new FrameWriter(null, Objects.requireNonNull(out, "out"), maxFrameBytes);
  }

  private FrameWriter(WritableByteChannel channel, OutputStream stream, int maxFrameBytes) {
    this.channel = channel;
    this.stream = stream;
    this.maxFrameBytes = FrameLayout.requireValidMax(maxFrameBytes);
  }

  public int maxFrameBytes() {
    return maxFrameBytes;
  }

  /** Writes a frame whose body the {@link ValueEncoder} made, with its attachments and flags. */
  public void write(FrameKind kind, long requestId, EncodedBody body)
      throws IOException, FrameTooLargeException {
    write(kind, body.flags(), requestId, body.json(), body.attachmentViews());
  }

  /** Writes a frame whose body the {@link ValueEncoder} made, with its flags and {@code extraFlags}. */
  public void write(FrameKind kind, long requestId, EncodedBody body, int extraFlags)
      throws IOException, FrameTooLargeException {
    write(kind, body.flags() | extraFlags, requestId, body.json(), body.attachmentViews());
  }

  /** Writes a frame as it was read, for instance to pass it on. */
  public void write(Frame frame) throws IOException, FrameTooLargeException {
    List<ByteBuffer> attachments = new ArrayList<>(frame.attachments().size());
    for (byte[] attachment : frame.attachments()) {
      attachments.add(ByteBuffer.wrap(attachment));
    }
    write(frame.kind(), frame.flags(), frame.requestId(), ByteBuffer.wrap(frame.body()), attachments);
  }

  /**
   * Writes one frame atomically with respect to other writers. The buffers' remaining bytes are sent;
   * their positions are not moved.
   *
   * @throws FrameTooLargeException when {@code 4 + L} exceeds the maximum; nothing was written
   * @throws IOException when writing fails, or failed for an earlier frame
   */
  public void write(FrameKind kind, int flags, long requestId, ByteBuffer body, List<ByteBuffer> attachments)
      throws IOException, FrameTooLargeException {
    Objects.requireNonNull(kind, "kind");
    if (flags < 0 || flags > 0xFF) {
      throw new IllegalArgumentException("flags " + flags + " do not fit the frame's flags byte (0 to 255)");
    }
    // Own views: the caller's positions stay put, and nothing the caller does to them afterwards can
    // make the header disagree with the bytes that follow it.
    ByteBuffer bodyView = body.duplicate();
    ByteBuffer[] attachmentViews = new ByteBuffer[attachments.size()];
    long attachmentBytes = 0;
    for (int i = 0; i < attachmentViews.length; i++) {
      attachmentViews[i] = attachments.get(i).duplicate();
      attachmentBytes += attachmentViews[i].remaining();
    }
    long frameBytes = FrameLayout.frameBytes(bodyView.remaining(), attachmentViews.length, attachmentBytes);
    if (frameBytes > maxFrameBytes) {
      throw new FrameTooLargeException(frameBytes, maxFrameBytes);
    }
    lock.lock();
    try {
      if (failure != null) {
        throw new IOException("the channel is broken: an earlier frame was only partly written", failure);
      }
      List<ByteBuffer> parts = new ArrayList<>(2 + attachmentViews.length);
      parts.add(fillHeader(kind, flags, requestId, frameBytes, bodyView.remaining(), attachmentViews));
      addSlices(parts, bodyView);
      for (ByteBuffer attachment : attachmentViews) {
        addSlices(parts, attachment);
      }
      boolean interrupted = Thread.interrupted();
      try {
        if (stream != null) {
          drainToStream(parts);
        } else {
          drainToChannel(parts.toArray(new ByteBuffer[0]));
        }
      } catch (IOException | RuntimeException e) {
        failure = e instanceof IOException io ? io : new IOException(e);
        throw e;
      } finally {
        interrupted |= closeRoomSelector();
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /** Length field, fixed header and attachment table, in the reusable buffer. Caller holds the lock. */
  private ByteBuffer fillHeader(FrameKind kind, int flags, long requestId, long frameBytes, int bodyBytes,
      ByteBuffer[] attachments) {
    int size = MIN_FRAME_BYTES + TABLE_ENTRY_BYTES * attachments.length;
    if (header.capacity() < size) {
      header = ByteBuffer.allocate(size);
    }
    ByteBuffer out = header.clear();
    out.putInt((int) (frameBytes - LENGTH_FIELD_BYTES))
        .put((byte) kind.code())
        .put((byte) flags)
        .putShort((short) 0)
        .putLong(requestId)
        .putInt(bodyBytes)
        .putInt(attachments.length);
    for (ByteBuffer attachment : attachments) {
      out.putInt(attachment.remaining());
    }
    return out.flip();
  }

  /** Adds a view's remaining bytes, in slices of at most {@link #MAX_SLICE_BYTES}. */
  private static void addSlices(List<ByteBuffer> parts, ByteBuffer source) {
    int start = source.position();
    int end = source.limit();
    if (end - start <= MAX_SLICE_BYTES) {
      if (end > start) {
        parts.add(source);
      }
      return;
    }
    for (int at = start; at < end; at += MAX_SLICE_BYTES) {
      parts.add(source.slice(at, Math.min(MAX_SLICE_BYTES, end - at)));
    }
  }

  private void drainToChannel(ByteBuffer[] parts) throws IOException {
    if (!(channel instanceof GatheringByteChannel gathering)) {
      for (ByteBuffer part : parts) {
        while (part.hasRemaining()) {
          if (channel.write(part) == 0) {
            awaitRoom();
          }
        }
      }
      return;
    }
    int first = 0;
    while (first < parts.length) {
      int end = first;
      long bytes = 0;
      do {
        bytes += parts[end++].remaining();
      } while (end < parts.length && end - first < MAX_BUFFERS_PER_WRITE
          && bytes + parts[end].remaining() <= MAX_BYTES_PER_WRITE);
      if (gathering.write(parts, first, end - first) == 0) {
        awaitRoom();
      }
      while (first < parts.length && !parts[first].hasRemaining()) {
        first++;
      }
    }
  }

  /**
   * A non-blocking channel took nothing: waits until it has room. An interrupt ends the wait early
   * and is cleared, so that the next write does not close the channel; the caller restores it.
   * Caller holds the lock.
   */
  private void awaitRoom() throws IOException {
    if (!(channel instanceof SelectableChannel selectable) || selectable.isBlocking()) {
      return; // a blocking channel that wrote nothing simply tries again
    }
    if (roomSelector == null) {
      roomSelector = Selector.open();
      selectable.register(roomSelector, SelectionKey.OP_WRITE);
    }
    roomSelector.select(key -> { }, 0);
    roomInterrupted |= Thread.interrupted();
  }

  /** Closes the selector of a frame that had to wait for room; returns whether an interrupt came meanwhile. */
  private boolean closeRoomSelector() {
    boolean interrupted = roomInterrupted;
    roomInterrupted = false;
    if (roomSelector != null) {
      Selector selector = roomSelector;
      roomSelector = null;
      try {
        selector.close();
      } catch (IOException e) {
        // Nothing to do: closing a selector releases its descriptors even when it reports a failure.
      }
    }
    return interrupted;
  }

  private void drainToStream(List<ByteBuffer> parts) throws IOException {
    for (ByteBuffer part : parts) {
      if (part.hasArray()) {
        stream.write(part.array(), part.arrayOffset() + part.position(), part.remaining());
        continue;
      }
      if (copyChunk == null) {
        copyChunk = new byte[COPY_CHUNK_BYTES];
      }
      while (part.hasRemaining()) {
        int n = Math.min(copyChunk.length, part.remaining());
        part.get(copyChunk, 0, n);
        stream.write(copyChunk, 0, n);
      }
    }
    stream.flush();
  }
}

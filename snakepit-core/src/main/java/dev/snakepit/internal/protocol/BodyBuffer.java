package dev.snakepit.internal.protocol;

import java.io.OutputStream;
import java.util.Arrays;

/**
 * Collects the JSON the generator flushes. Jackson buffers up to 8000 bytes itself and, for a small
 * body, flushes once, at close; the first write therefore allocates exactly what it gets, so a small
 * body ends up in an array of its own size that the frame writer sends as is.
 */
final class BodyBuffer extends OutputStream {

  private static final byte[] EMPTY = new byte[0];

  private byte[] bytes = EMPTY;
  private int size;

  @Override
  public void write(int b) {
    ensureRoom(1);
    bytes[size++] = (byte) b;
  }

  @Override
  public void write(byte[] source, int offset, int length) {
    ensureRoom(length);
    System.arraycopy(source, offset, bytes, size, length);
    size += length;
  }

  /** The backing array; only its first {@link #size()} bytes are the body. */
  byte[] array() {
    return bytes;
  }

  int size() {
    return size;
  }

  private void ensureRoom(int more) {
    int needed = size + more;
    if (needed < 0) {
      throw new OutOfMemoryError("a frame body cannot exceed " + Integer.MAX_VALUE + " bytes");
    }
    if (needed > bytes.length) {
      int grown = bytes.length == 0 ? needed : (int) Math.min(Integer.MAX_VALUE - 8L, 2L * bytes.length);
      bytes = Arrays.copyOf(bytes, Math.max(grown, needed));
    }
  }
}

package dev.snakepit;

import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * Arrow record batches as the bytes of Arrow's IPC stream format: a table that crosses to Python as
 * one tag and one attachment (docs/protocol.md, section 3.4) and arrives there as a
 * {@code pyarrow.Table}. A {@code pyarrow.Table} or {@code RecordBatch}, or a pandas or polars
 * {@code DataFrame}, that a tool returns arrives in Java as an {@code ArrowData} over the received bytes.
 *
 * <p>The core has no Arrow dependency and does not look inside the bytes. The optional module
 * {@code snakepit-arrow} converts between {@code ArrowData} and Arrow Java's {@code VectorSchemaRoot}:
 *
 * <pre>{@code
 * ArrowData sent = ArrowTables.toArrowData(root);                  // snakepit-arrow
 * ArrowData back = (ArrowData) python.execute("summarize", Map.of("table", sent));
 * try (VectorSchemaRoot summary = ArrowTables.read(back, allocator)) { ... }
 * }</pre>
 *
 * <p>Python needs pyarrow to receive or send one; without it, the call fails with
 * {@link ErrorKind#SERIALIZATION_ERROR}, whose message says so. Immutable as far as this class goes: a
 * wrapped buffer must not be changed while the value is in use.
 */
public final class ArrowData {
  private final ByteBuffer stream;

  private ArrowData(ByteBuffer stream) {
    this.stream = stream;
  }

  /**
   * The record batches in {@code ipcStream}, Arrow's IPC stream format, from its position to its
   * limit; the buffer is taken as it is, without a copy.
   *
   * @throws NullPointerException if {@code ipcStream} is null
   */
  public static ArrowData of(ByteBuffer ipcStream) {
    Objects.requireNonNull(ipcStream, "ArrowData.of: ipcStream must not be null");
    return new ArrowData(ipcStream.slice());
  }

  /** The record batches in {@code ipcStream}, Arrow's IPC stream format, without a copy. */
  public static ArrowData of(byte[] ipcStream) {
    Objects.requireNonNull(ipcStream, "ArrowData.of: ipcStream must not be null");
    return new ArrowData(ByteBuffer.wrap(ipcStream));
  }

  /** A read-only view of the IPC stream's bytes, positioned at 0. */
  public ByteBuffer bytes() {
    return stream.asReadOnlyBuffer();
  }

  /** The size of the IPC stream in bytes. */
  public int byteSize() {
    return stream.remaining();
  }

  /** Equal when the bytes are equal. */
  @Override
  public boolean equals(Object other) {
    return other instanceof ArrowData that && stream.equals(that.stream);
  }

  @Override
  public int hashCode() {
    return stream.hashCode();
  }

  @Override
  public String toString() {
    return "ArrowData[" + stream.remaining() + " bytes of Arrow IPC stream]";
  }
}

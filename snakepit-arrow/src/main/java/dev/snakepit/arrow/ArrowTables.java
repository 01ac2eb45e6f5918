package dev.snakepit.arrow;

import dev.snakepit.ArrowData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.util.Objects;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.util.TransferPair;
import org.apache.arrow.vector.util.VectorSchemaRootAppender;

/**
 * Arrow record batches to and from a pool: a {@link VectorSchemaRoot} becomes an {@link ArrowData} (the
 * bytes of Arrow's IPC stream format), which a call sends as one attachment and a tool receives as a
 * {@code pyarrow.Table}; a table or DataFrame a tool returns arrives as an {@code ArrowData}, read back
 * into a root here.
 *
 * <pre>{@code
 * try (BufferAllocator allocator = new RootAllocator();
 *     VectorSchemaRoot features = buildFeatures(allocator)) {
 *   ArrowData scored = (ArrowData) python.execute("score", Map.of("rows", ArrowTables.toArrowData(features)));
 *   try (VectorSchemaRoot scores = ArrowTables.read(scored, allocator)) {
 *     Float8Vector score = (Float8Vector) scores.getVector("score");
 *     ...
 *   }
 * }
 * }</pre>
 *
 * <p>Arrow Java needs {@code --add-opens=java.base/java.nio=ALL-UNNAMED} (or
 * {@code =org.apache.arrow.memory.core} on the module path) and an allocator implementation on the
 * class path, such as {@code arrow-memory-unsafe} or {@code arrow-memory-netty}.
 */
public final class ArrowTables {
  private ArrowTables() {}

  /**
   * The IPC stream of {@code root}'s current record batch: a schema message and one batch. Copies the
   * vectors' buffers once, into the stream's bytes.
   *
   * @throws NullPointerException if {@code root} is null
   */
  public static ArrowData toArrowData(VectorSchemaRoot root) {
    return toArrowData(root, new DictionaryProvider.MapDictionaryProvider());
  }

  /** As {@link #toArrowData(VectorSchemaRoot)}, for a root whose dictionary-encoded vectors' dictionaries {@code dictionaries} holds. */
  public static ArrowData toArrowData(VectorSchemaRoot root, DictionaryProvider dictionaries) {
    Objects.requireNonNull(root, "ArrowTables.toArrowData: root must not be null");
    Objects.requireNonNull(dictionaries, "ArrowTables.toArrowData: dictionaries must not be null");
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(estimate(root));
    try (ArrowStreamWriter writer = new ArrowStreamWriter(root, dictionaries, Channels.newChannel(bytes))) {
      writer.start();
      writer.writeBatch();
      writer.end();
    } catch (IOException e) {
      throw new UncheckedIOException("writing a record batch into memory failed", e);
    }
    return ArrowData.of(bytes.toByteArray());
  }

  /**
   * Every record batch of {@code data} in one root, whose buffers {@code allocator} holds; the caller
   * closes it. One batch is moved into the root as read; more are appended to the first.
   *
   * @throws IllegalArgumentException if the bytes are not an Arrow IPC stream, naming why
   */
  public static VectorSchemaRoot read(ArrowData data, BufferAllocator allocator) {
    Objects.requireNonNull(data, "ArrowTables.read: data must not be null");
    Objects.requireNonNull(allocator, "ArrowTables.read: allocator must not be null");
    try (ArrowStreamReader reader = reader(data, allocator)) {
      VectorSchemaRoot batch = reader.getVectorSchemaRoot();
      VectorSchemaRoot all = VectorSchemaRoot.create(batch.getSchema(), allocator);
      try {
        boolean first = true;
        while (reader.loadNextBatch()) {
          if (first) {
            moveInto(batch, all);
            first = false;
          } else {
            VectorSchemaRootAppender.append(all, batch);
          }
        }
        return all;
      } catch (IOException | RuntimeException e) {
        all.close();
        throw e;
      }
    } catch (IOException e) {
      throw notAStream(data, e);
    }
  }

  /**
   * A reader of {@code data}'s record batches, one at a time, as Arrow Java reads a stream: for tables
   * that need not be in memory at once. The caller closes it.
   */
  public static ArrowStreamReader reader(ArrowData data, BufferAllocator allocator) {
    Objects.requireNonNull(data, "ArrowTables.reader: data must not be null");
    Objects.requireNonNull(allocator, "ArrowTables.reader: allocator must not be null");
    return new ArrowStreamReader(new BufferChannel(data.bytes()), allocator);
  }

  private static void moveInto(VectorSchemaRoot from, VectorSchemaRoot to) {
    for (int i = 0; i < from.getFieldVectors().size(); i++) {
      FieldVector source = from.getVector(i);
      TransferPair transfer = source.makeTransferPair(to.getVector(i));
      transfer.transfer();
    }
    to.setRowCount(from.getRowCount());
  }

  private static IllegalArgumentException notAStream(ArrowData data, IOException e) {
    return new IllegalArgumentException("the " + data.byteSize() + " bytes of the ArrowData are not an Arrow IPC stream: "
        + e.getMessage(), e);
  }

  private static int estimate(VectorSchemaRoot root) {
    long size = 1024;
    for (FieldVector vector : root.getFieldVectors()) {
      size += vector.getBufferSize();
    }
    return (int) Math.min(size, Integer.MAX_VALUE - 16);
  }

  /** Reads a buffer's bytes as a channel, without copying them first. */
  private static final class BufferChannel implements ReadableByteChannel {
    private final ByteBuffer bytes;
    private boolean open = true;

    BufferChannel(ByteBuffer bytes) {
      this.bytes = bytes;
    }

    @Override
    public int read(ByteBuffer into) {
      if (!bytes.hasRemaining()) {
        return -1;
      }
      int n = Math.min(into.remaining(), bytes.remaining());
      into.put(into.position(), bytes, bytes.position(), n);
      into.position(into.position() + n);
      bytes.position(bytes.position() + n);
      return n;
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public void close() {
      open = false;
    }
  }
}

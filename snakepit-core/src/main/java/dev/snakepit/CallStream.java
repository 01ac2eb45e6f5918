package dev.snakepit;

import dev.snakepit.internal.ItemStream;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The items of a tool's result as they come: a tool that is a generator (or an async generator) streams
 * each item it yields, and any other tool's value is a stream of one item. Start one with
 * {@link Snakepit#stream(Call)} or {@link Session#stream(Call)}, and close it: closing a stream that has
 * not ended cancels its call, which closes the generator in the worker so that its {@code finally}
 * blocks run.
 *
 * <pre>{@code
 * try (CallStream tokens = python.stream(Call.of("generate").withArg("prompt", "Once upon a time"))) {
 *   while (tokens.hasNext()) {
 *     System.out.print(tokens.next());
 *   }
 * }
 * }</pre>
 *
 * <p>The worker runs ahead of the consumer by at most {@link StreamOptions#credit()} items: its
 * generator advances only while the consumer has room, so a slow consumer holds the worker's memory
 * flat. Items are converted as results are ({@code docs/protocol.md}); {@code null} items are allowed.
 *
 * <p>How a stream ends: {@link #hasNext()} returns false after the last item; or, after the items that
 * came before it, it throws a {@link SnakepitException}: the tool's exception
 * ({@link ErrorKind#PYTHON_EXCEPTION}), an item that cannot cross ({@link ErrorKind#SERIALIZATION_ERROR}),
 * the whole stream's timeout or the item timeout ({@link ErrorKind#TIMEOUT}), the worker's death
 * ({@link ErrorKind#WORKER_CRASHED}, or {@link ErrorKind#SESSION_LOST} in a strict session), a full
 * queue or a closed pool. Once thrown, it throws the same exception again. Streams are never retried.
 *
 * <p>One thread reads a stream; {@link #close()} may be called from any thread, and a reader waiting
 * in {@code hasNext} then returns false. Interrupting the reader cancels the call and throws
 * {@link ErrorKind#CANCELLED}.
 */
public final class CallStream implements Iterator<Object>, AutoCloseable {
  private final ItemStream items;

  CallStream(ItemStream items) {
    this.items = items;
  }

  /** The tool streamed. */
  public String tool() {
    return items.tool();
  }

  /**
   * Whether another item comes, waiting for it if none has arrived.
   *
   * @throws SnakepitException when the stream failed, once the items that came before the failure are taken
   */
  @Override
  public boolean hasNext() {
    return items.hasNext();
  }

  /**
   * The next item.
   *
   * @throws NoSuchElementException when the stream has ended or was closed
   * @throws SnakepitException when the stream failed, as {@link #hasNext()}
   */
  @Override
  public Object next() {
    return items.next();
  }

  /** How many items {@link #next()} has returned. */
  public long delivered() {
    return items.delivered();
  }

  /**
   * The rest of the items as a sequential {@link Stream}, in order; closing it closes this stream.
   *
   * <pre>{@code
   * try (Stream<Object> rows = python.stream(Call.of("read_rows")).stream()) {
   *   rows.limit(100).forEach(System.out::println);
   * }
   * }</pre>
   */
  public Stream<Object> stream() {
    return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED), false).onClose(this::close);
  }

  /** Stops reading: a stream that has not ended has its call cancelled and its generator closed. Idempotent. */
  @Override
  public void close() {
    items.close();
  }

  @Override
  public String toString() {
    return "CallStream[tool=" + items.tool() + ", delivered=" + items.delivered() + "]";
  }
}

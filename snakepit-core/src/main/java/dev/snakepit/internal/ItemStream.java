package dev.snakepit.internal;

import dev.snakepit.ErrorKind;
import dev.snakepit.SnakepitException;
import dev.snakepit.internal.dispatch.Dispatcher;
import dev.snakepit.internal.dispatch.PendingCall;
import dev.snakepit.internal.dispatch.StreamItems;
import dev.snakepit.internal.protocol.Frame;
import dev.snakepit.internal.protocol.Messages;
import dev.snakepit.internal.protocol.ValueDecoder;
import dev.snakepit.internal.protocol.ValueDecodingException;
import java.time.Duration;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CompletableFuture;
import java.util.function.UnaryOperator;

/**
 * The consumer's side of a streamed call (docs/protocol.md, section 4.13): takes its items from its
 * {@link StreamItems}, decodes each on the consumer's thread, enforces the item timeout, and ends with
 * the call's error after the items that came before it. Closing it early cancels the call, which closes
 * the generator in the worker.
 *
 * <p>One consumer thread calls {@link #hasNext} and {@link #next}; {@link #close} may come from any
 * thread.
 */
public final class ItemStream {
  private static final ValueDecoder DECODER = new ValueDecoder();

  private final String pool;
  private final PendingCall call;
  private final StreamItems items;
  private final Dispatcher dispatcher;
  private final Ticker ticker;
  private final long itemTimeoutNanos;
  /** When the consumer stops waiting whatever happens, in {@link Ticker} terms: beyond every timeout of the pool. */
  private final long boundNanos;
  private final UnaryOperator<SnakepitException> failures;
  private Object next;
  private boolean peeked;
  private long delivered;
  private boolean finished;
  private RuntimeException failed;
  private volatile boolean closed;

  ItemStream(String pool, PendingCall call, StreamItems items, Dispatcher dispatcher, Ticker ticker, Duration itemTimeout,
      Duration bound, UnaryOperator<SnakepitException> failures) {
    this.pool = pool;
    this.call = call;
    this.items = items;
    this.dispatcher = dispatcher;
    this.ticker = ticker;
    this.itemTimeoutNanos = itemTimeout.toNanos();
    this.boundNanos = ticker.nanoTime() + bound.toNanos();
    this.failures = failures;
  }

  /** The tool streamed. */
  public String tool() {
    return call.tool();
  }

  /** How many items {@link #next} has returned. */
  public long delivered() {
    return delivered;
  }

  /** The call behind the stream. */
  public PendingCall call() {
    return call;
  }

  /** Completes when the call has been answered: its stream is over in the worker. */
  public CompletableFuture<Object> done() {
    return call.future();
  }

  /** Whether another item comes; waits for it. Throws the stream's error once its earlier items are taken. */
  public boolean hasNext() {
    if (peeked) {
      return true;
    }
    if (failed != null) {
      throw failed;
    }
    if (closed || finished) {
      return false;
    }
    long now = ticker.nanoTime();
    long wait = boundNanos - now;
    boolean itemLimited = itemTimeoutNanos > 0 && itemTimeoutNanos < wait;
    Frame frame;
    try {
      frame = items.take(itemLimited ? itemTimeoutNanos : wait);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw stop(ErrorKind.CANCELLED, "the thread reading the stream of tool '" + call.tool() + "' was interrupted", e);
    }
    if (frame != null) {
      next = decode(frame);
      peeked = true;
      return true;
    }
    if (closed) {
      return false;
    }
    if (items.over()) {
      Throwable error = items.failure();
      if (error == null) {
        finished = true;
        return false;
      }
      throw failed = forCaller(error);
    }
    if (itemLimited) {
      throw stop(ErrorKind.TIMEOUT, "no item of the stream of tool '" + call.tool() + "' came within "
          + Duration.ofNanos(itemTimeoutNanos) + " (StreamOptions.itemTimeout)", null);
    }
    throw stop(ErrorKind.TIMEOUT, "internal error: the stream of tool '" + call.tool() + "' got no item nor end within "
        + Duration.ofNanos(boundNanos - now) + ", beyond every timeout of the pool", null);
  }

  /** The next item; see {@link #hasNext}. */
  public Object next() {
    if (!hasNext()) {
      throw new NoSuchElementException("the stream of tool '" + call.tool() + "' has no more items (" + delivered
          + " delivered" + (closed && !finished ? ", closed early" : "") + ")");
    }
    Object value = next;
    next = null;
    peeked = false;
    delivered++;
    return value;
  }

  /** Stops reading: an unfinished call is cancelled, and its generator closed in the worker. Idempotent. */
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    items.close();
    if (!call.future().isDone()) {
      dispatcher.cancel(call, "its stream was closed after " + delivered + " items");
    }
  }

  private Object decode(Frame frame) {
    try {
      return Messages.resultValue(DECODER.decode(frame) instanceof Map<?, ?> body ? body : Map.of());
    } catch (ValueDecodingException e) {
      throw stop(ErrorKind.SERIALIZATION_ERROR, "item " + (delivered + 1) + " of the stream of tool '" + call.tool()
          + "' cannot be read: " + e.getMessage(), e);
    }
  }

  /** Ends the stream from this side with an error, which every later {@link #hasNext} throws too. */
  private SnakepitException stop(ErrorKind kind, String message, Throwable cause) {
    SnakepitException error = SnakepitException.builder(kind, message + " after " + delivered + " items, in pool '" + pool
        + "'; the call was cancelled").pool(pool).tool(call.tool()).cause(cause).build();
    failed = error;
    close();
    return error;
  }

  private RuntimeException forCaller(Throwable error) {
    if (error instanceof SnakepitException s) {
      SnakepitException mapped = failures.apply(s);
      mapped.fillInStackTrace();
      return mapped;
    }
    return SnakepitException.builder(ErrorKind.WORKER_CRASHED, "internal error: " + error).cause(error).build();
  }
}

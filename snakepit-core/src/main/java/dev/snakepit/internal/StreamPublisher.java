package dev.snakepit.internal;

import java.util.Objects;
import java.util.concurrent.Flow;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A streamed call as a {@link Flow.Publisher}: each subscription starts its own call when the subscriber
 * first requests items, and a virtual thread takes them from the {@link ItemStream} only while the
 * subscriber has demand, so the subscriber's demand reaches the worker's generator as credit.
 * {@code cancel()} closes the stream, which cancels the call.
 *
 * <p>Every signal after {@code onSubscribe} comes from the subscription's one thread, so they never
 * overlap; a {@code request} of zero or less ends the subscription with an
 * {@link IllegalArgumentException} (Reactive Streams rule 3.9).
 */
public final class StreamPublisher implements Flow.Publisher<Object> {
  private final Supplier<ItemStream> open;

  /** A publisher whose every subscription runs {@code open} to start its call. */
  public StreamPublisher(Supplier<ItemStream> open) {
    this.open = open;
  }

  @Override
  public void subscribe(Flow.Subscriber<? super Object> subscriber) {
    Objects.requireNonNull(subscriber, "Flow.Publisher.subscribe: subscriber must not be null");
    subscriber.onSubscribe(new Subscription(subscriber));
  }

  private final class Subscription implements Flow.Subscription {
    private final Flow.Subscriber<? super Object> subscriber;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Guarded by lock. */
    private long demand;
    /** Guarded by lock. */
    private boolean cancelled;
    /** Guarded by lock: the first request of zero or less. */
    private long illegal = 1;
    /** Guarded by lock. */
    private boolean started;
    /** Set by the subscription's thread once the call is open. */
    private volatile ItemStream stream;

    Subscription(Flow.Subscriber<? super Object> subscriber) {
      this.subscriber = subscriber;
    }

    @Override
    public void request(long n) {
      boolean start;
      lock.lock();
      try {
        if (n <= 0 && illegal > 0) {
          illegal = n;
        } else if (n > 0) {
          demand = demand + n < 0 ? Long.MAX_VALUE : demand + n; // at most Long.MAX_VALUE: unbounded
        }
        start = !started && !cancelled;
        started = true;
        changed.signal();
      } finally {
        lock.unlock();
      }
      if (start) {
        Thread.ofVirtual().name("snakepit-stream-publisher").start(this::run);
      }
    }

    @Override
    public void cancel() {
      lock.lock();
      try {
        cancelled = true;
        changed.signal();
      } finally {
        lock.unlock();
      }
      ItemStream open = stream;
      if (open != null) {
        open.close();
      }
    }

    private void run() {
      ItemStream items;
      try {
        items = open.get();
      } catch (RuntimeException e) {
        subscriber.onError(e);
        return;
      }
      stream = items;
      try (AutoCloseable closing = items::close) {
        while (awaitDemand()) {
          if (!items.hasNext()) {
            subscriber.onComplete();
            return;
          }
          subscriber.onNext(items.next());
        }
      } catch (RuntimeException e) {
        if (!cancelledNow()) {
          subscriber.onError(e);
        }
      } catch (Exception e) {
        throw new IllegalStateException("closing a stream throws nothing checked", e);
      }
    }

    /**
     * Waits until the subscriber wants an item, and takes one unit of its demand; false once it
     * cancelled, or broke rule 3.9, which is then signalled.
     */
    private boolean awaitDemand() {
      long refused;
      lock.lock();
      try {
        while (demand == 0 && !cancelled && illegal > 0) {
          changed.awaitUninterruptibly();
        }
        if (cancelled) {
          return false;
        }
        refused = illegal;
        if (refused > 0) {
          if (demand != Long.MAX_VALUE) {
            demand--;
          }
          return true;
        }
        cancelled = true;
      } finally {
        lock.unlock();
      }
      subscriber.onError(new IllegalArgumentException("Flow.Subscription.request(" + refused
          + ") is invalid: it must request at least 1 item (Reactive Streams rule 3.9)"));
      return false;
    }

    private boolean cancelledNow() {
      lock.lock();
      try {
        return cancelled;
      } finally {
        lock.unlock();
      }
    }
  }
}

package dev.snakepit;

import java.time.Duration;

/**
 * How a {@link CallStream} reads its items. Immutable; start from {@link #defaults()} and change what you
 * need. The whole stream's timeout is the call's own ({@link Call#withTimeout}, else
 * {@link PoolConfig#callTimeout()}): it counts from the moment a worker starts the call to the last item.
 *
 * <pre>{@code
 * StreamOptions options = StreamOptions.defaults().withCredit(64).withItemTimeout(Duration.ofSeconds(5));
 * }</pre>
 *
 * @param credit how many items the worker may send ahead of the consumer (16 by default, 1 to 65,536).
 *     The worker's generator is advanced only while it has credit, so this also bounds the items held in
 *     memory on both sides: a consumer that stops reading stops the generator
 * @param itemTimeout how long the consumer waits for the next item before the stream fails with
 *     {@link ErrorKind#TIMEOUT} and the call is cancelled; {@link Duration#ZERO} (the default) for no
 *     limit beyond the whole stream's timeout, else positive and at most one day. The wait counts only
 *     while the consumer waits on an empty buffer, when the worker always holds credit, so it measures
 *     the generator and never a slow consumer
 */
public record StreamOptions(int credit, Duration itemTimeout) {
  /** The default {@link #credit()}: 16 items. */
  public static final int DEFAULT_CREDIT = 16;
  /** The largest {@link #credit()}. */
  public static final int MAX_CREDIT = 65_536;
  private static final Duration MAX_ITEM_TIMEOUT = Duration.ofDays(1);

  public StreamOptions {
    if (credit < 1 || credit > MAX_CREDIT) {
      throw new IllegalArgumentException("StreamOptions.credit = " + credit + " is invalid: it must be 1 to " + MAX_CREDIT);
    }
    if (itemTimeout == null || itemTimeout.isNegative() || itemTimeout.compareTo(MAX_ITEM_TIMEOUT) > 0) {
      throw new IllegalArgumentException("StreamOptions.itemTimeout = " + itemTimeout + " is invalid: it must be between 0 (none) and "
          + MAX_ITEM_TIMEOUT);
    }
  }

  /** A credit of 16 items and no item timeout. */
  public static StreamOptions defaults() {
    return new StreamOptions(DEFAULT_CREDIT, Duration.ZERO);
  }

  /** These options with another credit. */
  public StreamOptions withCredit(int value) {
    return new StreamOptions(value, itemTimeout);
  }

  /** These options with an item timeout ({@link Duration#ZERO} for none). */
  public StreamOptions withItemTimeout(Duration value) {
    return new StreamOptions(credit, value);
  }
}

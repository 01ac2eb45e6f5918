package dev.snakepit;

/**
 * Why a pool replaced a healthy worker on purpose (see {@link PoolConfig.Builder#recycleAfterCalls} and
 * the other recycling settings). A recycled worker finishes the call it runs; no call fails because of
 * a recycle.
 */
public enum RecycleReason {
  /** It served its share of calls. */
  CALLS("calls served"),
  /** It reached its maximum age. */
  AGE("age"),
  /** Its process tree's resident memory passed the limit. */
  MEMORY("memory"),
  /** Too many of its recent calls ended with an error. */
  ERROR_RATE("error rate"),
  /** Something outside the pool asked for it, such as a fault injector of {@code snakepit-chaos}. */
  REQUESTED("requested");

  private final String description;

  RecycleReason(String description) {
    this.description = description;
  }

  /** A few words for messages and logs, such as "calls served". */
  public String description() {
    return description;
  }
}

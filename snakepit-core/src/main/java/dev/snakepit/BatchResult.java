package dev.snakepit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome of {@link Snakepit#map}: for each input, in input order, the tool's result or the
 * {@link SnakepitException} that ended that item. One item's failure is its own: the others ran.
 *
 * <pre>{@code
 * BatchResult scores = python.map("score", texts.stream().map(t -> Map.<String, Object>of("text", t)).toList());
 * for (int i = 0; i < scores.size(); i++) {
 *   if (scores.failed(i)) {
 *     log.warn("text {} was not scored", i, scores.error(i).orElseThrow());
 *   } else {
 *     store(texts.get(i), (Double) scores.get(i));
 *   }
 * }
 * List<Object> all = scores.values();   // or all at once: throws the first item's failure, if any
 * }</pre>
 *
 * <p>An item fails with the kind a single call would: {@link ErrorKind#PYTHON_EXCEPTION} with its
 * traceback when the tool raised, {@link ErrorKind#INVALID_REQUEST} when its arguments do not fit the
 * tool, {@link ErrorKind#SERIALIZATION_ERROR} when its arguments or result cannot cross. Items that
 * shared a failure (their part of the batch timed out, or its worker crashed) share its exception.
 * Immutable and thread-safe.
 */
public final class BatchResult {
  private final Object[] values;
  private final SnakepitException[] errors;
  private final int failures;

  BatchResult(Object[] values, SnakepitException[] errors) {
    this.values = values;
    this.errors = errors;
    int failed = 0;
    for (SnakepitException error : errors) {
      if (error != null) {
        failed++;
      }
    }
    this.failures = failed;
  }

  /** The number of items: that of the inputs. */
  public int size() {
    return values.length;
  }

  /** Whether item {@code index} failed. */
  public boolean failed(int index) {
    return errors[Objects.checkIndex(index, errors.length)] != null;
  }

  /**
   * The result of item {@code index}, converted as {@link Snakepit#execute(Call)} converts a result.
   *
   * @throws SnakepitException the item's failure, if it failed
   * @throws IndexOutOfBoundsException if there is no such item
   */
  public Object get(int index) {
    SnakepitException error = errors[Objects.checkIndex(index, errors.length)];
    if (error != null) {
      throw error;
    }
    return values[index];
  }

  /** The failure of item {@code index}, or empty if it succeeded. */
  public Optional<SnakepitException> error(int index) {
    return Optional.ofNullable(errors[Objects.checkIndex(index, errors.length)]);
  }

  /** How many items failed. */
  public int failureCount() {
    return failures;
  }

  /** The indexes of the items that failed, in ascending order. */
  public List<Integer> failedIndexes() {
    List<Integer> failed = new ArrayList<>(failures);
    for (int i = 0; i < errors.length; i++) {
      if (errors[i] != null) {
        failed.add(i);
      }
    }
    return Collections.unmodifiableList(failed);
  }

  /**
   * Every item's result, in input order (unmodifiable; {@code null} where the tool returned
   * {@code None}).
   *
   * @throws SnakepitException the failure of the first item that failed, if any
   */
  public List<Object> values() {
    for (SnakepitException error : errors) {
      if (error != null) {
        throw error;
      }
    }
    return Collections.unmodifiableList(Arrays.asList(values));
  }

  /** Such as {@code BatchResult[1000 items, 2 failed: 17, 512]}, naming at most 10 failed items. */
  @Override
  public String toString() {
    StringBuilder text = new StringBuilder("BatchResult[").append(values.length).append(" items, ")
        .append(failures).append(" failed");
    List<Integer> failed = failedIndexes();
    if (!failed.isEmpty()) {
      text.append(": ");
      for (int i = 0; i < Math.min(10, failed.size()); i++) {
        text.append(i == 0 ? "" : ", ").append(failed.get(i));
      }
      text.append(failed.size() > 10 ? ", ..." : "");
    }
    return text.append(']').toString();
  }
}

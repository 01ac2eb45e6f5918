package dev.snakepit.internal;

import dev.snakepit.Call;
import dev.snakepit.ErrorKind;
import dev.snakepit.PoolConfig;
import dev.snakepit.SnakepitException;
import dev.snakepit.internal.protocol.FrameKind;
import dev.snakepit.internal.protocol.FrameTooLargeException;
import dev.snakepit.internal.protocol.Messages;
import dev.snakepit.internal.protocol.ValueEncodingException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs batches (docs/protocol.md, section 4.15): splits a batch's inputs into chunks, one CALL each,
 * keeps a few chunks per worker in flight so that a worker finds its next chunk waiting, and gathers
 * every item's result or error in input order. A batch has one deadline, counted from its start. A
 * chunk that fails as a whole (its part of the deadline passed, its worker crashed past the
 * template's retries, the queue was full) fails each of its items; an item whose arguments cannot be
 * encoded fails alone, and a chunk too large for one frame is split.
 */
public final class BatchRunner {
  /** Items one chunk carries at most. */
  static final int MAX_CHUNK = 1024;
  /** Chunks per worker that a batch with enough items is split into, so that workers finish together. */
  private static final int CHUNKS_PER_WORKER = 4;
  /** Chunks per worker in flight at once: one running, one waiting for it. */
  private static final int IN_FLIGHT_PER_WORKER = 2;
  private static final Duration SAFETY_MARGIN = Duration.ofMinutes(1);
  /** The path, in a chunk's CALL body, of an item's arguments; see Messages.batch. */
  private static final Pattern ITEM_PATH = Pattern.compile("\\$\\.batch\\[(\\d+)]");

  /** Makes what the caller gets from a batch's values and errors, one of each per input. */
  @FunctionalInterface
  public interface Finish<T> {
    T of(Object[] values, SnakepitException[] errors);
  }

  /** A chunk's answer and the worker that sent it. */
  private record Answered(String workerId, Object value) {}

  private static final CallRunner.Answer<Answered> ANSWERED =
      (answered, value, attempts) -> new Answered(answered.answeredBy().id(), value);

  private final PoolConfig config;
  private final String pool;
  private final CallRunner runner;
  private final IntSupplier workers;
  private final Ticker ticker;

  BatchRunner(PoolConfig config, CallRunner runner, IntSupplier workers, Ticker ticker) {
    this.config = config;
    this.pool = config.name();
    this.runner = runner;
    this.workers = workers;
    this.ticker = ticker;
  }

  /**
   * Starts the batch of {@code template}'s tool over {@code inputs}. Misuse throws here; a pool that
   * cannot take the batch at all (closed, unknown tool) fails the future. Cancelling the future
   * cancels the chunks in flight and sends no more.
   */
  public <T> CompletableFuture<T> start(String method, Call template, List<? extends Map<String, ?>> inputs,
      Finish<T> finish) {
    List<Map<String, Object>> items = checked(method, inputs);
    try {
      runner.admit(FrameKind.CALL, template.tool());
    } catch (SnakepitException e) {
      return CompletableFuture.failedFuture(e);
    }
    Batch<T> batch = new Batch<>(template, items, finish);
    batch.start();
    return batch.result;
  }

  /** Waits for a batch that {@link #start} started; an interrupt cancels it. */
  public <T> T await(CompletableFuture<T> batch, Call template) {
    Duration bound = timeout(template).plus(config.acquireTimeout()).plus(config.cancelGrace()).plus(SAFETY_MARGIN);
    try {
      return batch.get(bound.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw CallRunner.forCaller(e.getCause());
    } catch (InterruptedException e) {
      batch.cancel(true);
      Thread.currentThread().interrupt();
      throw SnakepitException.builder(ErrorKind.CANCELLED, "the thread running a batch of tool '" + template.tool()
          + "' of pool '" + pool + "' was interrupted; the batch was cancelled")
          .pool(pool).tool(template.tool()).cause(e).build();
    } catch (TimeoutException e) {
      batch.cancel(true);
      throw SnakepitException.builder(ErrorKind.TIMEOUT, "internal error: the batch of tool '" + template.tool()
          + "' did not end within " + bound + ", beyond every timeout of pool '" + pool + "'")
          .pool(pool).tool(template.tool()).build();
    }
  }

  private Duration timeout(Call template) {
    return template.timeout() != null ? template.timeout() : config.callTimeout();
  }

  @SuppressWarnings("unchecked") // each key was checked to be a String
  private static List<Map<String, Object>> checked(String method, List<? extends Map<String, ?>> inputs) {
    Objects.requireNonNull(inputs, () -> method + ": inputs must not be null; use List.of() for none");
    List<Map<String, Object>> items = new ArrayList<>(inputs.size());
    for (Map<String, ?> input : inputs) {
      int index = items.size();
      if (input == null) {
        throw new NullPointerException(method + ": inputs[" + index + "] must not be null; use Map.of() for an item"
            + " without arguments");
      }
      for (Object key : input.keySet()) {
        if (!(key instanceof String)) {
          throw new IllegalArgumentException(method + ": a key of inputs[" + index + "] = "
              + (key == null ? "null" : key + " (" + key.getClass().getName() + ")")
              + " is invalid: every keyword name must be a String");
        }
      }
      items.add((Map<String, Object>) input);
    }
    return items;
  }

  /** One batch's state, guarded by its monitor; completions of its chunks arrive on virtual threads. */
  private final class Batch<T> {
    final String tool;
    final List<Object> args;
    final Map<String, Object> common;
    final int retries;
    final Duration timeout;
    final long deadline;
    final List<Map<String, Object>> items;
    final Object[] values;
    final SnakepitException[] errors;
    final Finish<T> finish;
    final CompletableFuture<T> result = new CompletableFuture<>();
    /** Chunks not yet sent, each the indexes of its items. */
    final ArrayDeque<int[]> waiting = new ArrayDeque<>();
    final Set<CompletableFuture<Answered>> running = new HashSet<>();
    int window;
    boolean launching;

    Batch(Call template, List<Map<String, Object>> items, Finish<T> finish) {
      this.tool = template.tool();
      this.args = template.args();
      this.common = template.kwargs();
      this.retries = template.retries();
      this.timeout = timeout(template);
      this.deadline = ticker.nanoTime() + timeout.toNanos();
      this.items = items;
      this.values = new Object[items.size()];
      this.errors = new SnakepitException[items.size()];
      this.finish = finish;
    }

    void start() {
      int n = items.size();
      int size = Math.max(1, workers.getAsInt());
      window = size * IN_FLIGHT_PER_WORKER;
      int chunk = Math.clamp(Math.ceilDiv(n, size * CHUNKS_PER_WORKER), 1, MAX_CHUNK);
      for (int from = 0; from < n; from += chunk) {
        int[] indexes = new int[Math.min(chunk, n - from)];
        for (int i = 0; i < indexes.length; i++) {
          indexes[i] = from + i;
        }
        waiting.add(indexes);
      }
      result.whenComplete((value, error) -> {
        if (result.isCancelled()) {
          cancelRunning();
        }
      });
      boolean done;
      synchronized (this) {
        done = launch();
      }
      if (done) {
        complete();
      }
    }

    /**
     * Sends chunks while the window has room; returns whether the batch has ended. Under the monitor;
     * the result is completed outside it, since its dependent stages run on completion.
     */
    private boolean launch() {
      launching = true;
      try {
        while (!result.isDone() && running.size() < window && !waiting.isEmpty()) {
          send(waiting.poll());
        }
      } finally {
        launching = false;
      }
      return running.isEmpty() && waiting.isEmpty();
    }

    private void complete() {
      result.complete(finish.of(values, errors));
    }

    private void send(int[] chunk) {
      long left = deadline - ticker.nanoTime();
      if (left < TimeUnit.MILLISECONDS.toNanos(1)) {
        SnakepitException late = SnakepitException.builder(ErrorKind.TIMEOUT, "the batch of tool '" + tool + "' of pool '"
            + pool + "' passed its timeout of " + timeout + " before this item was sent")
            .pool(pool).tool(tool).build();
        for (int item : chunk) {
          errors[item] = late;
        }
        return;
      }
      Duration part = Duration.ofMillis(TimeUnit.NANOSECONDS.toMillis(left));
      List<Map<String, Object>> arguments = new ArrayList<>(chunk.length);
      for (int item : chunk) {
        arguments.add(items.get(item));
      }
      Request request = new Request(FrameKind.CALL, tool, Messages.batch(tool, args, common, arguments, part.toMillis()),
          part, retries, null);
      CompletableFuture<Answered> answer = runner.executeAsync(request, ANSWERED);
      running.add(answer);
      answer.whenComplete((answered, error) -> ended(answer, chunk, answered, error));
    }

    private void ended(CompletableFuture<Answered> answer, int[] chunk, Answered answered, Throwable error) {
      boolean done;
      synchronized (this) {
        running.remove(answer);
        if (result.isDone()) {
          return;
        }
        if (error != null) {
          failed(chunk, error instanceof SnakepitException s ? s : CallRunner.forCaller(error));
        } else {
          answered(chunk, answered);
        }
        done = !launching && launch(); // while launching, launch() itself goes on and says when the batch ended
      }
      if (done) {
        complete();
      }
    }

    /** A chunk failed as a whole: its items fail, but for an item that cannot be sent or a chunk too large. */
    private void failed(int[] chunk, SnakepitException failure) {
      if (failure.kind() == ErrorKind.SERIALIZATION_ERROR && failure.getCause() instanceof ValueEncodingException bad) {
        Matcher path = ITEM_PATH.matcher(bad.path());
        if (path.lookingAt()) {
          int at = Integer.parseInt(path.group(1));
          int item = chunk[at];
          errors[item] = SnakepitException.builder(ErrorKind.SERIALIZATION_ERROR, "cannot send inputs[" + item
              + "] of the batch of tool '" + tool + "' to pool '" + pool + "': "
              + bad.getMessage().replace(path.group(), "inputs[" + item + "]"))
              .pool(pool).tool(tool).cause(bad).build();
          int[] rest = new int[chunk.length - 1];
          System.arraycopy(chunk, 0, rest, 0, at);
          System.arraycopy(chunk, at + 1, rest, at, rest.length - at);
          if (rest.length > 0) {
            waiting.addFirst(rest);
          }
          return;
        }
      }
      if (failure.getCause() instanceof FrameTooLargeException && chunk.length > 1) {
        int half = chunk.length / 2;
        waiting.addFirst(Arrays.copyOfRange(chunk, half, chunk.length));
        waiting.addFirst(Arrays.copyOfRange(chunk, 0, half));
        return;
      }
      for (int item : chunk) {
        errors[item] = failure;
      }
    }

    /** A chunk's answer: {@code {"results": [...], "errors": [[index, error body], ...]}}. */
    private void answered(int[] chunk, Answered answered) {
      String worker = answered.workerId();
      if (!(answered.value() instanceof Map<?, ?> body) || !(body.get("results") instanceof List<?> results)
          || results.size() != chunk.length) {
        failed(chunk, SnakepitException.builder(ErrorKind.SERIALIZATION_ERROR, "worker " + worker + " of pool '" + pool
            + "' answered a batch of " + chunk.length + " items of tool '" + tool + "' with a value that is not "
            + "{\"results\": [one per item], \"errors\": [...]}").pool(pool).worker(worker).tool(tool).build());
        return;
      }
      for (int i = 0; i < chunk.length; i++) {
        values[chunk[i]] = results.get(i);
      }
      if (!(body.get("errors") instanceof List<?> failures)) {
        return;
      }
      for (Object entry : failures) {
        if (entry instanceof List<?> pair && pair.size() == 2 && pair.get(0) instanceof Long at
            && at >= 0 && at < chunk.length && pair.get(1) instanceof Map<?, ?> error) {
          int item = chunk[at.intValue()];
          values[item] = null;
          errors[item] = PythonErrors.fromErrorBody(error, pool, worker, tool,
              "inputs[" + item + "] of a batch of tool '" + tool + "' on worker " + worker + " of pool '" + pool + "'");
        }
      }
    }

    private void cancelRunning() {
      List<CompletableFuture<Answered>> cancelled;
      synchronized (this) {
        waiting.clear();
        cancelled = List.copyOf(running);
      }
      cancelled.forEach(answer -> answer.cancel(true));
    }
  }
}

package dev.snakepit.internal;

import dev.snakepit.CallResult;
import dev.snakepit.ErrorKind;
import dev.snakepit.PoolConfig;
import dev.snakepit.SnakepitException;
import dev.snakepit.StreamOptions;
import dev.snakepit.ToolInfo;
import dev.snakepit.internal.dispatch.Dispatcher;
import dev.snakepit.internal.dispatch.PendingCall;
import dev.snakepit.internal.dispatch.StreamItems;
import dev.snakepit.spi.CallTracer;
import dev.snakepit.internal.protocol.EncodedBody;
import dev.snakepit.internal.protocol.FrameKind;
import dev.snakepit.internal.protocol.FrameTooLargeException;
import dev.snakepit.internal.protocol.Hello;
import dev.snakepit.internal.protocol.Messages;
import dev.snakepit.internal.protocol.SharedMemory;
import dev.snakepit.internal.protocol.SharedMemoryException;
import dev.snakepit.internal.protocol.ValueEncoder;
import dev.snakepit.internal.protocol.ValueEncodingException;
import dev.snakepit.internal.supervisor.Supervisor;
import java.nio.channels.ClosedByInterruptException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link Request}s for the pool and its sessions: checks and encodes each, hands it to the
 * {@link Dispatcher}, waits for or forwards its answer, and sends it again when its worker died under
 * it and it has retries left. What a caller gets from the answering attempt is an {@link Answer}.
 *
 * <p>Arguments of at least the shared-memory threshold go through files in the pool's shared memory
 * (docs/protocol.md, section 3.5), written on the caller's thread before the call is handed on, and
 * removed when the attempt ends, however it ends, unless the worker has unlinked them already.
 */
public final class CallRunner {
  private static final Logger LOG = LoggerFactory.getLogger(CallRunner.class);
  private static final ValueEncoder ENCODER = new ValueEncoder();
  /** Extra wait beyond every timeout the pool enforces, before a blocked caller suspects a bug. */
  private static final Duration SAFETY_MARGIN = Duration.ofMinutes(1);

  /** What a caller gets from the attempt that answered its request with a value. */
  @FunctionalInterface
  public interface Answer<T> {
    T of(PendingCall answered, Object value, int attempts);
  }

  /** The value alone: {@code execute} allocates nothing for it. */
  public static final Answer<Object> VALUE = (answered, value, attempts) -> value;
  /** The value with its worker and times, read from the stamps the dispatcher took anyway. */
  public static final Answer<CallResult> DETAILED = (answered, value, attempts) -> new CallResult(value,
      answered.answeredBy().id(), answered.answeredBy().pid(), Duration.ofNanos(answered.queuedNanos()),
      Duration.ofNanos(answered.ranNanos()), attempts);

  private final PoolConfig config;
  private final String pool;
  private final Counters counters;
  private final CallTracing tracing;
  private final Dispatcher dispatcher;
  private final Supervisor supervisor;
  private final PoolShutdown shutdown;
  private final Ticker ticker;
  private final SharedMemory sharedMemory;

  CallRunner(PoolConfig config, Counters counters, Supervisor supervisor, PoolShutdown shutdown, Ticker ticker,
      SharedMemory sharedMemory) {
    this.config = config;
    this.pool = config.name();
    this.counters = counters;
    this.tracing = new CallTracing(config.name(), config.tracer());
    this.dispatcher = supervisor.dispatcher();
    this.supervisor = supervisor;
    this.shutdown = shutdown;
    this.ticker = ticker;
    this.sharedMemory = sharedMemory;
  }

  /** Runs a request and waits for its answer; the calling thread reads the reply itself unless it is virtual. */
  public <T> T execute(Request request, Answer<T> answer) {
    List<SnakepitException> earlier = null; // made on the first failure: most calls never need it
    while (true) {
      try {
        return executeOnce(request, answer, earlier == null ? 1 : earlier.size() + 1);
      } catch (SnakepitException e) {
        earlier = earlier == null ? new ArrayList<>() : earlier;
        if (!retrying(request, e, earlier)) {
          throw e;
        }
      }
    }
  }

  /**
   * Whether a failed attempt of {@code request} is to be sent again: only when its worker died under it
   * and it has retries left. Records the failure in {@code earlier}, or, when it is the last one,
   * attaches the earlier ones to it.
   */
  private boolean retrying(Request request, SnakepitException failure, List<SnakepitException> earlier) {
    if (failure.kind() == ErrorKind.WORKER_CRASHED && earlier.size() < request.retries() && !shutdown.closing()) {
      earlier.add(failure);
      counters.callsRetried.increment();
      LOG.debug("pool '{}': sending the call of tool '{}' again (retry {} of {}) after: {}", pool, request.name(),
          earlier.size(), request.retries(), failure.getMessage());
      return true;
    }
    earlier.forEach(failure::addSuppressed);
    return false;
  }

  private <T> T executeOnce(Request request, Answer<T> answer, int attempt) {
    // A platform thread reads its own reply, so that no other thread wakes for it. A virtual thread
    // waits on its future: a selector wait could hold its carrier thread.
    PendingCall pending = submit(request, !Thread.currentThread().isVirtual());
    Duration bound = bound(request);
    long deadline = ticker.nanoTime() + bound.toNanos();
    try {
      dispatcher.readOwnReply(pending, deadline);
      Object value = pending.future().get(Math.max(0, deadline - ticker.nanoTime()), TimeUnit.NANOSECONDS);
      return answer.of(pending, value, attempt);
    } catch (ExecutionException e) {
      throw forCaller(e.getCause());
    } catch (InterruptedException e) {
      dispatcher.cancel(pending, "the calling thread was interrupted");
      Thread.currentThread().interrupt();
      throw SnakepitException.builder(ErrorKind.CANCELLED, "the thread calling tool '" + request.name()
          + "' of pool '" + pool + "' was interrupted; the call was cancelled")
          .pool(pool).tool(request.name()).cause(e).build();
    } catch (TimeoutException e) {
      dispatcher.cancel(pending, "no answer within " + bound);
      throw new SnakepitException(ErrorKind.TIMEOUT, "internal error: the call of tool '" + request.name()
          + "' got no answer within " + bound + ", beyond every timeout of pool '" + pool + "' ["
          + supervisor.stats().describe() + "]");
    }
  }

  /**
   * Runs a request without blocking. The future's dependent stages run on a virtual thread, never on a
   * thread of the pool; cancelling it cancels the request.
   */
  public <T> CompletableFuture<T> executeAsync(Request request, Answer<T> answer) {
    CompletableFuture<T> result = new CompletableFuture<>();
    AtomicReference<PendingCall> attempt = new AtomicReference<>();
    attemptAsync(request, answer, result, attempt, new ArrayList<>());
    result.whenComplete((value, error) -> {
      PendingCall pending = attempt.get();
      if (result.isCancelled() && pending != null) {
        dispatcher.cancel(pending, "its future was cancelled");
      }
    });
    return result;
  }

  /** Sends one attempt of {@code request}; a failure that {@link #retrying} allows sends the next. */
  private <T> void attemptAsync(Request request, Answer<T> answer, CompletableFuture<T> result,
      AtomicReference<PendingCall> attempt, List<SnakepitException> earlier) {
    PendingCall pending;
    try {
      pending = submit(request, false);
    } catch (SnakepitException e) {
      earlier.forEach(e::addSuppressed);
      result.completeExceptionally(e);
      return;
    }
    attempt.set(pending);
    if (result.isCancelled()) {
      dispatcher.cancel(pending, "its future was cancelled");
      return;
    }
    // Complete on a fresh virtual thread: the caller's continuations must never run on (and block) a
    // worker's data thread or the control loop.
    pending.future().whenComplete((value, error) -> Thread.startVirtualThread(() -> {
      if (error == null) {
        result.complete(answer.of(pending, value, earlier.size() + 1));
      } else if (error instanceof SnakepitException failure && !result.isDone() && retrying(request, failure, earlier)) {
        attemptAsync(request, answer, result, attempt, earlier);
      } else {
        result.completeExceptionally(error);
      }
    }));
  }

  /**
   * Starts {@code call}, a CALL request, as a stream read with {@code options}, and returns its
   * consumer's side: its body asks for a stream with the options' credit. Never retried: its first
   * items may have been taken already. A request the pool refuses at once (a full queue) fails the
   * stream's first {@code hasNext}; misuse throws here. The errors the stream ends with pass through
   * {@code failures} first.
   */
  public ItemStream stream(Request call, StreamOptions options, UnaryOperator<SnakepitException> failures) {
    Request request = new Request(FrameKind.CALL, call.name(), Messages.streamed(call.body(), options.credit()), call.timeout(), 0,
        call.target());
    StreamItems items = new StreamItems(options.credit(), counters.streamItems);
    PendingCall pending = submit(request, false, items);
    items.grantWith(credit -> dispatcher.streams().grant(pending, credit));
    pending.future().whenComplete((value, error) -> items.end(error));
    return new ItemStream(pool, pending, items, dispatcher, ticker, options.itemTimeout(), bound(request), failures);
  }

  /** How long a caller waits for an answer at most: beyond every timeout the pool enforces on {@code request}. */
  private Duration bound(Request request) {
    return config.acquireTimeout().plus(request.timeout()).plus(config.cancelGrace()).plus(SAFETY_MARGIN);
  }

  private PendingCall submit(Request request, boolean readsOwnReply) {
    return submit(request, readsOwnReply, null);
  }

  /**
   * Throws the {@link SnakepitException} that a request of this kind and name would fail with at
   * once, whatever its arguments: the pool is closed, or a CALL names a tool the adapter lacks.
   */
  public void admit(FrameKind kind, String tool) {
    if (shutdown.closing()) {
      Throwable failure = supervisor.internalFailure();
      throw failed(SnakepitException.builder(ErrorKind.POOL_CLOSED, "pool '" + pool + "' is closed"
          + (failure == null ? "" : " after an internal error in its control loop (" + failure + ")") + "; tool '" + tool
          + "' was not called")
          .pool(pool).tool(tool).build());
    }
    if (kind == FrameKind.CALL && !supervisor.adapterSays(Hello::selfDispatching)) {
      List<ToolInfo> tools = supervisor.tools();
      if (tools.stream().noneMatch(t -> t.name().equals(tool))) {
        throw failed(SnakepitException.builder(ErrorKind.INVALID_REQUEST, "unknown tool '" + tool + "' in pool '" + pool
            + "' (adapter " + config.adapter() + "); available: "
            + tools.stream().map(ToolInfo::name).collect(Collectors.joining(", ")))
            .pool(pool).tool(tool).build());
      }
    }
  }

  private PendingCall submit(Request request, boolean readsOwnReply, StreamItems stream) {
    admit(request.kind(), request.name());
    CallTracer.Trace trace = tracing.start(request.name());
    if (trace == null) {
      return submit(request, request.body(), readsOwnReply, stream);
    }
    PendingCall call;
    try {
      call = submit(request, tracing.traced(request.body(), trace), readsOwnReply, stream);
    } catch (RuntimeException e) {
      tracing.end(trace, null, e);
      throw e;
    }
    call.future().whenComplete((value, error) -> tracing.end(trace, call, error));
    return call;
  }

  /** Encodes {@code body}, the request's with any trace context, and hands the call to the dispatcher. */
  private PendingCall submit(Request request, Map<String, Object> body, boolean readsOwnReply, StreamItems stream) {
    String tool = request.name();
    EncodedBody encoded;
    try {
      encoded = ENCODER.encode(body, sharedMemory);
    } catch (ValueEncodingException e) {
      throw failed(SnakepitException.builder(ErrorKind.SERIALIZATION_ERROR, "cannot send the arguments of tool '" + tool
          + "' to pool '" + pool + "': " + e.getMessage())
          .pool(pool).tool(tool).cause(e).build());
    }
    if (encoded.frameBytes() > config.maxFrameBytes()) {
      throw failed(SnakepitException.builder(ErrorKind.SERIALIZATION_ERROR, "the call of tool '" + tool + "' encodes to "
          + encoded.frameBytes() + " bytes, above maxFrameBytes " + config.maxFrameBytes() + " of pool '" + pool
          + "'; nothing was sent (raise PoolConfig.maxFrameBytes or send less)")
          .pool(pool).tool(tool).cause(new FrameTooLargeException(encoded.frameBytes(), config.maxFrameBytes())).build());
    }
    if (!encoded.sharesMemory()) {
      return dispatch(request, readsOwnReply, stream, encoded);
    }
    writeShared(encoded, tool);
    PendingCall call;
    try {
      call = dispatch(request, readsOwnReply, stream, encoded);
    } catch (RuntimeException e) {
      sharedMemory.remove(encoded);
      throw e;
    }
    call.future().whenComplete((value, error) -> sharedMemory.remove(encoded));
    return call;
  }

  private PendingCall dispatch(Request request, boolean readsOwnReply, StreamItems stream, EncodedBody encoded) {
    PendingCall nested = dispatcher.hostCalls().nested(request.kind(), request.name(), encoded, request.target(),
        request.timeout(), stream != null);
    if (nested != null) {
      return nested; // made by a host function: it runs on the worker waiting for that function
    }
    return dispatcher.submit(request.kind(), request.name(), encoded, request.target(), stream, request.timeout(),
        readsOwnReply, request.body().containsKey(Messages.BATCH));
  }

  /** Writes the files of the arguments that go through shared memory; a failure leaves none and sends nothing. */
  private void writeShared(EncodedBody encoded, String tool) {
    try {
      sharedMemory.write(encoded);
    } catch (SharedMemoryException e) {
      if (e.getCause() instanceof ClosedByInterruptException) {
        throw failed(SnakepitException.builder(ErrorKind.CANCELLED, "the thread calling tool '" + tool + "' of pool '" + pool
            + "' was interrupted while it wrote the arguments to shared memory; nothing was sent")
            .pool(pool).tool(tool).cause(e).build());
      }
      throw failed(SnakepitException.builder(ErrorKind.RESOURCE_EXHAUSTED, "cannot send the arguments of tool '" + tool
          + "' to pool '" + pool + "': " + e.getMessage()).pool(pool).tool(tool).cause(e).build());
    }
  }

  private SnakepitException failed(SnakepitException e) {
    counters.callsFailed.increment();
    return e;
  }

  /**
   * The exception to throw in the caller's thread. It was created on a pool thread; its stack trace is
   * replaced with the caller's, which is where a reader of the log wants to look. It belongs to this
   * call alone, so changing it is safe.
   */
  static SnakepitException forCaller(Throwable error) {
    if (error instanceof SnakepitException s) {
      s.fillInStackTrace();
      return s;
    }
    return SnakepitException.builder(ErrorKind.WORKER_CRASHED, "internal error: " + error)
        .cause(error).build();
  }
}

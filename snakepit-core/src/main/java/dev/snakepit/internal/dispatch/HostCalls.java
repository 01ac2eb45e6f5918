package dev.snakepit.internal.dispatch;

import dev.snakepit.ErrorKind;
import dev.snakepit.HostCall;
import dev.snakepit.HostFunction;
import dev.snakepit.SnakepitException;
import dev.snakepit.WorkerExit;
import dev.snakepit.internal.Events;
import dev.snakepit.internal.Ticker;
import dev.snakepit.internal.protocol.EncodedBody;
import dev.snakepit.internal.protocol.Frame;
import dev.snakepit.internal.protocol.FrameKind;
import dev.snakepit.internal.protocol.FrameTooLargeException;
import dev.snakepit.internal.protocol.ValueDecoder;
import dev.snakepit.internal.protocol.ValueDecodingException;
import dev.snakepit.internal.protocol.ValueEncoder;
import dev.snakepit.internal.protocol.ValueEncodingException;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Calls from Python to Java (docs/protocol.md, section 4.14): runs each HOST_CALL a worker sends on a
 * virtual thread of its own and writes its answer, and sends the calls such a function makes back into
 * its pool to the worker that waits for it, nested in the call it serves.
 *
 * <p>A host function's thread knows where it runs ({@link Context}); a call it makes to the same pool
 * goes to its own waiting worker at once, never to the queue, so a pool of one cannot deadlock on
 * itself. The function is interrupted when the call it serves is cancelled, times out, or loses its
 * worker ({@link PendingCall#interruptHostThreads}). Takes the dispatcher's lock to find the calls and
 * register the threads; functions run, and frames are written, outside it.
 */
public final class HostCalls {
  private static final ValueDecoder DECODER = new ValueDecoder();
  private static final ValueEncoder ENCODER = new ValueEncoder();
  /** The host function this thread runs, if any. */
  private static final ThreadLocal<Context> CONTEXT = new ThreadLocal<>();

  /** Where a host function runs: for which pool, on which worker, serving which call. */
  private record Context(HostCalls owner, WorkerSlot slot, PendingCall call) {}

  private final String pool;
  private final ReentrantLock lock;
  private final DispatchHost host;
  private final Map<String, HostFunction> functions;
  private final int maxDepth;
  private final Duration callTimeout;
  private final Ticker ticker;
  private final Events events;
  private final CallCompletion completion;
  private final LongSupplier callIds;

  HostCalls(String pool, ReentrantLock lock, DispatchHost host, DispatchLimits limits, Ticker ticker, Events events,
      CallCompletion completion, LongSupplier callIds) {
    this.pool = pool;
    this.lock = lock;
    this.host = host;
    this.functions = limits.hostFunctions();
    this.maxDepth = limits.maxHostCallDepth();
    this.callTimeout = limits.callTimeout();
    this.ticker = ticker;
    this.events = events;
    this.completion = completion;
    this.callIds = callIds;
  }

  /**
   * A HOST_CALL arrived from {@code slot}, on the thread reading it; false when it names a call the
   * worker does not run, a violation of the protocol: the worker is then reported broken, and nobody may
   * read its socket again.
   */
  public boolean arrived(WorkerSlot slot, Frame frame) {
    Map<?, ?> body;
    try {
      body = DECODER.decode(frame) instanceof Map<?, ?> m ? m : Map.of();
    } catch (ValueDecodingException e) {
      answerError(slot, frame.requestId(), "SERIALIZATION_ERROR", null, "the JVM cannot read the host call: " + e.getMessage());
      return true;
    }
    String name = body.get("function") instanceof String s ? s : null;
    List<?> args = body.get("args") instanceof List<?> l ? l : List.of();
    Map<?, ?> kwargs = body.get("kwargs") instanceof Map<?, ?> m ? m : Map.of();
    long callId = body.get("call") instanceof Long l ? l : 0;
    HostFunction function = name == null ? null : functions.get(name);
    PendingCall call;
    Thread thread = null;
    long deadline;
    lock.lock();
    try {
      call = slot.current != null && slot.current.requestId == callId ? slot.current : slot.nested.get(callId);
      if (call == null) {
        host.broken(slot, "sent a host call for request " + callId + ", which it was not running", WorkerExit.PoolReason.PROTOCOL);
        return false;
      }
      deadline = call.deadlineNanos;
      if (function != null && !call.abandoned) {
        HostCall request = new HostCall(name, listOf(args), mapOf(kwargs), call.tool, slot.id, call.depth + 1, deadline,
            ticker::nanoTime);
        PendingCall served = call;
        thread = Thread.ofVirtual().name("snakepit-" + pool + "-host-" + name)
            .unstarted(() -> run(slot, frame.requestId(), served, function, request));
        if (call.hostThreads == null) {
          call.hostThreads = new HashSet<>();
        }
        call.hostThreads.add(thread);
      }
    } finally {
      lock.unlock();
    }
    if (thread != null) {
      thread.start();
    } else if (function == null) {
      answerError(slot, frame.requestId(), "UNKNOWN_FUNCTION", null, "no host function '" + name + "' is registered in pool '"
          + pool + "'; registered: " + (functions.isEmpty() ? "none (PoolConfig.Builder.hostFunction)" : String.join(", ", functions.keySet())));
    } else {
      answerError(slot, frame.requestId(), "CANCELLED", null, "the call of tool '" + call.tool + "' was cancelled");
    }
    return true;
  }

  /**
   * A call from a host function of this pool, its body encoded and within the frame limit, sent at once
   * to the worker that waits for that function, nested in the call it serves ({@code timeout} null: the
   * pool's); null when the calling thread runs no host function of this pool, or the call is for a
   * session another worker holds (it is then routed as any call).
   *
   * @throws SnakepitException with {@link ErrorKind#INVALID_REQUEST} for a stream: its items could not
   *     be told from those of the call that waits
   */
  public PendingCall nested(FrameKind kind, String tool, EncodedBody body, Target target, Duration timeout, boolean stream) {
    Context context = CONTEXT.get();
    if (context == null || context.owner != this || (target != null && target.slot() != context.slot)) {
      return null;
    }
    if (stream) {
      throw SnakepitException.builder(ErrorKind.INVALID_REQUEST, "tool '" + tool + "' cannot be streamed from host function code"
          + " of pool '" + pool + "': the worker waiting for the function would have to stream it nested; call it without"
          + " stream, or stream from another thread").pool(pool).tool(tool).build();
    }
    WorkerSlot slot = context.slot;
    PendingCall call = new PendingCall(callIds.getAsLong(), kind, tool, body, target, null, timeout == null ? callTimeout : timeout,
        false, ticker.nanoTime());
    call.depth = context.call.depth + 1;
    events.callStart(call.callId, tool);
    events.checkoutStart(call.callId, tool);
    if (call.depth > maxDepth) {
      completion.failCheckout(call, SnakepitException.builder(ErrorKind.INVALID_REQUEST, "the call of tool '" + tool + "' would be"
          + " nested " + call.depth + " deep (Java, Python, a host function, Python, ...), beyond maxHostCallDepth "
          + maxDepth + " of pool '" + pool + "'").pool(pool).tool(tool).build());
      return call;
    }
    long requestId;
    lock.lock();
    try {
      if (!slot.runs(context.call) || slot.role.ended()) {
        requestId = 0;
      } else {
        requestId = ++slot.lastRequestId;
        call.slot = slot;
        call.requestId = requestId;
        call.checkoutNanos = ticker.nanoTime();
        call.deadlineNanos = DeadlineSweep.after(call.checkoutNanos, call.timeout);
        slot.nested.put(requestId, call);
      }
    } finally {
      lock.unlock();
    }
    if (requestId == 0) {
      completion.failCheckout(call, SnakepitException.builder(ErrorKind.CANCELLED, "worker " + slot.id + " of pool '" + pool
          + "' no longer waits for the host function that called tool '" + tool + "'").pool(pool).tool(tool).build());
      return call;
    }
    call.checkedOut = true;
    events.checkoutStop(call.callId, tool, slot.id, call.submittedNanos, call.checkoutNanos);
    try {
      slot.data.write(kind, requestId, body);
    } catch (IOException | FrameTooLargeException e) {
      lock.lock();
      try {
        slot.nested.remove(requestId);
      } finally {
        lock.unlock();
      }
      completion.fail(call, slot.id, SnakepitException.builder(ErrorKind.WORKER_CRASHED, "the nested call of tool '" + tool
          + "' could not be sent to worker " + slot.id + " of pool '" + pool + "': " + e.getMessage()).pool(pool).tool(tool)
          .worker(slot.id).cause(e).build());
    }
    return call;
  }

  /**
   * The worker is gone: the host functions of its calls are interrupted, and its nested calls, returned
   * for the caller to fail, are taken off it. Under the dispatcher's lock.
   */
  List<PendingCall> workerGone(WorkerSlot slot) {
    if (slot.current != null) {
      slot.current.interruptHostThreads();
    }
    List<PendingCall> nested = new ArrayList<>(slot.nested.values());
    slot.nested.clear();
    nested.forEach(PendingCall::interruptHostThreads);
    return nested;
  }

  private void run(WorkerSlot slot, long hostId, PendingCall served, HostFunction function, HostCall request) {
    CONTEXT.set(new Context(this, slot, served));
    try {
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("value", function.call(request));
      answer(slot, FrameKind.HOST_RESULT, hostId, ENCODER.encode(result), request.function());
    } catch (InterruptedException e) {
      answerError(slot, hostId, "CANCELLED", null, "host function '" + request.function() + "' was interrupted: the call of tool '"
          + request.tool() + "' was cancelled or timed out");
    } catch (ValueEncodingException e) {
      answerError(slot, hostId, "SERIALIZATION_ERROR", null, "the result of host function '" + request.function()
          + "' cannot cross to Python: " + e.getMessage());
    } catch (Exception | Error e) {
      answerError(slot, hostId, "JAVA_EXCEPTION", e.getClass().getName(), String.valueOf(e.getMessage()));
      if (e instanceof Error error) {
        throw error; // answered, so that the worker does not wait; the thread still dies of it
      }
    } finally {
      CONTEXT.remove();
      lock.lock();
      try {
        served.hostThreads.remove(Thread.currentThread());
      } finally {
        lock.unlock();
      }
    }
  }

  private void answerError(WorkerSlot slot, long hostId, String kind, String type, String message) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("kind", kind);
    body.put("type", type);
    body.put("message", message);
    try {
      answer(slot, FrameKind.HOST_ERROR, hostId, ENCODER.encode(body), null);
    } catch (ValueEncodingException e) {
      throw new IllegalStateException("an error body of three strings cannot fail to encode", e);
    }
  }

  /** Writes a host call's answer; a worker whose socket failed is dying, and its exit answers its call. */
  private void answer(WorkerSlot slot, FrameKind kind, long hostId, EncodedBody body, String function) {
    try {
      slot.data.write(kind, hostId, body);
    } catch (FrameTooLargeException e) {
      answerError(slot, hostId, "SERIALIZATION_ERROR", null, "the result of host function '" + function + "' is "
          + body.frameBytes() + " bytes, above the maximum frame size: " + e.getMessage());
    } catch (IOException e) {
      // The worker's exit is reported by its process; nothing waits for this answer any more.
    }
  }

  @SuppressWarnings("unchecked")
  private static List<Object> listOf(List<?> values) {
    return (List<Object>) values;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> mapOf(Map<?, ?> values) {
    return (Map<String, Object>) values;
  }
}

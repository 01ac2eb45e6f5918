package dev.snakepit.internal.dispatch;

import dev.snakepit.SnakepitException;
import dev.snakepit.internal.Counters;
import dev.snakepit.internal.Events;
import dev.snakepit.internal.PythonErrors;
import dev.snakepit.internal.protocol.Frame;
import dev.snakepit.internal.protocol.FrameKind;
import dev.snakepit.internal.protocol.Messages;
import dev.snakepit.internal.protocol.ValueDecoder;
import dev.snakepit.internal.protocol.ValueDecodingException;
import java.util.Map;

/**
 * Answers calls: turns a worker's reply into the call's value or error, and completes the call's
 * future with it or with a failure. Whoever {@linkplain PendingCall#claim claims} the call first counts
 * it, emits its closing event, completes the future and wakes a caller parked for it; whoever comes
 * later finds the call claimed and does nothing.
 *
 * <p>Takes no lock: the dispatcher calls it after letting go of its own, so that decoding a large
 * reply never holds up other callers, and the claim alone decides who answers.
 */
final class CallCompletion {
  private static final ValueDecoder DECODER = new ValueDecoder();

  private final String pool;
  private final Events events;
  private final Counters counters;
  private final CallFailures failures;

  CallCompletion(String pool, Events events, Counters counters, CallFailures failures) {
    this.pool = pool;
    this.events = events;
    this.counters = counters;
    this.failures = failures;
  }

  /** Answers {@code call} with the RESULT or ERROR {@code frame} that {@code slot} sent for it. */
  void complete(WorkerSlot slot, PendingCall call, Frame frame) {
    if (call.claimed()) {
      frame.release(); // answered already (deadline or cancel); this is the late reply
      return;
    }
    Object body;
    try {
      body = DECODER.decode(frame);
    } catch (ValueDecodingException e) {
      fail(call, slot.id, call.timedOut != null ? failures.unreadablePastDeadline(slot, call, e)
          : failures.unreadable(slot, call, frame.kind().name().toLowerCase(), e));
      return;
    }
    Map<?, ?> map = body instanceof Map<?, ?> m ? m : Map.of();
    if (frame.kind() == FrameKind.RESULT && call.timedOut == null) {
      if (call.claim()) {
        counters.callsSucceeded.increment();
        events.callStop(call.callId, call.tool, slot.id, call.submittedNanos);
        call.future.complete(Messages.resultValue(map));
        call.wakeWaiter();
      }
      return;
    }
    SnakepitException error = frame.kind() == FrameKind.RESULT ? null
        : PythonErrors.fromErrorBody(map, pool, slot.id, call.tool, failures.context(slot, call));
    fail(call, slot.id, call.timedOut != null ? failures.answeredPastDeadline(slot, call, error) : error);
  }

  /** Fails a call that never got a worker: its checkout ends with {@code error} too. */
  void failCheckout(PendingCall call, SnakepitException error) {
    events.checkoutException(call.callId, call.tool, call.submittedNanos, error);
    fail(call, null, error);
  }

  /** Fails a call, naming the worker it ran on, if any. */
  void fail(PendingCall call, String workerId, SnakepitException error) {
    if (call.claim()) {
      counters.callsFailed.increment();
      events.callException(call.callId, call.tool, workerId, call.submittedNanos, error);
      call.future.completeExceptionally(error);
      call.wakeWaiter();
    }
  }
}

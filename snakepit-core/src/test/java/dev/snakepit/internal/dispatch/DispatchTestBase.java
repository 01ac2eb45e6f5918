package dev.snakepit.internal.dispatch;

import dev.snakepit.RecycleReason;
import dev.snakepit.WorkerExit;
import dev.snakepit.internal.Counters;
import dev.snakepit.internal.Events;
import dev.snakepit.internal.RecyclePolicy;
import dev.snakepit.internal.control.ControlChannel;
import dev.snakepit.internal.protocol.EncodedBody;
import dev.snakepit.internal.protocol.Frame;
import dev.snakepit.internal.protocol.FrameKind;
import dev.snakepit.internal.protocol.FrameReader;
import dev.snakepit.internal.protocol.FrameWriter;
import dev.snakepit.internal.protocol.ValueEncoder;
import dev.snakepit.spi.CallEvent;
import dev.snakepit.spi.PoolListener;
import dev.snakepit.testing.FakeClock;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the dispatcher's own tests share: a dispatcher over OS pipes for workers, on a {@link FakeClock},
 * that records what it reports to its host, and the frames the tests play the workers' part with.
 */
abstract class DispatchTestBase {
  static final int MAX_FRAME = 1 << 20;

  final FakeClock clock = new FakeClock();
  final Counters counters = new Counters();
  final List<String> lost = new ArrayList<>();
  final List<String> broken = new ArrayList<>();
  final List<String> recycles = new ArrayList<>();
  final List<Pipe> pipes = new ArrayList<>();
  final List<String> checkouts = new ArrayList<>();
  /** Everything the workers' control planes were sent (cancel frames). */
  final ByteArrayOutputStream cancels = new ByteArrayOutputStream();
  Dispatcher dispatcher;

  @BeforeEach
  void createDispatcher() {
    dispatcher = dispatcher(Duration.ofSeconds(10));
  }

  Dispatcher dispatcher(Duration acquireTimeout) {
    return dispatcher(acquireTimeout, 0);
  }

  Dispatcher dispatcher(Duration acquireTimeout, int pipelineDepth) {
    PoolListener listener = new PoolListener() {
      @Override
      public void checkoutStop(CallEvent event) {
        checkouts.add(event.workerId());
      }
    };
    return new Dispatcher("p", new DispatchLimits(acquireTimeout, 10, Duration.ofSeconds(10), Duration.ofMinutes(1), 64)
        .withPipelineDepth(pipelineDepth),
        clock.executor(), clock, new Events("p", listener, clock), counters, new DispatchHost() {
          @Override
          public void broken(WorkerSlot slot, String reason, WorkerExit.PoolReason poolReason) {
            broken.add(slot.id() + ": " + reason);
          }

          @Override
          public void lost(WorkerSlot slot, String reason) {
            lost.add(slot.id() + ": " + reason);
          }

          @Override
          public void recycle(WorkerSlot slot, RecycleReason reason) {
            recycles.add(slot.id() + ": " + reason);
          }

          @Override
          public String counts() {
            return "counts";
          }
        });
  }

  @AfterEach
  void closeEverything() throws IOException {
    clock.executor().shutdownNow();
    for (Pipe pipe : pipes) {
      pipe.sink().close();
      pipe.source().close();
    }
  }

  /** A worker and the reading end of its data socket. */
  record Connected(WorkerSlot slot, FrameReader reader) {}

  /** A fresh dispatcher that writes up to {@code depth} calls ahead, with one worker, w1. */
  Connected pipelinedWorker(Duration acquireTimeout, int depth) throws IOException {
    dispatcher = dispatcher(acquireTimeout, depth);
    Pipe pipe = pipe();
    WorkerSlot w1 = worker("w1", pipe);
    dispatcher.add(w1);
    return new Connected(w1, reader(pipe));
  }

  /** The request ids of the CANCEL frames sent so far, in order. */
  List<Long> cancelledIds() throws IOException {
    FrameReader control = new FrameReader(new ByteArrayInputStream(cancels.toByteArray()), MAX_FRAME);
    List<Long> ids = new ArrayList<>();
    for (Frame frame = control.read(); frame != null; frame = control.read()) {
      ids.add(frame.requestId());
    }
    return ids;
  }

  Pipe pipe() throws IOException {
    Pipe pipe = Pipe.open();
    pipes.add(pipe);
    return pipe;
  }

  Pipe deadPipe() throws IOException {
    Pipe pipe = pipe();
    pipe.source().close();
    return pipe;
  }

  WorkerSlot worker(String id, Pipe pipe) {
    return worker(id, pipe, Map.of());
  }

  /** A worker that runs the tools {@code concurrency} names that many calls at a time. */
  WorkerSlot worker(String id, Pipe pipe, Map<String, Integer> concurrency) {
    ControlChannel control = new ControlChannel(InputStream.nullInputStream(), cancels, MAX_FRAME, null, null);
    return new WorkerSlot(id, pidOf(id), new FrameWriter(pipe.sink(), MAX_FRAME), control, null, RecyclePolicy.NEVER,
        concurrency);
  }

  /** A made-up process id for a worker; nothing runs. */
  static long pidOf(String id) {
    return 10_000 + Math.floorMod(id.hashCode(), 90_000);
  }

  static FrameReader reader(Pipe pipe) {
    return new FrameReader(Channels.newInputStream(pipe.source()), MAX_FRAME);
  }

  static EncodedBody body(String text) throws Exception {
    return new ValueEncoder().encode(Map.of("tool", "echo", "args", List.of(text)));
  }

  static Frame cancelled(long requestId, String traceback) throws Exception {
    Map<String, Object> exception = Map.of("type", "CancelledError", "module", "snakepit.cancel", "message", "timeout",
        "frames", List.of(), "traceback", "Traceback (most recent call last):\n" + traceback + "CancelledError: timeout\n");
    EncodedBody body = new ValueEncoder().encode(Map.of("kind", "CANCELLED", "message", "cancelled", "exception", exception));
    return new Frame(FrameKind.ERROR, requestId, body.jsonBytes());
  }

  static Frame result(long requestId, String value) throws Exception {
    EncodedBody body = new ValueEncoder().encode(Map.of("value", value));
    return new Frame(FrameKind.RESULT, requestId, body.jsonBytes());
  }
}

package dev.snakepit.internal.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.ErrorKind;
import dev.snakepit.SnakepitException;
import dev.snakepit.internal.protocol.Frame;
import dev.snakepit.internal.protocol.FrameKind;
import dev.snakepit.internal.protocol.FrameReader;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Calls of tools that run several at once on a worker ({@link Lanes}), with the dispatcher on its own:
 * the tests play the workers' part on OS pipes, answer in any order, and move a fake clock.
 */
@Timeout(30)
class LanesTest extends DispatchTestBase {
  private static final Map<String, Integer> SLOW_THREE = Map.of("slow", 3);

  @Test
  void callsOfAConcurrentToolRunAtOnceUpToItsConcurrencyAndAreAnsweredInAnyOrder() throws Exception {
    Pipe pipe = pipe();
    WorkerSlot w1 = worker("w1", pipe, SLOW_THREE);
    dispatcher.add(w1);
    FrameReader worker = reader(pipe);

    List<PendingCall> calls = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      calls.add(submit("slow"));
    }
    List<Frame> frames = List.of(worker.read(), worker.read(), worker.read());
    assertThat(dispatcher.counts().busy()).isOne();
    assertThat(dispatcher.counts().idle()).as("a worker running calls in lanes is not idle").isZero();
    assertThat(dispatcher.counts().queued()).as("the fourth waits for a lane").isOne();

    dispatcher.onReply(w1, result(frames.get(2).requestId(), "three"));
    Frame fourth = worker.read(); // the freed lane takes the waiting call
    dispatcher.onReply(w1, result(frames.get(0).requestId(), "one"));
    dispatcher.onReply(w1, result(fourth.requestId(), "four"));
    dispatcher.onReply(w1, result(frames.get(1).requestId(), "two"));

    assertThat(calls).extracting(call -> call.future().join()).containsExactly("one", "two", "three", "four");
    assertThat(frames).allSatisfy(frame -> assertThat(frame.flags() & Frame.QUEUED).isZero());
    assertThat(dispatcher.counts().idle()).isOne();
    assertThat(dispatcher.counts().busy()).isZero();
    assertThat(broken).isEmpty();
  }

  @Test
  void laneCallsSpreadOverTheWorkersRunningFewestCalls() throws Exception {
    Pipe first = pipe();
    Pipe second = pipe();
    dispatcher.add(worker("w1", first, SLOW_THREE));
    dispatcher.add(worker("w2", second, SLOW_THREE));

    for (int i = 0; i < 4; i++) {
      submit("slow");
    }

    FrameReader one = reader(first);
    FrameReader two = reader(second);
    assertThat(List.of(one.read(), one.read(), two.read(), two.read())).extracting(Frame::kind).containsOnly(FrameKind.CALL);
    assertThat(checkouts).containsExactly("w1", "w2", "w1", "w2");
  }

  // A serial call runs on the worker's main thread, which then reads no frame: calls for lanes wait
  // until it is answered, while those already in lanes go on.
  @Test
  void aSerialCallRunsBesideTheLanesAndCallsForLanesWaitUntilTheMainThreadIsFree() throws Exception {
    Pipe pipe = pipe();
    WorkerSlot w1 = worker("w1", pipe, SLOW_THREE);
    dispatcher.add(w1);
    FrameReader worker = reader(pipe);
    PendingCall inLane = submit("slow");
    Frame laneFrame = worker.read();

    PendingCall serial = dispatcher.submit("echo", body("serial"), null);
    Frame serialFrame = worker.read();
    PendingCall waiting = submit("slow");
    assertThat(dispatcher.counts().queued()).isOne();

    dispatcher.onReply(w1, result(laneFrame.requestId(), "lane"));
    assertThat(dispatcher.counts().queued()).as("the main thread is still busy").isOne();
    dispatcher.onReply(w1, result(serialFrame.requestId(), "serial"));
    Frame waitingFrame = worker.read();
    dispatcher.onReply(w1, result(waitingFrame.requestId(), "waited"));

    assertThat(inLane.future()).isCompletedWithValue("lane");
    assertThat(serial.future()).isCompletedWithValue("serial");
    assertThat(waiting.future()).isCompletedWithValue("waited");
    assertThat(dispatcher.counts().idle()).isOne();
  }

  @Test
  void aLaneCallPastItsDeadlineIsCancelledAloneAndTimesOutWithTheWorkersAnswer() throws Exception {
    Pipe pipe = pipe();
    WorkerSlot w1 = worker("w1", pipe, SLOW_THREE);
    dispatcher.add(w1);
    FrameReader worker = reader(pipe);
    PendingCall shortOne = dispatcher.submit(FrameKind.CALL, "slow", body("short"), null, null, Duration.ofSeconds(1), false,
        false);
    PendingCall longOne = dispatcher.submit(FrameKind.CALL, "slow", body("long"), null, null, Duration.ofSeconds(60), false,
        false);
    Frame shortFrame = worker.read();
    Frame longFrame = worker.read();

    clock.forward(Duration.ofMillis(1001));
    assertThat(cancelledIds()).containsExactly(shortFrame.requestId());
    assertThat(shortOne.future()).as("answered when the worker stops it").isNotDone();
    dispatcher.onReply(w1, cancelled(shortFrame.requestId(), "  File \"adapter.py\", line 9, in slow\n"));
    dispatcher.onReply(w1, result(longFrame.requestId(), "long"));

    assertThatThrownBy(() -> shortOne.future().join()).cause()
        .isInstanceOfSatisfying(SnakepitException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.TIMEOUT));
    assertThat(longOne.future()).isCompletedWithValue("long");
    assertThat(broken).isEmpty();
  }

  @Test
  void theCallsInTheLanesOfAWorkerThatDiedFailWithItsDeath() throws Exception {
    Pipe pipe = pipe();
    WorkerSlot w1 = worker("w1", pipe, SLOW_THREE);
    dispatcher.add(w1);
    FrameReader worker = reader(pipe);
    PendingCall one = submit("slow");
    PendingCall two = submit("slow");
    worker.read();
    worker.read();

    dispatcher.gone(w1, tool -> new SnakepitException(ErrorKind.WORKER_CRASHED, "w1 died running " + tool));

    for (PendingCall call : List.of(one, two)) {
      assertThatThrownBy(() -> call.future().join()).cause()
          .isInstanceOfSatisfying(SnakepitException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.WORKER_CRASHED));
    }
    assertThat(dispatcher.counts().busy()).isZero();
    assertThat(dispatcher.awaitNoneBusy(Duration.ZERO)).isTrue();
  }

  @Test
  void aRetiredWorkerIsIdleOnlyOnceItsLastLaneIsAnswered() throws Exception {
    Pipe pipe = pipe();
    WorkerSlot w1 = worker("w1", pipe, SLOW_THREE);
    dispatcher.add(w1);
    FrameReader worker = reader(pipe);
    List<String> idle = new ArrayList<>();
    submit("slow");
    submit("slow");
    Frame first = worker.read();
    Frame second = worker.read();

    dispatcher.retire(w1, () -> idle.add("w1"));
    PendingCall after = submit("slow");
    dispatcher.onReply(w1, result(first.requestId(), "one"));
    assertThat(idle).isEmpty();
    dispatcher.onReply(w1, result(second.requestId(), "two"));

    assertThat(idle).containsExactly("w1");
    assertThat(after.future()).as("a retired worker takes no lane call").isNotDone();
    assertThat(dispatcher.counts().queued()).isOne();
  }

  @Test
  void callsOfASessionOrABatchOfAConcurrentToolRunOneAtATime() throws Exception {
    Pipe pipe = pipe();
    WorkerSlot w1 = worker("w1", pipe, SLOW_THREE);
    dispatcher.add(w1);
    FrameReader worker = reader(pipe);

    PendingCall batch = dispatcher.submit(FrameKind.CALL, "slow", body("batch"), null, null, null, false, true);
    Frame batchFrame = worker.read();
    PendingCall plain = submit("slow");

    assertThat(dispatcher.counts().queued()).as("a batch is the worker's current call, which runs on its main thread").isOne();
    dispatcher.onReply(w1, result(batchFrame.requestId(), "batch"));
    dispatcher.onReply(w1, result(worker.read().requestId(), "plain"));
    assertThat(batch.future()).isCompletedWithValue("batch");
    assertThat(plain.future()).isCompletedWithValue("plain");
  }

  private PendingCall submit(String tool) throws Exception {
    return dispatcher.submit(FrameKind.CALL, tool, body(tool), null, null, null, false, false);
  }
}

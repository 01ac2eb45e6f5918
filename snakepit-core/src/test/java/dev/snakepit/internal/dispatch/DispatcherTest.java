package dev.snakepit.internal.dispatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.ErrorKind;
import dev.snakepit.SnakepitException;
import dev.snakepit.internal.protocol.Frame;
import dev.snakepit.internal.protocol.FrameKind;
import dev.snakepit.internal.protocol.FrameReader;
import dev.snakepit.testing.FakeClock;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The dispatcher on its own, with OS pipes for workers: a worker whose reading end is closed fails
 * every write with a broken pipe, as a dead worker's socket does, and a worker that never answers is
 * one whose pipe nobody reads. (The pool's tests cover the same ground with real Python workers; these
 * pin down orderings that real processes produce only by chance.) Time is a {@link FakeClock}: a
 * deadline passes exactly when a test moves the clock past it.
 */
@Timeout(30)
class DispatcherTest extends DispatchTestBase {

  @Test
  void theReplyRecordsWhichWorkerAnsweredAndWhenSoACallerCanTellQueuedFromRunTime() throws Exception {
    Pipe pipe = pipe();
    WorkerSlot w1 = worker("w1", pipe);
    dispatcher.add(w1);
    FrameReader worker = reader(pipe);

    PendingCall first = dispatcher.submit("echo", body("first"), null);
    clock.forward(Duration.ofMillis(3));
    PendingCall second = dispatcher.submit("echo", body("second"), null); // w1 is busy: it waits
    Frame firstFrame = worker.read();
    clock.forward(Duration.ofMillis(5));
    dispatcher.onReply(w1, result(firstFrame.requestId(), "one"));
    clock.forward(Duration.ofMillis(7));
    dispatcher.onReply(w1, result(worker.read().requestId(), "two"));

    assertThat(first.future()).isCompletedWithValue("one");
    assertThat(second.future()).isCompletedWithValue("two");
    assertThat(first.answeredBy()).isSameAs(w1);
    assertThat(second.answeredBy()).isSameAs(w1);
    assertThat(w1.pid()).isEqualTo(pidOf("w1"));
    assertThat(Duration.ofNanos(first.queuedNanos())).as("a free worker took the first call at once").isZero();
    assertThat(Duration.ofNanos(first.ranNanos())).isEqualTo(Duration.ofMillis(8));
    assertThat(Duration.ofNanos(second.queuedNanos())).as("the second call waited for the first one's reply")
        .isEqualTo(Duration.ofMillis(5));
    assertThat(second.checkoutNanos).isEqualTo(first.answeredNanos);
    assertThat(Duration.ofNanos(second.ranNanos())).isEqualTo(Duration.ofMillis(7));
  }

  // A call whose frame cannot be written never reached its worker, so it must not fail as if the
  // worker died running it: it goes to another worker, or waits for one.

  @Test
  void aCallThatCannotBeSentGoesToAnotherFreeWorker() throws Exception {
    Pipe healthy = pipe();
    WorkerSlot w1 = worker("w1", healthy);
    WorkerSlot dead = worker("dead", deadPipe());
    dispatcher.add(w1);
    dispatcher.add(dead); // the most recently freed worker is tried first

    PendingCall call = dispatcher.submit("echo", body("hello"), null);

    Frame sent = reader(healthy).read();
    assertThat(sent.kind()).isEqualTo(FrameKind.CALL);
    assertThat(new String(sent.body(), StandardCharsets.UTF_8)).contains("hello");
    assertThat(call.future()).isNotDone();
    assertThat(lost).singleElement().asString().startsWith("dead: ").contains("while a call was sent to it");
    assertThat(broken).isEmpty();

    dispatcher.onReply(w1, result(sent.requestId(), "hello"));

    assertThat(call.future().get(5, TimeUnit.SECONDS)).isEqualTo("hello");
    assertThat(counters.callsFailed.sum()).isZero();
    assertThat(checkouts).as("one checkout-stop per call, even when sent twice").hasSize(1);
    assertThat(dispatcher.counts()).isEqualTo(new Dispatcher.Counts(1, 0, 0, 0, 0));
  }

  @Test
  void aCallThatCannotBeSentWaitsFirstInLineForTheNextWorker() throws Exception {
    WorkerSlot dead = worker("dead", deadPipe());
    dispatcher.add(dead);
    PendingCall first = dispatcher.submit("echo", body("first"), null);
    PendingCall second = dispatcher.submit("echo", body("second"), null);
    assertThat(dispatcher.counts()).isEqualTo(new Dispatcher.Counts(0, 0, 2, 0, 0));

    Pipe healthy = pipe();
    WorkerSlot w2 = worker("w2", healthy);
    dispatcher.add(w2);

    Frame sent = reader(healthy).read();
    assertThat(new String(sent.body(), StandardCharsets.UTF_8)).contains("first");
    dispatcher.onReply(w2, result(sent.requestId(), "first"));
    assertThat(first.future().get(5, TimeUnit.SECONDS)).isEqualTo("first");
    Frame next = reader(healthy).read();
    assertThat(new String(next.body(), StandardCharsets.UTF_8)).contains("second");
    dispatcher.onReply(w2, result(next.requestId(), "second"));
    assertThat(second.future().get(5, TimeUnit.SECONDS)).isEqualTo("second");
    assertThat(counters.callsFailed.sum()).isZero();
  }

  @Test
  void aDeadWorkerIsNotOfferedAgain() throws Exception {
    WorkerSlot dead = worker("dead", deadPipe());
    dispatcher.add(dead);
    dispatcher.submit("echo", body("x"), null);

    assertThat(dispatcher.counts()).isEqualTo(new Dispatcher.Counts(0, 0, 1, 0, 0));
    dispatcher.submit("echo", body("y"), null);
    assertThat(lost).hasSize(1);
    assertThat(dispatcher.counts()).isEqualTo(new Dispatcher.Counts(0, 0, 2, 0, 0));
  }

  @Test
  void aShortDeadlineExpiresOnTimeWhileALongerOneIsPending() throws Exception {
    WorkerSlot slow = worker("slow", pipe());
    Pipe quickPipe = pipe();
    WorkerSlot quick = worker("quick", quickPipe);
    dispatcher.add(slow);
    PendingCall patient = dispatcher.submit("sleep", body("long"), Duration.ofMinutes(10));
    dispatcher.add(quick);

    PendingCall hasty = dispatcher.submit("sleep", body("short"), Duration.ofMillis(200));
    long requestId = reader(quickPipe).read().requestId();
    clock.forward(Duration.ofMillis(199));
    assertThat(cancels.toString()).as("1 ms before the deadline").doesNotContain("\"reason\":\"timeout\"");

    // At the deadline the worker is told to cancel; the caller waits for the cancel to land.
    clock.forward(Duration.ofMillis(1));
    assertThat(cancels.toString()).contains("\"reason\":\"timeout\"");
    assertThat(hasty.future()).isNotDone();
    assertThat(patient.future()).isNotDone();

    dispatcher.onReply(quick, cancelled(requestId, "  File \"tools.py\", line 7, in sleep\n    time.sleep(seconds)\n"));

    assertThatThrownBy(() -> hasty.future().get(10, TimeUnit.SECONDS))
        .cause().isInstanceOfSatisfying(SnakepitException.class, e -> {
          assertThat(e.kind()).isEqualTo(ErrorKind.TIMEOUT);
          assertThat(e.getMessage()).contains("timed out after 200 ms", "worker quick", "stopped when cancelled, in:",
              "line 7, in sleep");
          assertThat(e.pythonError()).isPresent();
        });
    assertThat(patient.future()).isNotDone();
  }

  @Test
  void aCallPastItsDeadlineWhoseResultArrivesLateStillTimesOut() throws Exception {
    Pipe pipe = pipe();
    WorkerSlot worker = worker("late", pipe);
    dispatcher.add(worker);
    PendingCall call = dispatcher.submit("sleep", body("short"), Duration.ofMillis(100));
    long requestId = reader(pipe).read().requestId();
    clock.forward(Duration.ofMillis(100));
    assertThat(cancels.toString()).contains("\"reason\":\"timeout\"");

    dispatcher.onReply(worker, result(requestId, "too late"));

    assertThatThrownBy(() -> call.future().get(10, TimeUnit.SECONDS))
        .cause().isInstanceOfSatisfying(SnakepitException.class, e -> {
          assertThat(e.kind()).isEqualTo(ErrorKind.TIMEOUT);
          assertThat(e.getMessage()).contains("finished after its deadline and its result was discarded");
        });
    assertThat(dispatcher.counts()).isEqualTo(new Dispatcher.Counts(1, 0, 0, 0, 0));
  }

  @Test
  void aCallWaitingPastTheAcquireTimeoutFailsWhileTheRunningOneGoesOn() throws Exception {
    dispatcher = dispatcher(Duration.ofMillis(200));
    dispatcher.add(worker("busy", pipe()));
    PendingCall running = dispatcher.submit("sleep", body("running"), null);

    PendingCall waiting = dispatcher.submit("echo", body("waiting"), null);
    clock.forward(Duration.ofMillis(199));
    assertThat(waiting.future()).as("1 ms before the acquire timeout").isNotDone();
    clock.forward(Duration.ofMillis(1));

    assertThatThrownBy(() -> waiting.future().get(10, TimeUnit.SECONDS))
        .cause().isInstanceOfSatisfying(SnakepitException.class, e -> {
          assertThat(e.kind()).isEqualTo(ErrorKind.RESOURCE_EXHAUSTED);
          assertThat(e.getMessage()).contains("no worker of pool 'p' became free within 200 ms");
        });
    assertThat(running.future()).isNotDone();
    assertThat(dispatcher.counts()).isEqualTo(new Dispatcher.Counts(0, 1, 0, 0, 0));
  }

  // Pipelining: with every worker busy, calls are written behind the running one, flagged QUEUED, and
  // begin when it is answered.

  @Test
  void aCallIsWrittenAheadFlaggedQueuedAndBeginsWhenTheOneBeforeItIsAnswered() throws Exception {
    Connected w1 = pipelinedWorker(Duration.ofSeconds(10), 1);

    PendingCall first = dispatcher.submit("echo", body("first"), null);
    PendingCall second = dispatcher.submit("echo", body("second"), null);
    PendingCall third = dispatcher.submit("echo", body("third"), null);
    Frame firstFrame = w1.reader().read();
    Frame secondFrame = w1.reader().read(); // written while the first runs
    assertThat(firstFrame.flags() & Frame.QUEUED).isZero();
    assertThat(secondFrame.flags() & Frame.QUEUED).isEqualTo(Frame.QUEUED);
    assertThat(dispatcher.counts().queued()).as("the call written ahead, and the one in the queue").isEqualTo(2);

    dispatcher.onReply(w1.slot(), result(firstFrame.requestId(), "one"));
    Frame thirdFrame = w1.reader().read(); // the second began with nothing to write; the third went ahead of its turn
    assertThat(thirdFrame.flags() & Frame.QUEUED).isEqualTo(Frame.QUEUED);
    dispatcher.onReply(w1.slot(), result(secondFrame.requestId(), "two"));
    dispatcher.onReply(w1.slot(), result(thirdFrame.requestId(), "three"));

    assertThat(first.future()).isCompletedWithValue("one");
    assertThat(second.future()).isCompletedWithValue("two");
    assertThat(third.future()).isCompletedWithValue("three");
    assertThat(List.of(firstFrame.requestId(), secondFrame.requestId(), thirdFrame.requestId())).isSorted();
    assertThat(checkouts).containsExactly("w1", "w1", "w1");
    assertThat(dispatcher.counts().idle()).isEqualTo(1);
    assertThat(broken).isEmpty();
  }

  @Test
  void aCallWrittenAheadAndCancelledIsAnsweredAtOnceAndSkippedByTheWorker() throws Exception {
    Connected w1 = pipelinedWorker(Duration.ofSeconds(10), 1);
    PendingCall first = dispatcher.submit("echo", body("first"), null);
    PendingCall second = dispatcher.submit("echo", body("second"), null);
    Frame firstFrame = w1.reader().read();
    Frame secondFrame = w1.reader().read();

    dispatcher.cancel(second, "the caller gave up");

    assertThat(second.future()).isCompletedExceptionally();
    assertThat(cancelledIds()).containsExactly(secondFrame.requestId());
    dispatcher.onReply(w1.slot(), result(firstFrame.requestId(), "one"));
    // It begins abandoned: the worker is told again, and answers it CANCELLED without running it.
    assertThat(cancelledIds()).containsExactly(secondFrame.requestId(), secondFrame.requestId());
    dispatcher.onReply(w1.slot(), cancelled(secondFrame.requestId(), ""));
    assertThat(first.future()).isCompletedWithValue("one");
    assertThat(dispatcher.counts().idle()).isEqualTo(1);
    assertThat(broken).isEmpty();
  }

  @Test
  void callsWrittenAheadToAWorkerThatDiedGoToAnotherInTheirOrder() throws Exception {
    Connected w1 = pipelinedWorker(Duration.ofSeconds(10), 2);
    Pipe healthy = pipe();
    PendingCall running = dispatcher.submit("echo", body("running"), null);
    PendingCall second = dispatcher.submit("echo", body("second"), null);
    PendingCall third = dispatcher.submit("echo", body("third"), null);
    List<Long> written = List.of(w1.reader().read().requestId(), w1.reader().read().requestId(),
        w1.reader().read().requestId());

    dispatcher.gone(w1.slot(), tool -> new SnakepitException(ErrorKind.WORKER_CRASHED, "w1 died"));
    WorkerSlot w2 = worker("w2", healthy);
    dispatcher.add(w2);
    FrameReader worker = reader(healthy);
    Frame secondFrame = worker.read(); // back at the head of the queue: the next free worker takes it

    assertThat(written).hasSize(3);
    assertThat(running.future()).isCompletedExceptionally();
    assertThat(secondFrame.flags() & Frame.QUEUED).isZero();
    assertThat(dispatcher.counts().queued()).isEqualTo(1);
    dispatcher.onReply(w2, result(secondFrame.requestId(), "two"));
    Frame thirdFrame = worker.read();
    dispatcher.onReply(w2, result(thirdFrame.requestId(), "three"));
    assertThat(second.future()).isCompletedWithValue("two");
    assertThat(third.future()).isCompletedWithValue("three");
  }

  @Test
  void aCallWaitingAheadPastTheAcquireTimeoutFailsAsAQueuedOneAndTheWorkerIsToldToSkipIt() throws Exception {
    Connected w1 = pipelinedWorker(Duration.ofSeconds(1), 1);
    dispatcher.submit("echo", body("first"), null);
    PendingCall second = dispatcher.submit("echo", body("second"), null);
    w1.reader().read();
    Frame secondFrame = w1.reader().read();

    clock.forward(Duration.ofMillis(1001));

    assertThatThrownBy(() -> second.future().join()).cause()
        .isInstanceOfSatisfying(SnakepitException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.RESOURCE_EXHAUSTED));
    assertThat(cancelledIds()).containsExactly(secondFrame.requestId());
    assertThat(dispatcher.counts().queued()).isZero();
  }

  @Test
  void aRetiredWorkerIsIdleOnlyOnceItHasAnsweredItsCallAndTheOnesWrittenAheadToIt() throws Exception {
    Connected w1 = pipelinedWorker(Duration.ofSeconds(10), 1);
    List<String> idle = new ArrayList<>();
    PendingCall first = dispatcher.submit("echo", body("first"), null);
    PendingCall second = dispatcher.submit("echo", body("second"), null);
    Frame firstFrame = w1.reader().read();
    Frame secondFrame = w1.reader().read();

    dispatcher.retire(w1.slot(), () -> idle.add("w1"));
    dispatcher.onReply(w1.slot(), result(firstFrame.requestId(), "one"));
    assertThat(idle).as("the call written ahead still runs there").isEmpty();
    dispatcher.onReply(w1.slot(), result(secondFrame.requestId(), "two"));

    assertThat(idle).containsExactly("w1");
    assertThat(first.future()).isCompletedWithValue("one");
    assertThat(second.future()).isCompletedWithValue("two");
    WorkerSlot w2 = worker("w2", pipe());
    dispatcher.add(w2);
    dispatcher.retire(w2, () -> idle.add("w2"));
    assertThat(idle).as("a worker running nothing is idle at once").containsExactly("w1", "w2");
  }
}

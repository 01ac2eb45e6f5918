package dev.snakepit.internal.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.internal.Counters;
import dev.snakepit.internal.Events;
import dev.snakepit.internal.protocol.EncodedBody;
import dev.snakepit.internal.protocol.Frame;
import dev.snakepit.internal.protocol.FrameKind;
import dev.snakepit.internal.protocol.FrameReader;
import dev.snakepit.internal.protocol.FrameWriter;
import dev.snakepit.internal.protocol.ValueEncoder;
import dev.snakepit.spi.CallEvent;
import dev.snakepit.spi.PoolListener;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A call whose frame cannot be written never reached its worker, so it must not fail as if the worker
 * died running it: it goes to another worker, or waits for one. Workers here are OS pipes; a worker
 * whose reading end is closed fails every write with a broken pipe, as a dead worker's socket does.
 */
@Timeout(30)
class DispatcherSendFailureTest {
  private static final int MAX_FRAME = 1 << 20;

  private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1);
  private final Counters counters = new Counters();
  private final List<String> lost = new ArrayList<>();
  private final List<String> broken = new ArrayList<>();
  private final List<Pipe> pipes = new ArrayList<>();
  private final List<String> checkouts = new ArrayList<>();
  private Dispatcher dispatcher;

  @BeforeEach
  void createDispatcher() {
    PoolListener listener = new PoolListener() {
      @Override
      public void checkoutStop(CallEvent event) {
        checkouts.add(event.workerId());
      }
    };
    dispatcher = new Dispatcher("p", new Dispatcher.Limits(Duration.ofSeconds(10), 10, Duration.ofSeconds(10), Duration.ofSeconds(1)),
        timer, new Events("p", listener), counters, new Dispatcher.Host() {
          @Override
          public void broken(WorkerSlot slot, String reason) {
            broken.add(slot.id() + ": " + reason);
          }

          @Override
          public void lost(WorkerSlot slot, String reason) {
            lost.add(slot.id() + ": " + reason);
          }

          @Override
          public String counts() {
            return "counts";
          }
        });
  }

  @AfterEach
  void closeEverything() throws IOException {
    timer.shutdownNow();
    for (Pipe pipe : pipes) {
      pipe.sink().close();
      pipe.source().close();
    }
  }

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
    assertThat(dispatcher.counts()).containsExactly(1, 0, 0);
  }

  @Test
  void aCallThatCannotBeSentWaitsFirstInLineForTheNextWorker() throws Exception {
    WorkerSlot dead = worker("dead", deadPipe());
    dispatcher.add(dead);
    PendingCall first = dispatcher.submit("echo", body("first"), null);
    PendingCall second = dispatcher.submit("echo", body("second"), null);
    assertThat(dispatcher.counts()).as("idle, busy, queued").containsExactly(0, 0, 2);

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

    assertThat(dispatcher.counts()).containsExactly(0, 0, 1);
    dispatcher.submit("echo", body("y"), null);
    assertThat(lost).hasSize(1);
    assertThat(dispatcher.counts()).containsExactly(0, 0, 2);
  }

  private Pipe pipe() throws IOException {
    Pipe pipe = Pipe.open();
    pipes.add(pipe);
    return pipe;
  }

  private Pipe deadPipe() throws IOException {
    Pipe pipe = pipe();
    pipe.source().close();
    return pipe;
  }

  private static WorkerSlot worker(String id, Pipe pipe) {
    return new WorkerSlot(id, new FrameWriter(pipe.sink(), MAX_FRAME), null);
  }

  private static FrameReader reader(Pipe pipe) {
    return new FrameReader(Channels.newInputStream(pipe.source()), MAX_FRAME);
  }

  private static EncodedBody body(String text) throws Exception {
    return new ValueEncoder().encode(Map.of("tool", "echo", "args", List.of(text)));
  }

  private static Frame result(long requestId, String value) throws Exception {
    EncodedBody body = new ValueEncoder().encode(Map.of("value", value));
    return new Frame(FrameKind.RESULT, requestId, body.jsonBytes());
  }
}

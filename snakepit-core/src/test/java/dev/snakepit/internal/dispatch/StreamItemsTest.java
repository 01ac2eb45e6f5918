package dev.snakepit.internal.dispatch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.internal.protocol.Frame;
import dev.snakepit.internal.protocol.FrameKind;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The credit arithmetic of a stream's buffer, without a worker. */
@Timeout(10)
class StreamItemsTest {
  private static Frame chunk(int i) {
    return new Frame(FrameKind.CHUNK, 1, ("{\"value\":" + i + "}").getBytes(StandardCharsets.UTF_8));
  }

  private static String text(Frame frame) {
    return new String(frame.body(), StandardCharsets.UTF_8);
  }

  @Test
  void theWorkerMaySendItsCreditAndNoMoreUntilTheConsumerReturnsHalfOfIt() throws Exception {
    List<Integer> grants = new ArrayList<>();
    StreamItems items = new StreamItems(4);
    items.grantWith(grants::add);
    for (int i = 0; i < 4; i++) {
      assertThat(items.offer(chunk(i))).isTrue();
    }
    assertThat(items.offer(chunk(4))).as("a fifth item without credit").isFalse();

    assertThat(text(items.take(0))).isEqualTo("{\"value\":0}");
    assertThat(grants).as("one taken: below half the credit").isEmpty();
    assertThat(text(items.take(0))).isEqualTo("{\"value\":1}");
    assertThat(grants).containsExactly(2);
    assertThat(items.offer(chunk(4))).isTrue();
    assertThat(items.offer(chunk(5))).isTrue();
    assertThat(items.offer(chunk(6))).isFalse();
  }

  @Test
  void aCreditOfOneIsReturnedAfterEveryItem() throws Exception {
    List<Integer> grants = new ArrayList<>();
    StreamItems items = new StreamItems(1);
    items.grantWith(grants::add);
    for (int i = 0; i < 3; i++) {
      assertThat(items.offer(chunk(i))).isTrue();
      assertThat(items.take(0)).isNotNull();
    }
    assertThat(grants).containsExactly(1, 1, 1);
  }

  @Test
  void theEndComesAfterTheItemsBufferedAndCarriesTheError() throws Exception {
    StreamItems items = new StreamItems(8);
    items.offer(chunk(0));
    items.offer(chunk(1));
    IllegalStateException failure = new IllegalStateException("worker died");
    items.end(failure);
    assertThat(items.over()).isFalse();
    assertThat(items.take(0)).isNotNull();
    assertThat(items.take(0)).isNotNull();
    assertThat(items.take(TimeUnit.SECONDS.toNanos(5))).as("no wait once ended").isNull();
    assertThat(items.over()).isTrue();
    assertThat(items.failure()).isSameAs(failure);
  }

  @Test
  void noCreditIsReturnedOnceTheStreamEndedOrWasClosed() throws Exception {
    List<Integer> grants = new ArrayList<>();
    StreamItems items = new StreamItems(2);
    items.grantWith(grants::add);
    items.offer(chunk(0));
    items.offer(chunk(1));
    items.end(null);
    items.take(0);
    items.take(0);
    assertThat(grants).isEmpty();
    assertThat(items.failure()).isNull();

    StreamItems closed = new StreamItems(2);
    closed.offer(chunk(0));
    closed.close();
    assertThat(closed.take(0)).as("the buffer is dropped").isNull();
    assertThat(closed.over()).isTrue();
    assertThat(closed.offer(chunk(1))).as("a late item still uses credit").isTrue();
    assertThat(closed.take(0)).isNull();
  }

  @Test
  void aWaitingConsumerWakesForAnItemAndForAClose() throws Exception {
    StreamItems items = new StreamItems(2);
    CompletableFuture<Frame> taken = CompletableFuture.supplyAsync(() -> take(items));
    items.offer(chunk(7));
    assertThat(text(taken.get(5, TimeUnit.SECONDS))).isEqualTo("{\"value\":7}");

    CompletableFuture<Frame> woken = CompletableFuture.supplyAsync(() -> take(items));
    items.close();
    assertThat(woken.get(5, TimeUnit.SECONDS)).isNull();
  }

  private static Frame take(StreamItems items) {
    try {
      return items.take(TimeUnit.SECONDS.toNanos(30));
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }
}

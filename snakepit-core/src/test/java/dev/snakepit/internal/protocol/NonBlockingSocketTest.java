package dev.snakepit.internal.protocol;

import static dev.snakepit.internal.protocol.FrameWriterTest.randomBytes;
import static dev.snakepit.internal.protocol.FrameWriterTest.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/**
 * The JVM's end of a data socket in non-blocking mode, as the pool uses it: frames read through a
 * {@link ChannelInput} and written by a {@link FrameWriter} that waits for room. Above all, an
 * interrupted thread closes nothing, whether it waits for a frame, is inside one, or waits to write.
 */
@EnabledOnOs({OS.LINUX, OS.MAC})
@Timeout(60)
class NonBlockingSocketTest {

  private static final int MAX = 16 << 20;

  private UnixSocketPair sockets;
  private SocketChannel jvmSide;
  private SocketChannel workerSide;
  private ChannelInput input;

  @BeforeEach
  void connect() throws IOException {
    sockets = UnixSocketPair.connect();
    jvmSide = sockets.jvmSide();
    workerSide = sockets.workerSide();
    input = new ChannelInput(jvmSide, 64 * 1024);
  }

  @AfterEach
  void close() throws IOException {
    input.close();
    sockets.close();
  }

  @Test
  void carriesFramesLargerThanTheSocketBuffersBothWays() throws Exception {
    byte[] toWorker = randomBytes(9 << 20, 1);
    byte[] toJvm = randomBytes(9 << 20, 2);
    CompletableFuture<Frame> workerGot = CompletableFuture.supplyAsync(() -> {
      try {
        Frame frame = new FrameReader(new BufferedInputStream(Channels.newInputStream(workerSide)), MAX).read();
        new FrameWriter(workerSide, MAX).write(FrameKind.RESULT, 0, 2, utf8("{\"$b\":0}"), List.of(ByteBuffer.wrap(toJvm)));
        return frame;
      } catch (IOException | FrameTooLargeException e) {
        throw new IllegalStateException(e);
      }
    });

    new FrameWriter(jvmSide, MAX).write(FrameKind.CALL, Frame.TAGGED, 1, utf8("{\"$b\":0}"), List.of(ByteBuffer.wrap(toWorker)));
    Frame reply = new FrameReader(input, MAX).read();

    assertThat(jvmSide.isBlocking()).isFalse();
    assertThat(workerGot.get(30, TimeUnit.SECONDS).attachments().get(0)).isEqualTo(toWorker);
    assertThat(reply.requestId()).isEqualTo(2);
    assertThat(reply.attachments().get(0)).isEqualTo(toJvm);
  }

  @Test
  void anInterruptEndsTheWaitForAFrameAndClosesNothing() throws Exception {
    CompletableFuture<Boolean> readable = new CompletableFuture<>();
    AtomicBoolean stillInterrupted = new AtomicBoolean();
    Thread waiter = Thread.ofPlatform().start(() -> {
      readable.complete(input.awaitReadable(TimeUnit.SECONDS.toNanos(30)));
      stillInterrupted.set(Thread.currentThread().isInterrupted());
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> isSelecting(waiter));

    waiter.interrupt();

    assertThat(readable.get(10, TimeUnit.SECONDS)).isFalse();
    waiter.join(Duration.ofSeconds(10));
    assertThat(stillInterrupted).isTrue();
    assertThat(jvmSide.isOpen()).isTrue();
    sendFromWorker(7, "{}");
    assertThat(input.awaitReadable(TimeUnit.SECONDS.toNanos(10))).isTrue();
    assertThat(new FrameReader(input, MAX).read().requestId()).isEqualTo(7);
  }

  @Test
  void aFrameThatStartedArrivingIsReadToItsEndDespiteAnInterrupt() throws Exception {
    byte[] whole = encode(5, "{\"value\":\"" + "x".repeat(1000) + "\"}");
    workerSide.write(ByteBuffer.wrap(whole, 0, 100));
    CompletableFuture<Frame> frame = new CompletableFuture<>();
    AtomicBoolean stillInterrupted = new AtomicBoolean();
    Thread reader = Thread.ofPlatform().start(() -> {
      try {
        frame.complete(new FrameReader(input, MAX).read());
      } catch (IOException | RuntimeException e) {
        frame.completeExceptionally(e);
      }
      stillInterrupted.set(Thread.currentThread().isInterrupted());
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> isSelecting(reader));

    reader.interrupt();
    workerSide.write(ByteBuffer.wrap(whole, 100, whole.length - 100));

    assertThat(frame.get(10, TimeUnit.SECONDS).requestId()).isEqualTo(5);
    reader.join(Duration.ofSeconds(10));
    assertThat(stillInterrupted).isTrue();
    assertThat(jvmSide.isOpen()).isTrue();
  }

  @Test
  void wakeEndsTheWaitForAFrame() throws Exception {
    CompletableFuture<Boolean> readable = new CompletableFuture<>();
    Thread waiter = Thread.ofPlatform().start(() -> readable.complete(input.awaitReadable(TimeUnit.SECONDS.toNanos(30))));
    await().atMost(Duration.ofSeconds(10)).until(() -> isSelecting(waiter));

    input.wake();

    assertThat(readable.get(10, TimeUnit.SECONDS)).isFalse();
    waiter.join(Duration.ofSeconds(10));
  }

  @Test
  void theWaitForAFrameEndsWhenItsTimeHasPassed() {
    assertThat(input.awaitReadable(TimeUnit.MILLISECONDS.toNanos(20))).isFalse();
    assertThat(input.awaitReadable(0)).isFalse();
  }

  @Test
  void theWorkerClosingItsEndIsReadableAndReadsAsTheEnd() throws Exception {
    workerSide.close();

    assertThat(input.awaitReadable(TimeUnit.SECONDS.toNanos(10))).isTrue();
    assertThat(new FrameReader(input, MAX).read()).isNull();
  }

  @Test
  void closingTheInputEndsAReadWaitingInsideAFrame() throws Exception {
    workerSide.write(ByteBuffer.wrap(encode(5, "{}"), 0, 10));
    CompletableFuture<Frame> frame = new CompletableFuture<>();
    Thread reader = Thread.ofPlatform().start(() -> {
      try {
        frame.complete(new FrameReader(input, MAX).read());
      } catch (IOException | RuntimeException e) {
        frame.completeExceptionally(e);
      }
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> isSelecting(reader));

    input.close();

    assertThatThrownBy(() -> frame.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(ClosedChannelException.class);
    reader.join(Duration.ofSeconds(10));
  }

  @Test
  void anInterruptWhileTheWriterWaitsForRoomClosesNothing() throws Exception {
    byte[] large = randomBytes(32 << 20, 3);
    CompletableFuture<Void> written = new CompletableFuture<>();
    AtomicBoolean stillInterrupted = new AtomicBoolean();
    Thread writer = Thread.ofPlatform().start(() -> {
      try {
        new FrameWriter(jvmSide, 64 << 20).write(FrameKind.CALL, Frame.TAGGED, 3, utf8("{\"$b\":0}"), List.of(ByteBuffer.wrap(large)));
        written.complete(null);
      } catch (IOException | FrameTooLargeException | RuntimeException e) {
        written.completeExceptionally(e);
      }
      stillInterrupted.set(Thread.currentThread().isInterrupted());
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> isSelecting(writer));

    writer.interrupt();
    Frame frame = new FrameReader(new BufferedInputStream(Channels.newInputStream(workerSide)), 64 << 20).read();

    written.get(30, TimeUnit.SECONDS);
    writer.join(Duration.ofSeconds(10));
    assertThat(frame.attachments().get(0)).isEqualTo(large);
    assertThat(stillInterrupted).isTrue();
    assertThat(jvmSide.isOpen()).isTrue();
  }

  private void sendFromWorker(long requestId, String body) throws IOException {
    ByteBuffer bytes = ByteBuffer.wrap(encode(requestId, body));
    while (bytes.hasRemaining()) {
      workerSide.write(bytes);
    }
  }

  private static byte[] encode(long requestId, String body) throws IOException {
    RecordingChannel channel = new RecordingChannel();
    try {
      new FrameWriter(channel, MAX).write(FrameKind.RESULT, 0, requestId, utf8(body), List.of());
    } catch (FrameTooLargeException e) {
      throw new IllegalStateException(e);
    }
    return channel.received();
  }

  private static boolean isSelecting(Thread thread) {
    return Arrays.stream(thread.getStackTrace()).anyMatch(frame -> frame.getClassName().contains("SelectorImpl"));
  }
}

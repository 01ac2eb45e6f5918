package dev.snakepit.internal.protocol;

import static dev.snakepit.internal.protocol.FrameWriterTest.randomBytes;
import static dev.snakepit.internal.protocol.FrameWriterTest.utf8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

/** Frames over the carriers the pool uses: a Unix socket (data plane) and a process's pipes (control). */
@EnabledOnOs({OS.LINUX, OS.MAC})
@Timeout(60) // a deadlock between reader and writer must fail the test, not hang the build
class FrameChannelsTest {

  private static final int MAX = 16 << 20;

  private UnixSocketPair sockets;
  private SocketChannel jvmSide;
  private SocketChannel workerSide;

  @BeforeEach
  void connect() throws IOException {
    sockets = UnixSocketPair.connect();
    jvmSide = sockets.jvmSide();
    workerSide = sockets.workerSide();
  }

  @AfterEach
  void close() throws IOException {
    sockets.close();
  }

  @Test
  void writesWhileAnotherThreadIsBlockedReadingTheSameSocket() throws Exception {
    FrameReader jvmReader = new FrameReader(new BufferedInputStream(Channels.newInputStream(jvmSide)), MAX);
    FrameWriter jvmWriter = new FrameWriter(jvmSide, MAX);
    CompletableFuture<Frame> answer = new CompletableFuture<>();
    Thread readerThread = Thread.ofPlatform().name("jvm-reader").start(() -> {
      try {
        answer.complete(jvmReader.read());
      } catch (IOException | RuntimeException e) {
        answer.completeExceptionally(e);
      }
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> isBlockedReading(readerThread));

    // The worker side echoes the call; the JVM's write must not wait for its own reader.
    CompletableFuture<Void> echo = CompletableFuture.runAsync(() -> {
      try {
        FrameReader workerReader = new FrameReader(new BufferedInputStream(Channels.newInputStream(workerSide)), MAX);
        Frame call = workerReader.read();
        new FrameWriter(workerSide, MAX).write(FrameKind.RESULT, 0, call.requestId(), ByteBuffer.wrap(call.body()),
            List.of());
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    jvmWriter.write(FrameKind.CALL, 0, 9, utf8("{\"tool\":\"ping\"}"), List.of());

    Frame result = answer.get(10, TimeUnit.SECONDS);
    echo.get(10, TimeUnit.SECONDS);
    readerThread.join(Duration.ofSeconds(10));
    assertThat(result.kind()).isEqualTo(FrameKind.RESULT);
    assertThat(result.requestId()).isEqualTo(9);
  }

  @Test
  void carriesAFrameLargerThanTheSocketBuffers() throws Exception {
    byte[] attachment = randomBytes(5 << 20, 11);
    FrameReader workerReader = new FrameReader(new BufferedInputStream(Channels.newInputStream(workerSide)), MAX);
    CompletableFuture<Frame> received = CompletableFuture.supplyAsync(() -> {
      try {
        return workerReader.read();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });

    new FrameWriter(jvmSide, MAX).write(FrameKind.CALL, Frame.TAGGED, 1, utf8("{\"$b\":0}"),
        List.of(ByteBuffer.wrap(attachment)));

    Frame frame = received.get(30, TimeUnit.SECONDS);
    assertThat(frame.attachments().get(0)).isEqualTo(attachment);
  }

  @Test
  void echoesFramesThroughAProcessPipe() throws Exception {
    Process cat = new ProcessBuilder("cat").redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try {
      FrameWriter toWorker = FrameWriter.toStream(cat.getOutputStream(), MAX);
      FrameReader fromWorker = new FrameReader(cat.getInputStream(), MAX);
      // Read while writing: a frame larger than the pipes fills them until someone reads.
      CompletableFuture<List<Frame>> echoed = CompletableFuture.supplyAsync(() -> {
        try {
          return List.of(fromWorker.read(), fromWorker.read());
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });

      toWorker.write(FrameKind.HEARTBEAT, 0, 0, utf8("{}"), List.of());
      toWorker.write(FrameKind.LOG, 0, 0, utf8("{\"message\":\"x\"}"),
          List.of(ByteBuffer.wrap(randomBytes(200_000, 5))));

      List<Frame> frames = echoed.get(30, TimeUnit.SECONDS);
      assertThat(frames.get(0).kind()).isEqualTo(FrameKind.HEARTBEAT);
      assertThat(frames.get(1).attachments().get(0)).isEqualTo(randomBytes(200_000, 5));
      cat.getOutputStream().close();
      assertThat(fromWorker.read()).isNull();
      assertThat(cat.waitFor(10, TimeUnit.SECONDS)).isTrue();
    } finally {
      cat.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  private static boolean isBlockedReading(Thread thread) {
    return Arrays.stream(thread.getStackTrace())
        .anyMatch(frame -> frame.getMethodName().startsWith("read") && frame.getClassName().startsWith("sun.nio.ch"));
  }
}

package dev.snakepit.internal.protocol;

import static dev.snakepit.internal.protocol.HandMadeFrames.frame;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FrameWriterTest {

  private static final int MAX = 16 << 20;
  private static final byte[] IMAGE = {(byte) 0x89, 'P', 'N', 'G'};
  private static final String BODY = "{\"a\":{\"$b\":0},\"b\":{\"$b\":1}}";

  @Test
  void writesTheLayoutOfTheProtocolByteForByte() throws Exception {
    RecordingChannel channel = new RecordingChannel();

    new FrameWriter(channel, MAX).write(FrameKind.CALL, Frame.TAGGED, 42, utf8(BODY),
        List.of(ByteBuffer.wrap(IMAGE), ByteBuffer.allocate(0)));

    assertThat(channel.received()).isEqualTo(frame(3, Frame.TAGGED, 42, BODY, IMAGE, new byte[0]));
  }

  @Test
  void writesAFrameAsReadIdentically() throws Exception {
    byte[] bytes = frame(4, Frame.TAGGED, 7, BODY, IMAGE, new byte[] {1});
    Frame frame = new FrameReader(new ByteArrayInputStream(bytes), MAX).read();
    RecordingChannel channel = new RecordingChannel();

    new FrameWriter(channel, MAX).write(frame);

    assertThat(channel.received()).isEqualTo(bytes);
  }

  @Test
  void leavesThePositionsOfTheCallersBuffersWhereTheyWere() throws Exception {
    ByteBuffer body = utf8("xx" + BODY).position(2);
    ByteBuffer attachment = ByteBuffer.allocateDirect(6).put(new byte[] {9, 9, 1, 2, 3, 4}).position(2);
    RecordingChannel channel = new RecordingChannel();
    FrameWriter writer = new FrameWriter(channel, MAX);

    writer.write(FrameKind.CALL, Frame.TAGGED, 1, body, List.of(attachment, ByteBuffer.allocate(0)));
    writer.write(FrameKind.CALL, Frame.TAGGED, 1, body, List.of(attachment, ByteBuffer.allocate(0)));

    assertThat(body.position()).isEqualTo(2);
    assertThat(attachment.position()).isEqualTo(2);
    byte[] once = frame(3, Frame.TAGGED, 1, BODY, new byte[] {1, 2, 3, 4}, new byte[0]);
    assertThat(channel.received()).isEqualTo(HandMadeFrames.concat(once, once));
  }

  @Test
  void refusesAnOversizeFrameBeforeWritingAnyByteAndStaysUsable() throws Exception {
    RecordingChannel channel = new RecordingChannel();
    FrameWriter writer = new FrameWriter(channel, 1024);
    ByteBuffer big = ByteBuffer.allocate(1000);

    assertThatThrownBy(() -> writer.write(FrameKind.CALL, 0, 1, utf8("{}"), List.of(big)))
        .isInstanceOfSatisfying(FrameTooLargeException.class, e -> {
          assertThat(e.frameBytes()).isEqualTo(24 + 4 + 2 + 1000);
          assertThat(e.maxFrameBytes()).isEqualTo(1024);
        })
        .hasMessage("frame of 1030 bytes exceeds maxFrameBytes 1024 (a frame's total size, 4 + L,"
            + " must not exceed the limit); nothing was sent");
    assertThat(channel.calls).isZero();

    writer.write(FrameKind.CALL, 0, 2, ByteBuffer.allocate(1000), List.of());
    assertThat(channel.received()).hasSize(1024);
  }

  @Test
  void finishesFramesOverAChannelThatTakesAFewBytesPerCall() throws Exception {
    RecordingChannel channel = new RecordingChannel(7, -1);

    new FrameWriter(channel, MAX).write(FrameKind.RESULT, Frame.TAGGED, 5, utf8(BODY),
        List.of(ByteBuffer.wrap(IMAGE), ByteBuffer.wrap(new byte[] {1, 2})));

    assertThat(channel.received()).isEqualTo(frame(4, Frame.TAGGED, 5, BODY, IMAGE, new byte[] {1, 2}));
  }

  @Test
  void writesLargeBuffersInBoundedSlices() throws Exception {
    byte[] attachment = randomBytes(3 << 20, 1);
    byte[] body = randomBytes(600 << 10, 2);
    RecordingChannel channel = new RecordingChannel();

    new FrameWriter(channel, MAX).write(FrameKind.CALL, 0, 3, ByteBuffer.wrap(body),
        List.of(ByteBuffer.wrap(attachment)));

    assertThat(channel.largestBufferOffered).isLessThanOrEqualTo(256 << 10);
    assertThat(channel.largestOffer).isLessThanOrEqualTo(1 << 20);
    Frame back = new FrameReader(new ByteArrayInputStream(channel.received()), MAX).read();
    assertThat(back.body()).isEqualTo(body);
    assertThat(back.attachments().get(0)).isEqualTo(attachment);
  }

  @Test
  void keepsFramesFromConcurrentWritersWhole() throws Exception {
    int threads = 8;
    int framesEach = 200;
    RecordingChannel channel = new RecordingChannel(13, -1);
    FrameWriter writer = new FrameWriter(channel, MAX);
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        done.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < framesEach; i++) {
            long id = thread * 1_000_000L + i;
            writer.write(FrameKind.CALL, Frame.TAGGED, id, utf8("{\"id\":" + id + "}"),
                List.of(ByteBuffer.wrap(randomBytes(i % 50, id))));
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> future : done) {
        future.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    FrameReader reader = new FrameReader(new ByteArrayInputStream(channel.received()), MAX);
    Set<Long> seen = new HashSet<>();
    for (Frame frame = reader.read(); frame != null; frame = reader.read()) {
      long id = frame.requestId();
      assertThat(new String(frame.body(), StandardCharsets.UTF_8)).isEqualTo("{\"id\":" + id + "}");
      assertThat(frame.attachments().get(0)).isEqualTo(randomBytes((int) (id % 1_000_000) % 50, id));
      assertThat(seen.add(id)).as("frame %d arrives once", id).isTrue();
    }
    assertThat(seen).hasSize(threads * framesEach);
  }

  @Test
  void refusesEveryFrameAfterAWriteFailedPartWay() throws Exception {
    RecordingChannel channel = new RecordingChannel(5, 2);
    FrameWriter writer = new FrameWriter(channel, MAX);

    assertThatThrownBy(() -> writer.write(FrameKind.CALL, 0, 1, utf8(BODY), List.of()))
        .isInstanceOf(IOException.class).hasMessage("connection reset (simulated)");
    assertThatThrownBy(() -> writer.write(FrameKind.CALL, 0, 2, utf8("{}"), List.of()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("an earlier frame was only partly written");
  }

  @Test
  void flushesAStreamAfterEveryFrame() throws Exception {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    FrameWriter writer = FrameWriter.toStream(new BufferedOutputStream(sink, 1 << 16), MAX);

    writer.write(FrameKind.CANCEL, 0, 7, utf8("{\"reason\":\"timeout\"}"), List.of());

    assertThat(sink.toByteArray()).isEqualTo(frame(18, 0, 7, "{\"reason\":\"timeout\"}"));
  }

  @Test
  void writesDirectBuffersToAStream() throws Exception {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    ByteBuffer direct = ByteBuffer.allocateDirect(20_000).put(randomBytes(20_000, 3)).flip();

    FrameWriter.toStream(sink, MAX).write(FrameKind.RESULT, Frame.TAGGED, 1, utf8("{}"), List.of(direct));

    assertThat(sink.toByteArray()).isEqualTo(frame(4, Frame.TAGGED, 1, "{}", randomBytes(20_000, 3)));
  }

  @Test
  void writesThroughAPlainByteChannel() throws Exception {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();

    new FrameWriter(Channels.newChannel(sink), MAX).write(FrameKind.LOG, 0, 0, utf8("{}"),
        List.of(ByteBuffer.wrap(IMAGE)));

    assertThat(sink.toByteArray()).isEqualTo(frame(16, 0, 0, "{}", IMAGE));
  }

  @Test
  void waitsForRoomInANonBlockingChannel() throws Exception {
    byte[] attachment = randomBytes(1 << 20, 4); // several times a pipe's buffer
    Pipe pipe = Pipe.open();
    try (Pipe.SinkChannel sink = pipe.sink(); Pipe.SourceChannel source = pipe.source()) {
      sink.configureBlocking(false);
      CompletableFuture<Frame> read = CompletableFuture.supplyAsync(() -> {
        try {
          return new FrameReader(Channels.newInputStream(source), MAX).read();
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });

      new FrameWriter(sink, MAX).write(FrameKind.CALL, Frame.TAGGED, 6, utf8("{\"$b\":0}"), List.of(ByteBuffer.wrap(attachment)));

      Frame frame = read.get(30, TimeUnit.SECONDS);
      assertThat(frame.requestId()).isEqualTo(6);
      assertThat(frame.attachments().get(0)).isEqualTo(attachment);
    }
  }

  @Test
  void refusesFlagsOutsideTheFlagsByte() {
    FrameWriter writer = new FrameWriter(new RecordingChannel(), MAX);

    assertThatThrownBy(() -> writer.write(FrameKind.CALL, 256, 1, utf8("{}"), List.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("flags 256");
  }

  static ByteBuffer utf8(String text) {
    return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
  }

  static byte[] randomBytes(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }
}

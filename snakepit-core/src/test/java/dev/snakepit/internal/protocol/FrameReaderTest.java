package dev.snakepit.internal.protocol;

import static dev.snakepit.internal.protocol.HandMadeFrames.concat;
import static dev.snakepit.internal.protocol.HandMadeFrames.frame;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.internal.protocol.ProtocolViolation.Reason;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FrameReaderTest {

  private static final int MAX = 1 << 20;

  @Test
  void readsEveryFieldOfAFrame() throws IOException {
    byte[] image = {(byte) 0x89, 'P', 'N', 'G'};
    FrameReader reader = reader(frame(3, Frame.TAGGED, 42, "{\"a\":{\"$b\":0}}", image, new byte[0]));

    Frame frame = reader.read();

    assertThat(frame.kind()).isEqualTo(FrameKind.CALL);
    assertThat(frame.flags()).isEqualTo(Frame.TAGGED);
    assertThat(frame.tagged()).isTrue();
    assertThat(frame.requestId()).isEqualTo(42);
    assertThat(new String(frame.body(), StandardCharsets.UTF_8)).isEqualTo("{\"a\":{\"$b\":0}}");
    assertThat(frame.attachments()).hasSize(2);
    assertThat(frame.attachments().get(0)).isEqualTo(image);
    assertThat(frame.attachments().get(1)).isEmpty();
  }

  @Test
  void readsRequestIdsAsUnsigned64BitValues() throws IOException {
    Frame frame = reader(frame(4, 0, -1L, "{}")).read();

    assertThat(Long.toUnsignedString(frame.requestId())).isEqualTo("18446744073709551615");
  }

  @Test
  void keepsReservedFlagBitsWithoutInterpretingThem() throws IOException {
    Frame frame = reader(frame(4, 0xFE, 1, "{}")).read();

    assertThat(frame.flags()).isEqualTo(0xFE);
    assertThat(frame.tagged()).isFalse();
  }

  @Test
  void readsFramesBackToBackThenNullAtCleanEndOfStream() throws IOException {
    FrameReader reader = reader(concat(frame(1, 0, 0, "{}"), frame(6, 0, 0, ""), frame(19, 0, 0, "[]")));

    assertThat(reader.read().kind()).isEqualTo(FrameKind.HELLO);
    Frame empty = reader.read();
    assertThat(empty.kind()).isEqualTo(FrameKind.SHUTDOWN);
    assertThat(empty.body()).isEmpty();
    assertThat(reader.read().kind()).isEqualTo(FrameKind.HEARTBEAT);
    assertThat(reader.read()).isNull();
    assertThat(reader.read()).isNull();
  }

  @Test
  void returnsNullForAnEmptyStream() throws IOException {
    assertThat(reader(new byte[0]).read()).isNull();
  }

  @Test
  void readsAnAttachmentTableLargerThanItsScratchBuffer() throws IOException {
    byte[][] attachments = new byte[100][];
    for (int i = 0; i < attachments.length; i++) {
      attachments[i] = new byte[i];
      Arrays.fill(attachments[i], (byte) i);
    }
    Frame frame = reader(frame(4, Frame.TAGGED, 0, 9, new byte[0], 0, attachments)).read();

    assertThat(frame.attachments()).hasSize(100);
    for (int i = 0; i < attachments.length; i++) {
      assertThat(frame.attachments().get(i)).isEqualTo(attachments[i]);
    }
  }

  @Test
  void acceptsAFrameOfExactlyTheMaximumSize() throws IOException {
    int max = 1024;
    byte[] body = new byte[max - 24];
    Arrays.fill(body, (byte) ' ');

    Frame frame = new FrameReader(new ByteArrayInputStream(frame(4, 0, 0, 1, body, 0)), max).read();

    assertThat(frame.body()).hasSize(max - 24);
  }

  @Test
  void rejectsAnOversizeFrameAfterReadingOnlyItsLengthField() {
    int max = 1024;
    byte[] bytes = frame(4, 0, 0, 1, new byte[max - 23], 0);
    CountingStream in = new CountingStream(bytes);

    assertThatThrownBy(() -> new FrameReader(in, max).read())
        .isInstanceOfSatisfying(ProtocolViolation.class, e -> assertThat(e.reason()).isEqualTo(Reason.OVERSIZE))
        .hasMessage("frame of 1025 bytes (length field 1021) exceeds maxFrameBytes 1024;"
            + " a frame's size 4 + L must not exceed it");
    assertThat(in.consumed).isEqualTo(4);
  }

  @Test
  void rejectsALengthFieldOfFourGigabytesWithoutAllocating() {
    byte[] bytes = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};

    assertThatThrownBy(() -> reader(bytes).read())
        .isInstanceOfSatisfying(ProtocolViolation.class, e -> assertThat(e.reason()).isEqualTo(Reason.OVERSIZE))
        .hasMessageContaining("frame of 4294967299 bytes");
  }

  @Test
  void rejectsALengthBelowTheFixedHeader() {
    byte[] bytes = concat(new byte[] {0, 0, 0, 8}, new byte[8]);

    assertViolation(bytes, Reason.LENGTH_MISMATCH, "frame length L = 8 is below 20");
  }

  @Test
  void rejectsALengthLargerThanTheFramesParts() {
    byte[] bytes = concat(frame(3, 0, 0, 1, "{}".getBytes(StandardCharsets.UTF_8), 3), new byte[3]);

    assertViolation(bytes, Reason.LENGTH_MISMATCH, "CALL frame declares L = 25 but its header, attachment"
        + " table, body and attachments add up to 22");
  }

  @Test
  void rejectsAnAttachmentTableThatClaimsMoreThanTheLength() {
    byte[] bytes = frame(4, Frame.TAGGED, 0, 1, new byte[0], 0, new byte[8]);
    ByteBuffer.wrap(bytes).putInt(24, 1_000_000);

    assertViolation(bytes, Reason.LENGTH_MISMATCH, "once attachment 0 (1000000 bytes) is counted");
  }

  @Test
  void rejectsAHugeAttachmentCountBeforeReadingTheTable() {
    byte[] bytes = frame(4, 0, 0, 1, new byte[0], 0);
    ByteBuffer.wrap(bytes).putInt(20, -1);

    assertViolation(bytes, Reason.LENGTH_MISMATCH, "4294967295-entry attachment table");
  }

  @Test
  void rejectsAnUnknownKind() {
    for (int kind : new int[] {0, 15, 26, 99, 255}) {
      assertViolation(frame(kind, 0, 1, "{}"), Reason.UNKNOWN_KIND,
          "frame kind " + kind + " is not defined by protocol version 1");
    }
  }

  @Test
  void rejectsANonZeroReservedField() {
    byte[] bytes = frame(3, 0, 0x0100, 1, new byte[0], 0);

    assertViolation(bytes, Reason.RESERVED_NONZERO, "reserved header field is 256 in a CALL frame");
  }

  @Test
  void reportsTruncationInsideTheLengthField() {
    assertViolation(new byte[] {0, 0}, Reason.TRUNCATED, "ended after 2 of the 4 bytes of a frame's length");
  }

  @Test
  void reportsTruncationInsideEachPartOfAFrame() {
    byte[] whole = frame(4, Frame.TAGGED, 7, "{\"value\":{\"$b\":0}}", new byte[] {1, 2, 3, 4});
    assertViolation(Arrays.copyOf(whole, 10), Reason.TRUNCATED, "fixed header of a frame");
    assertViolation(Arrays.copyOf(whole, 26), Reason.TRUNCATED, "attachment table of a RESULT frame (request id 7)");
    assertViolation(Arrays.copyOf(whole, 30), Reason.TRUNCATED, "ended after 2 of the 18 bytes of the body");
    assertViolation(Arrays.copyOf(whole, whole.length - 1), Reason.TRUNCATED, "3 of the 4 bytes of the attachment 0");
  }

  @Test
  void readsPartsLargerThanOneReadInBoundedPiecesAndReportsTruncationInsideThem() throws IOException {
    byte[] big = new byte[(5 << 20) / 2 + 7];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 31);
    }
    byte[] whole = frame(4, Frame.TAGGED, 3, "{\"value\":{\"$b\":0}}", big);
    LargestRead stream = new LargestRead(whole);

    Frame frame = new FrameReader(stream, 8 << 20).read();

    assertThat(frame.attachments().get(0)).isEqualTo(big);
    assertThat(stream.largest).isEqualTo(1 << 20);
    assertThatThrownBy(() -> new FrameReader(new ByteArrayInputStream(Arrays.copyOf(whole, whole.length - 5)), 8 << 20).read())
        .isInstanceOfSatisfying(ProtocolViolation.class, e -> assertThat(e.reason()).isEqualTo(Reason.TRUNCATED))
        .hasMessageContaining("ended after " + (big.length - 5) + " of the " + big.length + " bytes of the attachment 0");
  }

  @Test
  void refusesAMaximumBelowTheSmallestFrame() {
    assertThatThrownBy(() -> new FrameReader(InputStream.nullInputStream(), 23))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxFrameBytes 23 is below 24");
  }

  private static FrameReader reader(byte[] bytes) {
    return new FrameReader(new ByteArrayInputStream(bytes), MAX);
  }

  private static void assertViolation(byte[] bytes, Reason reason, String message) {
    assertThatThrownBy(() -> reader(bytes).read())
        .isInstanceOfSatisfying(ProtocolViolation.class, e -> assertThat(e.reason()).isEqualTo(reason))
        .hasMessageContaining(message);
  }

  /** Records the largest single read the reader asked for. */
  private static final class LargestRead extends FilterInputStream {
    int largest;

    LargestRead(byte[] bytes) {
      super(new ByteArrayInputStream(bytes));
    }

    @Override
    public int read(byte[] into, int offset, int length) throws IOException {
      largest = Math.max(largest, length);
      return super.read(into, offset, length);
    }
  }

  /** Counts the bytes the reader took, to prove it stopped after the length field. */
  private static final class CountingStream extends FilterInputStream {
    int consumed;

    CountingStream(byte[] bytes) {
      super(new ByteArrayInputStream(bytes));
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      consumed += b < 0 ? 0 : 1;
      return b;
    }

    @Override
    public int read(byte[] into, int offset, int length) throws IOException {
      int n = super.read(into, offset, length);
      consumed += Math.max(n, 0);
      return n;
    }
  }
}

package dev.snakepit.internal.protocol;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/**
 * A body ready to be framed: its JSON, the attachments its bytes tags refer to, and whether the frame
 * must carry the TAGGED flag. Made by {@link ValueEncoder}, sent by {@link FrameWriter}.
 *
 * <p>Attachments are views of the caller's {@code byte[]} and {@code ByteBuffer} values, not copies:
 * the caller must leave those unchanged until the frame is written. The same body may be written more
 * than once (a call retried on another worker); writing never consumes it.
 *
 * <p>Values that go through shared memory (docs/protocol.md, section 3.5) are {@linkplain #segments
 * segments}: named in the JSON by {@code $shm} tags, their bytes written to files by
 * {@link SharedMemory#write} before the frame is sent. They count in {@link #frameBytes()} as the
 * attachments they replace would, so that the frame limit means the same with or without them.
 */
public final class EncodedBody {

  /** A value that goes through a shared-memory file: its file's name and its bytes (a view, not a copy). */
  public record Segment(String name, ByteBuffer bytes) {}

  private final byte[] json;
  private final int jsonLength;
  private final List<ByteBuffer> attachments;
  private final boolean tagged;
  private final long attachmentBytes;
  private final List<Segment> segments;
  private final long segmentBytes;

  EncodedBody(byte[] json, int jsonLength, List<ByteBuffer> attachments, boolean tagged) {
    this(json, jsonLength, attachments, List.of(), tagged);
  }

  EncodedBody(byte[] json, int jsonLength, List<ByteBuffer> attachments, List<Segment> segments, boolean tagged) {
    this.json = json;
    this.jsonLength = jsonLength;
    this.attachments = List.copyOf(attachments);
    this.tagged = tagged;
    long total = 0;
    for (ByteBuffer attachment : this.attachments) {
      total += attachment.remaining();
    }
    this.attachmentBytes = total;
    this.segments = List.copyOf(segments);
    long shared = 0;
    for (Segment segment : this.segments) {
      shared += segment.bytes().remaining();
    }
    this.segmentBytes = shared;
  }

  /** The values that go through shared memory, in the order of their tags; empty for most bodies. */
  public List<Segment> segments() {
    return segments;
  }

  /** Whether some value goes through shared memory: its files must be written before the frame is sent. */
  public boolean sharesMemory() {
    return !segments.isEmpty();
  }

  /** The bytes of the values that go through shared memory. */
  public long segmentBytes() {
    return segmentBytes;
  }

  /** The JSON as a new buffer over the encoder's array (no copy), positioned at its first byte. */
  public ByteBuffer json() {
    return ByteBuffer.wrap(json, 0, jsonLength);
  }

  /** A copy of the JSON. */
  public byte[] jsonBytes() {
    return Arrays.copyOf(json, jsonLength);
  }

  public int jsonLength() {
    return jsonLength;
  }

  /** Fresh views of the attachments, in index order, each positioned at its first byte. */
  public List<ByteBuffer> attachments() {
    return attachments.stream().map(ByteBuffer::duplicate).toList();
  }

  /** Copies of the attachments, as a receiver would see them. */
  public List<byte[]> attachmentBytes() {
    return attachments.stream().map(view -> {
      byte[] copy = new byte[view.remaining()];
      view.duplicate().get(copy);
      return copy;
    }).toList();
  }

  /** The attachments themselves, for the writer, which duplicates each before moving its position. */
  List<ByteBuffer> attachmentViews() {
    return attachments;
  }

  public int attachmentCount() {
    return attachments.size();
  }

  /** Whether the frame needs {@link Frame#TAGGED}: the JSON holds a tag or an escaped key. */
  public boolean tagged() {
    return tagged;
  }

  /** The flags byte of a frame carrying this body. */
  public int flags() {
    return tagged ? Frame.TAGGED : 0;
  }

  /**
   * The total size ({@code 4 + L}) of a frame carrying this body, its values in shared memory counted
   * as attachments: what {@code maxFrameBytes} bounds.
   */
  public long frameBytes() {
    return FrameLayout.frameBytes(jsonLength, attachments.size() + segments.size(), attachmentBytes + segmentBytes);
  }

  /** Sizes only: bodies carry user data. */
  @Override
  public String toString() {
    return "EncodedBody[json=" + jsonLength + " bytes, attachments=" + attachments.size()
        + " (" + attachmentBytes + " bytes), "
        + (segments.isEmpty() ? "" : "shared=" + segments.size() + " (" + segmentBytes + " bytes), ") + "tagged=" + tagged + "]";
  }
}

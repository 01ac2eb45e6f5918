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
 */
public final class EncodedBody {

  private final byte[] json;
  private final int jsonLength;
  private final List<ByteBuffer> attachments;
  private final boolean tagged;
  private final long attachmentBytes;

  EncodedBody(byte[] json, int jsonLength, List<ByteBuffer> attachments, boolean tagged) {
    this.json = json;
    this.jsonLength = jsonLength;
    this.attachments = List.copyOf(attachments);
    this.tagged = tagged;
    long total = 0;
    for (ByteBuffer attachment : this.attachments) {
      total += attachment.remaining();
    }
    this.attachmentBytes = total;
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

  /** The total size ({@code 4 + L}) of a frame carrying this body. */
  public long frameBytes() {
    return FrameLayout.frameBytes(jsonLength, attachments.size(), attachmentBytes);
  }

  /** Sizes only: bodies carry user data. */
  @Override
  public String toString() {
    return "EncodedBody[json=" + jsonLength + " bytes, attachments=" + attachments.size()
        + " (" + attachmentBytes + " bytes), tagged=" + tagged + "]";
  }
}

package dev.snakepit.internal.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Frames assembled byte by byte, independently of {@link FrameWriter}, with knobs to break them the
 * ways a receiver must notice.
 */
final class HandMadeFrames {

  private HandMadeFrames() {}

  static byte[] frame(int kind, int flags, long requestId, String body, byte[]... attachments) {
    return frame(kind, flags, 0, requestId, body.getBytes(StandardCharsets.UTF_8), 0, attachments);
  }

  /** A frame whose reserved field and length field can be set wrong on purpose. */
  static byte[] frame(int kind, int flags, int reserved, long requestId, byte[] body, int lengthDelta,
      byte[]... attachments) {
    int attachmentBytes = 0;
    for (byte[] attachment : attachments) {
      attachmentBytes += attachment.length;
    }
    int rest = 20 + 4 * attachments.length + body.length + attachmentBytes;
    ByteBuffer out = ByteBuffer.allocate(4 + rest);
    out.putInt(rest + lengthDelta).put((byte) kind).put((byte) flags).putShort((short) reserved)
        .putLong(requestId).putInt(body.length).putInt(attachments.length);
    for (byte[] attachment : attachments) {
      out.putInt(attachment.length);
    }
    out.put(body);
    for (byte[] attachment : attachments) {
      out.put(attachment);
    }
    return out.array();
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(part);
    }
    return out.toByteArray();
  }
}

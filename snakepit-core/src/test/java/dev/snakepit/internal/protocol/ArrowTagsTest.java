package dev.snakepit.internal.protocol;

import static dev.snakepit.internal.protocol.ExactValues.assertExactlyEqual;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.snakepit.ArrowData;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Arrow tags (docs/protocol.md, section 3.4) through the codec: the core carries an IPC stream's bytes
 * as they are, and never looks inside them (snakepit-arrow and pyarrow do).
 */
class ArrowTagsTest {
  private final ValueEncoder encoder = new ValueEncoder();
  private final ValueDecoder decoder = new ValueDecoder();

  @Test
  void arrowDataIsOneTagAndOneAttachmentOfItsBytes() throws Exception {
    ByteBuffer stream = ByteBuffer.wrap(new byte[] {9, 1, 2, 3, 4}, 1, 3);

    EncodedBody body = encoder.encode(Map.of("table", ArrowData.of(stream)));

    assertThat(json(body)).isEqualTo("{\"table\":{\"$arrow\":{\"$b\":0}}}");
    assertThat(body.tagged()).isTrue();
    assertThat(body.attachmentBytes()).containsExactly(new byte[] {1, 2, 3});
    ArrowData back = (ArrowData) ((Map<?, ?>) decode(body)).get("table");
    assertThat(back).isEqualTo(ArrowData.of(new byte[] {1, 2, 3}));
    assertThat(back.byteSize()).isEqualTo(3);
    assertThat(back.bytes().isReadOnly()).isTrue();
    assertThat(back).hasToString("ArrowData[3 bytes of Arrow IPC stream]");
  }

  @Test
  void mapsThatLookLikeArrowTagsAreEscapedAndRestored() throws Exception {
    Map<String, Object> value = Map.of("$arrow", Map.of("$b", 0L));
    EncodedBody body = encoder.encode(List.of(value, Map.of("$$arrow", 1L), new byte[] {1}));

    assertThat(json(body)).startsWith("[{\"$$arrow\":{\"$$b\":0}},{\"$$$arrow\":1},{\"$b\":0}]");
    assertExactlyEqual(decode(body), List.of(value, Map.of("$$arrow", 1L), new byte[] {1}));
    assertExactlyEqual(decoder.decode("{\"$arrow\":1}".getBytes(StandardCharsets.UTF_8), List.of(), false),
        Map.of("$arrow", 1L));
  }

  @Test
  void anArrowTagWithoutBytesIsRefusedNamingItsPath() {
    ValueDecodingException e = catchThrowableOfType(ValueDecodingException.class,
        () -> decoder.decode("{\"x\":{\"$arrow\":\"AQ==\"}}".getBytes(StandardCharsets.UTF_8), List.of(), true));

    assertThat(e.reason()).isEqualTo(ValueDecodingException.Reason.BAD_TAG);
    assertThat(e.path()).isEqualTo("$.x");
    assertThat(e.getMessage()).startsWith("Arrow tag at $.x must hold a bytes tag, not ");
  }

  private Object decode(EncodedBody body) throws Exception {
    return decoder.decode(body.jsonBytes(), body.attachmentBytes(), body.tagged());
  }

  private static String json(EncodedBody body) {
    return new String(body.jsonBytes(), StandardCharsets.UTF_8);
  }
}

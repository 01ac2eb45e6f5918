package dev.snakepit.internal.protocol;

import static dev.snakepit.internal.protocol.ExactValues.assertExactlyEqual;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.snakepit.PythonError;
import dev.snakepit.internal.PythonErrors;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Decodes every golden frame of docs/protocol.md, section 6, which the Python tests decode too. */
class GoldenFramesTest {

  private static final int DEFAULT_MAX_FRAME_BYTES = 1 << 20;
  private static final List<String> VALID = List.of("hello", "welcome", "call_scalars", "call_bytes",
      "call_untagged_lookalike", "result_nested", "result_bytes", "error_python_exception",
      "error_exception_group", "error_invalid_request", "shutdown", "log", "fatal", "cancel", "empty_body",
      "call_shm_lookalike", "call_traced", "heartbeat_rtt");
  private static final List<String> INVALID = List.of("oversize", "length_mismatch", "unknown_kind",
      "reserved_nonzero", "truncated", "short_length", "bad_tag", "bad_tag_value", "bad_shm_missing_size",
      "bad_shm_negative_size", "bad_shm_name", "shm_missing_file");

  private final ValueEncoder encoder = new ValueEncoder();
  private final ValueDecoder decoder = new ValueDecoder();

  @Test
  void goldenDirectoryHoldsEveryKnownFrameWithItsDescription() throws IOException {
    Path golden = goldenDirectory();
    assertThat(frameNames(golden)).containsAll(VALID);
    assertThat(frameNames(golden.resolve("invalid"))).containsAll(INVALID);
    for (Path bin : concat(binFiles(golden), binFiles(golden.resolve("invalid")))) {
      assertThat(descriptionOf(bin)).as("description beside " + bin.getFileName()).isRegularFile();
    }
  }

  @TestFactory
  Stream<DynamicTest> validFramesDecodeToTheirDescribedValues() throws IOException {
    return binFiles(goldenDirectory()).stream()
        .map(bin -> dynamicTest(name(bin), () -> checkValid(bin)));
  }

  @TestFactory
  Stream<DynamicTest> invalidFramesAreRejectedForTheirDescribedReason() throws IOException {
    return binFiles(goldenDirectory().resolve("invalid")).stream()
        .map(bin -> dynamicTest(name(bin), () -> checkInvalid(bin)));
  }

  @Test
  void theExceptionGroupFrameReadsAsAPythonErrorWithItsSubExceptions() throws Exception {
    Path bin = goldenDirectory().resolve("error_exception_group.bin");
    Frame frame = new FrameReader(new ByteArrayInputStream(Files.readAllBytes(bin)), DEFAULT_MAX_FRAME_BYTES).read();
    Map<?, ?> body = (Map<?, ?>) decoder.decode(frame);

    PythonError batch = PythonErrors.parse(body.get("exception"));

    assertThat(batch.type()).isEqualTo("ExceptionGroup");
    assertThat(batch.message()).isEqualTo("batch (3 sub-exceptions)");
    assertThat(batch.exceptions()).extracting(PythonError::type).containsExactly("ValueError", "ExceptionGroup");
    assertThat(batch.exceptionsLeftOut()).as("the ValueError met a second time").isEqualTo(1);
    assertThat(batch.exceptions().getFirst().frames()).extracting(PythonError.Frame::function).containsExactly("check");
    PythonError inner = batch.exceptions().get(1);
    assertThat(inner.exceptions()).extracting(PythonError::type, PythonError::message)
        .containsExactly(tuple("KeyError", "'k'"));
    assertThat(inner.exceptionsLeftOut()).isZero();
  }

  private void checkValid(Path bin) throws Exception {
    byte[] bytes = Files.readAllBytes(bin);
    Description expected = Description.read(descriptionOf(bin));
    FrameReader reader = new FrameReader(new ByteArrayInputStream(bytes), DEFAULT_MAX_FRAME_BYTES);

    Frame frame = reader.read();
    assertThat(reader.read()).as("the file holds exactly one frame").isNull();
    assertThat(frame.kind().name()).isEqualTo(expected.kind());
    assertThat(frame.kind().code()).isEqualTo(expected.kindCode());
    assertThat(frame.flags()).isEqualTo(expected.flags());
    assertThat(frame.requestId()).isEqualTo(expected.requestId());
    assertThat(frame.attachments()).hasSameSizeAs(expected.attachments());
    for (int i = 0; i < expected.attachments().size(); i++) {
      assertThat(frame.attachments().get(i)).as("attachment " + i).isEqualTo(expected.attachments().get(i));
    }
    Object body = decoder.decode(frame);
    assertExactlyEqual(body, expected.body());

    // The writer reproduces the golden bytes exactly.
    ByteArrayOutputStream rewritten = new ByteArrayOutputStream();
    FrameWriter writer = FrameWriter.toStream(rewritten, DEFAULT_MAX_FRAME_BYTES);
    writer.write(frame);
    assertThat(rewritten.toByteArray()).isEqualTo(bytes);

    // Re-encoding the decoded value, framing it and reading it back gives the same value.
    EncodedBody again = encoder.encode(body);
    rewritten.reset();
    writer.write(frame.kind(), frame.requestId(), again);
    Frame back = new FrameReader(new ByteArrayInputStream(rewritten.toByteArray()), DEFAULT_MAX_FRAME_BYTES)
        .read();
    assertThat(back.kind()).isEqualTo(frame.kind());
    assertThat(back.requestId()).isEqualTo(frame.requestId());
    assertExactlyEqual(decoder.decode(back), expected.body());
  }

  private void checkInvalid(Path bin) throws IOException {
    byte[] bytes = Files.readAllBytes(bin);
    Description expected = Description.read(descriptionOf(bin));
    FrameReader reader = new FrameReader(new ByteArrayInputStream(bytes), expected.maxFrameBytes());
    if (expected.error().equals("bad_tag")) {
      Frame frame = reader.read();
      assertThatThrownBy(() -> decoder.decode(frame))
          .isInstanceOfSatisfying(ValueDecodingException.class,
              e -> assertThat(e.reason()).isEqualTo(ValueDecodingException.Reason.BAD_TAG));
      return;
    }
    ProtocolViolation.Reason reason = ProtocolViolation.Reason.valueOf(expected.error().toUpperCase(Locale.ROOT));
    assertThatThrownBy(reader::read)
        .isInstanceOfSatisfying(ProtocolViolation.class, e -> assertThat(e.reason()).isEqualTo(reason));
  }

  /** A golden description: what the frame beside it must read and decode as, or why it must fail. */
  private record Description(String kind, int kindCode, int flags, long requestId, List<byte[]> attachments,
      Object body, String error, int maxFrameBytes) {

    static Description read(Path json) throws IOException {
      String kind = null;
      String error = null;
      int kindCode = -1;
      int flags = -1;
      int maxFrameBytes = DEFAULT_MAX_FRAME_BYTES;
      long requestId = -1;
      List<byte[]> attachments = new ArrayList<>();
      Object body = null;
      try (JsonParser in = new JsonFactory().createParser(json.toFile())) {
        in.nextToken();
        while (in.nextToken() == JsonToken.FIELD_NAME) {
          String field = in.currentName();
          in.nextToken();
          switch (field) {
            case "kind" -> kind = in.getText();
            case "kind_code" -> kindCode = in.getIntValue();
            case "flags" -> flags = in.getIntValue();
            case "request_id" -> requestId = in.getLongValue();
            case "attachments" -> {
              while (in.nextToken() != JsonToken.END_ARRAY) {
                attachments.add(HexFormat.of().parseHex(in.getText()));
              }
            }
            case "body" -> body = TypedNotation.read(in);
            case "error" -> error = in.getText();
            case "max_frame_bytes" -> maxFrameBytes = in.getIntValue();
            default -> in.skipChildren();
          }
        }
      }
      return new Description(kind, kindCode, flags, requestId, attachments, body, error, maxFrameBytes);
    }
  }

  /**
   * docs/protocol/golden of this checkout: from the property surefire sets, else found by walking up
   * from the working directory (a test started from an IDE).
   */
  static Path goldenDirectory() {
    String repo = System.getProperty("snakepit.test.repo");
    if (repo != null && Files.isDirectory(Paths.get(repo, "docs", "protocol", "golden"))) {
      return Paths.get(repo, "docs", "protocol", "golden");
    }
    for (Path at = Paths.get("").toAbsolutePath(); at != null; at = at.getParent()) {
      Path golden = at.resolve("docs").resolve("protocol").resolve("golden");
      if (Files.isDirectory(golden)) {
        return golden;
      }
    }
    throw new IllegalStateException("docs/protocol/golden not found from the property snakepit.test.repo ("
        + repo + ") nor above the working directory");
  }

  private static List<Path> binFiles(Path directory) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files.filter(file -> file.getFileName().toString().endsWith(".bin")).sorted().toList();
    }
  }

  private static List<String> frameNames(Path directory) throws IOException {
    return binFiles(directory).stream().map(GoldenFramesTest::name).toList();
  }

  private static String name(Path bin) {
    String file = bin.getFileName().toString();
    return file.substring(0, file.length() - ".bin".length());
  }

  private static Path descriptionOf(Path bin) {
    return bin.resolveSibling(name(bin) + ".json");
  }

  private static List<Path> concat(List<Path> first, List<Path> second) {
    return Stream.concat(first.stream(), second.stream()).toList();
  }
}

package dev.snakepit.internal.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.snakepit.NdArray;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Values through shared-memory files (docs/protocol.md, section 3.5), without a worker: the JVM's
 * side writes its files and tags, the reader claims a worker's files as it reads the frame, and the
 * decoder maps or copies them and refuses every tag that breaks a rule.
 */
class SharedSegmentsTest {
  private static final int THRESHOLD = 64 * 1024;

  @TempDir
  Path directory;
  private SharedMemory shared;
  private final ValueEncoder encoder = new ValueEncoder();
  private final ValueDecoder decoder = new ValueDecoder();

  @BeforeEach
  void pool() {
    shared = new SharedMemory(directory, THRESHOLD);
  }

  @Test
  void buffersOfTheThresholdAndMoreBecomeTagsWhoseFilesAreWrittenAndRemovedOnRequest() throws Exception {
    byte[] large = bytes(THRESHOLD, 1);
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("large", large);
    value.put("small", new byte[10]);

    EncodedBody body = encoder.encode(value, shared);

    assertThat(json(body)).isEqualTo("{\"large\":{\"$shm\":{\"name\":\"j-1\",\"size\":65536}},\"small\":{\"$b\":0}}");
    assertThat(body.tagged()).isTrue();
    assertThat(body.attachmentCount()).isEqualTo(1);
    assertThat(body.segments()).extracting(EncodedBody.Segment::name).containsExactly("j-1");
    assertThat(body.frameBytes()).as("as if both crossed the socket").isEqualTo(24 + 2 * 4 + body.jsonLength() + THRESHOLD + 10);
    assertThat(list()).isEmpty();

    shared.write(body);

    Path file = directory.resolve("j-1");
    assertThat(Files.readAllBytes(file)).isEqualTo(large);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    shared.remove(body);
    assertThat(list()).isEmpty();
    shared.remove(body); // the worker unlinked it first: no error
  }

  @Test
  void withSharedMemoryOffEveryBufferIsAnAttachment() throws Exception {
    EncodedBody body = encoder.encode(Map.of("large", new byte[THRESHOLD]), SharedMemory.OFF);

    assertThat(json(body)).isEqualTo("{\"large\":{\"$b\":0}}");
    assertThat(body.sharesMemory()).isFalse();
  }

  @Test
  void aFileThatCannotBeWrittenLeavesNoneOfTheBodysFilesAndSaysWhatToDo() throws Exception {
    EncodedBody body = encoder.encode(List.of(new byte[THRESHOLD], new byte[THRESHOLD]), shared);
    Files.write(directory.resolve("j-2"), new byte[1]); // the second name is taken: O_EXCL refuses it

    SharedMemoryException e = catchThrowableOfType(SharedMemoryException.class, () -> shared.write(body));

    assertThat(e.size()).isEqualTo(2L * THRESHOLD);
    assertThat(e.getMessage()).contains(directory.toString(), 2 * THRESHOLD + " bytes cannot be written", "bytes are free there",
        "docker run --shm-size", "emptyDir", "medium: Memory", "sizeLimit", "sharedMemoryThreshold", "sharedMemory(false)");
    assertThat(list()).containsExactly(directory.resolve("j-2"));
  }

  @Test
  void theReaderClaimsAWorkersFileAsItReadsTheFrameAndTheDecoderCopiesPlainBytes() throws Exception {
    byte[] data = bytes(THRESHOLD, 2);
    Files.write(directory.resolve("w1-5"), data);

    Frame frame = read("{\"value\":{\"$shm\":{\"name\":\"w1-5\",\"size\":" + THRESHOLD + "}}}", "w1");

    assertThat(list()).as("unlinked as soon as the frame was read").isEmpty();
    assertThat(frame.segments().count()).isEqualTo(1);
    Object value = ((Map<?, ?>) decoder.decode(frame)).get("value");
    assertThat(value).isInstanceOf(byte[].class).isEqualTo(data);
  }

  @Test
  void anArrayOverAWorkersFileWrapsAReadOnlyMapping() throws Exception {
    ByteBuffer elements = ByteBuffer.allocate(THRESHOLD).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < THRESHOLD / 8; i++) {
      elements.putDouble(i * 8, i);
    }
    Files.write(directory.resolve("w1-6"), elements.array());

    Frame frame = read("{\"$nd\":{\"dtype\":\"float64\",\"shape\":[" + THRESHOLD / 8 + "],\"byteorder\":\"little\","
        + "\"data\":{\"$shm\":{\"name\":\"w1-6\",\"size\":" + THRESHOLD + "}}}}", "w1");
    NdArray array = (NdArray) decoder.decode(frame);

    assertThat(array.buffer().isDirect()).isTrue();
    assertThat(array.buffer().isReadOnly()).isTrue();
    assertThat(array.toDoubleArray()[THRESHOLD / 8 - 1]).isEqualTo(THRESHOLD / 8 - 1);
    assertThat(list()).isEmpty();
  }

  @Test
  void aFrameDroppedUndecodedLeavesNothingOnceReleased() throws Exception {
    Files.write(directory.resolve("w1-7"), new byte[10]);

    Frame frame = read("[{\"$shm\":{\"name\":\"w1-7\",\"size\":10}}]", "w1");
    frame.release();

    assertThat(list()).isEmpty();
    ValueDecodingException e = catchThrowableOfType(ValueDecodingException.class, () -> decoder.decode(frame));
    assertThat(e.reason()).isEqualTo(ValueDecodingException.Reason.BAD_TAG);
    assertThat(e.getMessage()).contains("closed with its frame before the frame was decoded");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "size not the file's  | {\"name\":\"w1-8\",\"size\":11}                | says the file w1-8 has 11 bytes; it has 10",
      "missing file         | {\"name\":\"w1-9\",\"size\":10}                 | names the file w1-9, which does not exist in",
      "another worker's     | {\"name\":\"w2-8\",\"size\":10}                 | not one of the sender's (w1-...)",
      "JVM's own            | {\"name\":\"j-8\",\"size\":10}                  | not one of the sender's (w1-...)",
      "no size              | {\"name\":\"w1-8\"}                             | exactly the members name and size",
      "negative size        | {\"name\":\"w1-8\",\"size\":-1}                 | a size is a non-negative integer",
      "name with a slash    | {\"name\":\"../w1-8\",\"size\":10}              | a name is 1 to 128 letters",
      "name not a string    | {\"name\":8,\"size\":10}                        | a name is 1 to 128 letters",
      "extra member         | {\"name\":\"w1-8\",\"size\":10,\"at\":0}         | exactly the members name and size",
      "not an object        | \"w1-8\"                                        | exactly the members name and size"})
  void aTagThatBreaksARuleIsRefusedNamingIt(String what, String spec, String rule) throws Exception {
    Files.write(directory.resolve("w1-8"), new byte[10]);

    Frame frame = read("{\"args\":[{\"$shm\":" + spec + "}]}", "w1");
    ValueDecodingException e = catchThrowableOfType(ValueDecodingException.class, () -> decoder.decode(frame));

    assertThat(e.reason()).as(what).isEqualTo(ValueDecodingException.Reason.BAD_TAG);
    assertThat(e.getMessage()).contains("shared-memory tag at $.args[0]", rule);
  }

  @Test
  void aFileNamedTwiceIsTakenOnce() throws Exception {
    Files.write(directory.resolve("w1-10"), new byte[10]);
    String tag = "{\"$shm\":{\"name\":\"w1-10\",\"size\":10}}";

    Frame frame = read("[" + tag + "," + tag + "]", "w1");
    ValueDecodingException e = catchThrowableOfType(ValueDecodingException.class, () -> decoder.decode(frame));

    assertThat(e.getMessage()).contains("which an earlier tag took");
    assertThat(list()).isEmpty();
  }

  @Test
  void onlyRealTagsAreClaimedAtRead() throws Exception {
    for (String name : List.of("w1-11", "w1-12", "w1-13")) {
      Files.write(directory.resolve(name), new byte[1]);
    }

    // An escaped lookalike, and a map of two members whose first key is $shm: neither is a tag.
    Frame frame = read("[{\"$$shm\":{\"name\":\"w1-11\",\"size\":1}},{\"$shm\":{\"name\":\"w1-12\",\"size\":1},\"x\":1},"
        + "{\"deep\":[{\"$shm\":{\"size\":1,\"name\":\"w1-13\"}}]}]", "w1");

    assertThat(list()).containsExactly(directory.resolve("w1-11"), directory.resolve("w1-12"));
    assertThat((List<?>) decoder.decode(frame)).hasSize(3);
    assertThat(SharedSegments.tagNames("{\"$shm\":{\"name\":\"a-1\",\"size\":1}}".getBytes(StandardCharsets.UTF_8)))
        .containsExactly("a-1");
  }

  @Test
  void aTagWhoseKeyIsSpelledWithEscapesIsClaimedAsItIsDecoded() throws Exception {
    Files.write(directory.resolve("w1-14"), new byte[] {7});

    Frame frame = read("[{\"\\u0024shm\":{\"name\":\"w1-14\",\"size\":1}}]", "w1");

    assertThat(list()).as("not found by the search at read time").hasSize(1);
    assertThat((List<?>) decoder.decode(frame)).singleElement().isEqualTo(new byte[] {7});
    assertThat(list()).isEmpty();
  }

  @Test
  void mapsThatLookLikeTheTagAreEscapedAndRestored() throws Exception {
    Map<String, Object> spec = new LinkedHashMap<>();
    spec.put("name", "j-1");
    spec.put("size", 1L);
    Map<String, Object> user = Map.of("$shm", spec);
    EncodedBody body = encoder.encode(List.of(user, Map.of("$$shm", 2L)), shared);

    assertThat(json(body)).isEqualTo("[{\"$$shm\":{\"name\":\"j-1\",\"size\":1}},{\"$$$shm\":2}]");
    assertThat(decoder.decode(body.jsonBytes(), List.of(), true)).isEqualTo(List.of(user, Map.of("$$shm", 2L)));
    assertThat(JsonDialect.looksLikeTag("$shm")).isTrue();
    assertThat(JsonDialect.looksLikeTag("$$shm")).isTrue();
    assertThat(JsonDialect.looksLikeTag("shm")).isFalse();
    assertThat(JsonDialect.looksLikeTag("$hm")).isFalse();
  }

  @Test
  void aBuriedWorkersFilesAreRemovedAndNoOneElses() throws Exception {
    for (String name : List.of("w1-1", "w1-2", "w10-1", "j-1")) {
      Files.write(directory.resolve(name), new byte[1]);
    }

    shared.removeFilesOf("w1");

    assertThat(list()).containsExactly(directory.resolve("j-1"), directory.resolve("w10-1"));
  }

  /** Writes a TAGGED frame with {@code json} as its body and reads it back as the reader of worker {@code workerId} would. */
  private Frame read(String json, String workerId) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    FrameWriter.toStream(out, 1 << 20).write(FrameKind.RESULT, Frame.TAGGED, 1,
        ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8)), List.of());
    return new FrameReader(new ByteArrayInputStream(out.toByteArray()), 1 << 20, shared, workerId).read();
  }

  private List<Path> list() throws Exception {
    try (Stream<Path> files = Files.list(directory)) {
      return files.sorted().toList();
    }
  }

  private static String json(EncodedBody body) {
    return new String(body.jsonBytes(), StandardCharsets.UTF_8);
  }

  private static byte[] bytes(int size, long seed) {
    byte[] data = new byte[size];
    new Random(seed).nextBytes(data);
    return data;
  }
}

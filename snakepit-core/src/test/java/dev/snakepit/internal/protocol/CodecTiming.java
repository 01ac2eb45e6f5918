package dev.snakepit.internal.protocol;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A rough measurement, not a test: how long the codec takes for a small CALL body. Run its main with
 * the test classpath; JMH in snakepit-bench is the place for figures worth publishing.
 */
public final class CodecTiming {

  private static final int BATCH = 10_000;
  private static final int ROUNDS = 40;

  private CodecTiming() {}

  public static void main(String[] args) throws Exception {
    ValueEncoder encoder = new ValueEncoder();
    ValueDecoder decoder = new ValueDecoder();
    Map<String, Object> ping = new LinkedHashMap<>();
    ping.put("tool", "ping");
    ping.put("args", List.of());
    ping.put("kwargs", Map.of());

    report("encode ping", () -> encoder.encode(ping));
    EncodedBody encoded = encoder.encode(ping);
    byte[] json = encoded.jsonBytes();
    report("decode ping", () -> decoder.decode(json, List.of(), false));
    report("encode+decode ping", () -> {
      EncodedBody body = encoder.encode(ping);
      return decoder.decode(body.jsonBytes(), List.of(), body.tagged());
    });

    ByteArrayOutputStream sink = new ByteArrayOutputStream(256);
    FrameWriter writer = FrameWriter.toStream(sink, 1 << 20);
    report("encode+frame+read+decode ping", () -> {
      sink.reset();
      writer.write(FrameKind.CALL, 1, encoder.encode(ping));
      Frame frame = new FrameReader(new ByteArrayInputStream(sink.toByteArray()), 1 << 20).read();
      return decoder.decode(frame);
    });

    Map<String, Object> medium = new LinkedHashMap<>();
    List<Object> rows = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      rows.add(Map.of("id", i, "name", "item-" + i, "score", i * 0.5));
    }
    medium.put("tool", "score");
    medium.put("args", List.of(rows));
    medium.put("kwargs", Map.of("threshold", 0.25, "image", new byte[4096]));
    System.out.printf("medium body: %d bytes of JSON%n", encoder.encode(medium).jsonLength());
    report("encode+decode medium", () -> {
      EncodedBody body = encoder.encode(medium);
      return decoder.decode(body.jsonBytes(), body.attachmentBytes(), body.tagged());
    });
  }

  private interface Step {
    Object run() throws Exception;
  }

  private static void report(String name, Step step) throws Exception {
    long[] perOp = new long[ROUNDS];
    Object sink = null;
    for (int round = 0; round < ROUNDS; round++) {
      long start = System.nanoTime();
      for (int i = 0; i < BATCH; i++) {
        sink = step.run();
      }
      perOp[round] = (System.nanoTime() - start) / BATCH;
    }
    // The first half warms the JIT up; report the second.
    long[] measured = Arrays.copyOfRange(perOp, ROUNDS / 2, ROUNDS);
    Arrays.sort(measured);
    System.out.printf("%-32s median %5d ns/op, best %5d ns/op (%s)%n", name, measured[measured.length / 2],
        measured[0], sink == null ? "null" : sink.getClass().getSimpleName());
  }
}

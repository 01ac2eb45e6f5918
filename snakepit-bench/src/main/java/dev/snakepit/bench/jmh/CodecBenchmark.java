package dev.snakepit.bench.jmh;

import dev.snakepit.internal.protocol.EncodedBody;
import dev.snakepit.internal.protocol.Frame;
import dev.snakepit.internal.protocol.FrameKind;
import dev.snakepit.internal.protocol.ValueDecoder;
import dev.snakepit.internal.protocol.ValueEncoder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The Java side's own share of a call: encoding a call's body and decoding a reply, for a no-op call
 * and for one carrying a small record. Everything else a call costs is the socket and Python.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CodecBenchmark {
  private final ValueEncoder encoder = new ValueEncoder();
  private final ValueDecoder decoder = new ValueDecoder();
  private Map<String, Object> noopCall;
  private Map<String, Object> recordCall;
  private Frame noopReply;
  private Frame recordReply;

  @Setup
  public void setUp() throws Exception {
    noopCall = call(Map.of());
    Map<String, Object> record = new LinkedHashMap<>();
    record.put("id", 42);
    record.put("name", "item-000042");
    record.put("tags", List.of("a", "b"));
    record.put("score", 0.5);
    recordCall = call(Map.of("record", record));
    noopReply = reply(null);
    recordReply = reply(record);
  }

  private static Map<String, Object> call(Map<String, Object> kwargs) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("tool", "echo");
    body.put("args", List.of());
    body.put("kwargs", kwargs);
    body.put("timeout_ms", 30_000L);
    return body;
  }

  private Frame reply(Object value) throws Exception {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("value", value);
    EncodedBody encoded = encoder.encode(body);
    return new Frame(FrameKind.RESULT, 1, encoded.jsonBytes());
  }

  @Benchmark
  public EncodedBody encodeNoopCall() throws Exception {
    return encoder.encode(noopCall);
  }

  @Benchmark
  public EncodedBody encodeRecordCall() throws Exception {
    return encoder.encode(recordCall);
  }

  @Benchmark
  public Object decodeNoopReply() throws Exception {
    return decoder.decode(noopReply);
  }

  @Benchmark
  public Object decodeRecordReply() throws Exception {
    return decoder.decode(recordReply);
  }
}

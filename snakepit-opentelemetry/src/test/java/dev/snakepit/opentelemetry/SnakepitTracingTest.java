package dev.snakepit.opentelemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitException;
import dev.snakepit.spi.CallTracer;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.TestPools;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A span per call on the JVM, and its trace context in the worker: a real pool traced by an
 * OpenTelemetry SDK that keeps its spans in memory, with a tool that reports the context it ran under
 * (OpenTelemetry's API is installed in the test interpreter).
 */
@PoolTest
class SnakepitTracingTest {
  private InMemorySpanExporter spans;
  private OpenTelemetrySdk otel;

  @BeforeEach
  void sdk() {
    spans = InMemorySpanExporter.create();
    otel = OpenTelemetrySdk.builder()
        .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build();
  }

  @AfterEach
  void closeSdk() {
    otel.close();
  }

  @Test
  void aCallIsAChildSpanOfTheCallersAndPythonRunsUnderIt() {
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("traced").size(1).tracer(SnakepitTracing.create(otel)))) {
      Span request = otel.getTracer("test").spanBuilder("request").startSpan();
      Map<?, ?> seen;
      try (Scope scope = request.makeCurrent()) {
        seen = (Map<?, ?>) pool.execute("traced", Map.of());
      } finally {
        request.end();
      }

      SpanData call = only(spans.getFinishedSpanItems(), "traced");
      assertThat(call.getKind()).isEqualTo(SpanKind.CLIENT);
      assertThat(call.getParentSpanId()).isEqualTo(request.getSpanContext().getSpanId());
      assertThat(call.getTraceId()).isEqualTo(request.getSpanContext().getTraceId());
      assertThat(call.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
      assertThat(attribute(call, SnakepitTracing.POOL)).isEqualTo("traced");
      assertThat(attribute(call, SnakepitTracing.TOOL)).isEqualTo("traced");
      assertThat(attribute(call, SnakepitTracing.WORKER)).isEqualTo("w1");
      assertThat(attribute(call, SnakepitTracing.OUTCOME)).isEqualTo("success");
      assertThat(attribute(call, "rpc.system")).isEqualTo("snakepit");

      assertThat(seen.get("headers")).isEqualTo(Map.of("traceparent",
          "00-" + call.getTraceId() + "-" + call.getSpanId() + "-" + call.getSpanContext().getTraceFlags().asHex()));
      assertThat(seen.get("otel")).as("OpenTelemetry in the worker sees the call's span as the current one")
          .isEqualTo(Map.of("trace_id", call.getTraceId(), "span_id", call.getSpanId()));
    }
  }

  @Test
  void aFailedCallsSpanCarriesTheErrorKindAndStatus() {
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("traced-fail").size(1).tracer(SnakepitTracing.create(otel)))) {
      assertThatThrownBy(() -> pool.execute("fail", Map.of())).isInstanceOf(SnakepitException.class);

      SpanData call = only(spans.getFinishedSpanItems(), "fail");
      assertThat(call.getParentSpanId()).as("no span was current: a root span").isEqualTo("0000000000000000");
      assertThat(call.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
      assertThat(attribute(call, SnakepitTracing.OUTCOME)).isEqualTo("error");
      assertThat(attribute(call, SnakepitTracing.ERROR_KIND)).isEqualTo("python_exception");
      assertThat(call.getEvents()).extracting(e -> e.getName()).containsExactly("exception");
    }
  }

  @Test
  void withoutATracerOrWithABrokenOneCallsCarryNoContextAndStillSucceed() {
    CallTracer broken = (pool, tool) -> {
      throw new IllegalStateException("a broken tracer");
    };
    try (Snakepit plain = TestPools.start(TestPools.testAdapter("untraced").size(1));
        Snakepit brokenPool = TestPools.start(TestPools.testAdapter("broken-tracer").size(1).tracer(broken))) {
      assertThat(((Map<?, ?>) plain.execute("traced", Map.of())).get("headers")).isEqualTo(Map.of());
      assertThat(((Map<?, ?>) brokenPool.execute("traced", Map.of())).get("headers")).isEqualTo(Map.of());
    }
  }

  private static SpanData only(List<SpanData> finished, String name) {
    List<SpanData> named = finished.stream().filter(s -> s.getName().equals(name)).toList();
    assertThat(named).hasSize(1);
    return named.getFirst();
  }

  private static String attribute(SpanData span, String key) {
    return span.getAttributes().get(AttributeKey.stringKey(key));
  }
}

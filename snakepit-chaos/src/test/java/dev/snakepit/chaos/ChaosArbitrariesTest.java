package dev.snakepit.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The generators stay within the ranges they document. */
class ChaosArbitrariesTest {

  @Property(tries = 200)
  void sequencesStayWithinTheirBounds(@ForAll("sequences") List<ChaosOp> ops) {
    assertThat(ops).hasSizeBetween(1, 40);
    for (ChaosOp op : ops) {
      switch (op) {
        case ChaosOp.Execute e -> assertThat(e.payloadBytes()).isBetween(0, 64 * 1024);
        case ChaosOp.FreezeWorker f -> assertThat(f.duration()).isBetween(Duration.ofMillis(50), Duration.ofMillis(1500));
        case ChaosOp.Resize r -> assertThat(r.size()).isBetween(1, 4);
        case ChaosOp.Pause p -> assertThat(p.duration()).isBetween(Duration.ofMillis(10), Duration.ofMillis(300));
        case ChaosOp.ProxyDelay d -> assertThat(d.delay()).isBetween(Duration.ZERO, Duration.ofMillis(100));
        case ChaosOp.SessionCall c -> assertThat(c.payloadBytes()).isBetween(0, 256);
        case ChaosOp.StreamItems s -> {
          assertThat(s.items()).isBetween(1, 200);
          assertThat(s.read()).isBetween(0, 200);
        }
        default -> assertThat(op).isNotNull();
      }
    }
  }

  @Property(tries = 200)
  void sequencesWithoutProxyHaveNoProxyStep(@ForAll("withoutProxy") List<ChaosOp> ops) {
    assertThat(ops).noneMatch(op -> op instanceof ChaosOp.ProxyDelay || op instanceof ChaosOp.CorruptFrame
        || op instanceof ChaosOp.TruncateFrame || op instanceof ChaosOp.ResetConnection);
  }

  @Example
  void badBoundsAreRefusedWithTheRule() {
    assertThatThrownBy(() -> ChaosArbitraries.sequences(0, 3))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxLength: 0 is invalid");
    assertThatThrownBy(() -> ChaosArbitraries.resizes(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxSize: 0 is invalid");
  }

  @Provide
  Arbitrary<List<ChaosOp>> sequences() {
    return ChaosArbitraries.sequences(40, 4);
  }

  @Provide
  Arbitrary<List<ChaosOp>> withoutProxy() {
    return ChaosArbitraries.sequencesWithoutProxy(40, 4);
  }
}

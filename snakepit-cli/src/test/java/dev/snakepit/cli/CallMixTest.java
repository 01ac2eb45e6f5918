package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class CallMixTest {
  @Test
  void countsPrimesAsTheDemoAdapterDoes() {
    assertThat(CallMix.primesBelow(2)).isZero();
    assertThat(CallMix.primesBelow(3)).isEqualTo(1);
    assertThat(CallMix.primesBelow(10)).isEqualTo(4);
    assertThat(CallMix.primesBelow(1_000)).isEqualTo(168);
    assertThat(CallMix.primesBelow(2_000)).isEqualTo(303);
    assertThat(CallMix.primesBelow(3_000)).isEqualTo(430);
  }

  @Test
  void cyclesThroughAddEchoAndCpu() {
    assertThat(CallMix.call(0).call().tool()).isEqualTo("add");
    assertThat(CallMix.call(1).call().tool()).isEqualTo("echo");
    assertThat(CallMix.call(2).call().tool()).isEqualTo("cpu");
    assertThat(CallMix.call(3).call().tool()).isEqualTo("add");
  }

  @Test
  void expectsTheSumFromAdd() {
    CallMix.Expected add = CallMix.call(30);

    assertThat(add.call().kwargs()).isEqualTo(Map.of("a", 30L, "b", 7L));
    assertThat(add.result()).isEqualTo(37L);
  }

  @Test
  void expectsEchoToReturnItsNestedArgument() {
    CallMix.Expected echo = CallMix.call(4);

    assertThat(echo.result()).isEqualTo(echo.call().kwargs().get("value"));
    assertThat(((Map<?, ?>) echo.result()).keySet()).hasToString("[id, tags, point, even, note]");
  }
}

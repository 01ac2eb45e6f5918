package dev.snakepit.internal.control;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class StderrPumpTest {

  private static String pumped(List<String> lines) {
    byte[] bytes = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
    var pump = new StderrPump(new ByteArrayInputStream(bytes), new WorkerLogs("pump-test", "w0"));
    pump.run();
    assertThat(pump.ended()).isCompleted();
    return pump.tail();
  }

  private static List<String> numbered(String prefix, int count) {
    return IntStream.range(0, count).mapToObj(i -> prefix + i).toList();
  }

  @Test
  void keepsOnlyTheLastFortyLines() {
    String tail = pumped(numbered("line ", 100));

    assertThat(tail.lines()).hasSize(40).first().isEqualTo("line 60");
    assertThat(tail.lines()).last().isEqualTo("line 99");
  }

  @Test
  void aCrashHeaderThatScrolledOutStillHeadsTheTail() {
    List<String> lines = new ArrayList<>(numbered("before ", 5));
    lines.add("Fatal Python error: Segmentation fault");
    lines.addAll(numbered("stack ", 70));

    List<String> tail = pumped(lines).lines().toList();

    assertThat(tail.get(0)).isEqualTo("Fatal Python error: Segmentation fault");
    assertThat(tail.get(1)).isEqualTo("[30 lines left out]");
    assertThat(tail.get(2)).isEqualTo("stack 30");
    assertThat(tail).hasSize(42).last().isEqualTo("stack 69");
  }

  @Test
  void aCrashHeaderJustOutOfTheWindowNeedsNoGapLine() {
    List<String> lines = new ArrayList<>();
    lines.add("Fatal Python error: Aborted");
    lines.addAll(numbered("stack ", 40));

    List<String> tail = pumped(lines).lines().toList();

    assertThat(tail).hasSize(41);
    assertThat(tail.get(0)).isEqualTo("Fatal Python error: Aborted");
    assertThat(tail.get(1)).isEqualTo("stack 0");
  }

  @Test
  void aCrashHeaderStillInTheWindowIsNotRepeated() {
    List<String> lines = new ArrayList<>(numbered("before ", 10));
    lines.add("Fatal Python error: Segmentation fault");
    lines.addAll(numbered("stack ", 3));

    String tail = pumped(lines);

    assertThat(tail.lines()).hasSize(14).first().isEqualTo("before 0");
    assertThat(tail).containsOnlyOnce("Fatal Python error");
  }
}

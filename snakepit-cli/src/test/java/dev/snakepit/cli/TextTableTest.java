package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class TextTableTest {
  @Test
  void padsColumnsToTheWidestCellAndRightAlignsNumericOnes() {
    String table = new TextTable(List.of("side", "median", "calls/s"), 1, 2)
        .row("raw", "9.6 us", "53,561")
        .row("pool.execute", "34.2 us", "19,407")
        .render(2);

    assertThat(table).isEqualTo("""
          side           median  calls/s
          ------------  -------  -------
          raw            9.6 us   53,561
          pool.execute  34.2 us   19,407
        """);
  }

  @Test
  void dropsTrailingSpacesOfEmptyLastCells() {
    String table = new TextTable(List.of("what", "detail")).row("calls failed", "").render(0);

    assertThat(table.lines()).allSatisfy(line -> assertThat(line).doesNotEndWith(" "));
  }

  @Test
  void rendersAsMarkdownRightAligningNumericColumnsAndEscapingAPipeInACell() {
    String table = new TextTable(List.of("side", "median"), 1)
        .row("raw", "9.6 us")
        .row("a | b", "34.2 us")
        .renderMarkdown();

    assertThat(table).isEqualTo("""
        | side | median |
        |---|---:|
        | raw | 9.6 us |
        | a \\| b | 34.2 us |
        """);
  }

  @Test
  void refusesARowOfTheWrongWidth() {
    assertThatThrownBy(() -> new TextTable(List.of("a", "b")).row("only one"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("a row needs 2 cells");
  }
}

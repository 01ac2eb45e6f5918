package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ProgressBarTest {
  private final Captured captured = new Captured();

  @Test
  void printsALinePerTenthWhenNotOnATerminal() {
    ProgressBar bar = new ProgressBar(captured.terminal.out(), false, 1_000);
    for (int done = 0; done <= 1_000; done += 50) {
      bar.update(done);
    }
    bar.finish(1_000);

    assertThat(captured.out()).doesNotContain("\r");
    assertThat(captured.out().lines()).hasSize(10)
        .first().asString().startsWith("[###...........................]  10%  100/1000");
  }

  @Test
  void redrawsOneLineInPlaceOnATerminal() {
    ProgressBar bar = new ProgressBar(captured.terminal.out(), true, 4);
    bar.update(1);
    bar.update(2);
    bar.finish(4);

    String out = captured.out();
    assertThat(out).startsWith("\r[#######").contains("  25%  1/4", "\r[###############", "100%  4/4").endsWith("\n");
    assertThat(out.chars().filter(c -> c == '\n').count()).as("newlines").isEqualTo(1);
  }

  @Test
  void clearsTheBarBeforeANoteAndKeepsItOffWhilePaused() {
    ProgressBar bar = new ProgressBar(captured.terminal.out(), true, 10);
    bar.update(3);
    bar.note("killing worker w1");
    bar.pause();
    bar.update(5);
    bar.resume();
    bar.update(6);

    String out = captured.out();
    assertThat(out).contains("3/10", "\rkilling worker w1\n");
    assertThat(out).doesNotContain("5/10").contains("6/10");
  }
}

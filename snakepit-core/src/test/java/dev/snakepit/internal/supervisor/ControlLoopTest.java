package dev.snakepit.internal.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.testing.FakeClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The control loop on fake time: order, delays, periods, the in-loop check, and a task that throws. */
class ControlLoopTest {
  private final FakeClock clock = new FakeClock();
  private final List<Throwable> failures = new ArrayList<>();
  private final ControlLoop loop = new ControlLoop("p", clock.executor(), org.slf4j.LoggerFactory.getLogger(ControlLoopTest.class), failures::add);
  private final List<String> ran = new ArrayList<>();

  @Test
  void tasksRunInTheOrderPostedAndScheduledOnesAtTheirMoment() {
    loop.schedule(() -> ran.add("later"), Duration.ofMillis(10));
    loop.post(() -> ran.add("first"));
    loop.post(() -> ran.add("second"));

    clock.runDue();
    assertThat(ran).containsExactly("first", "second");
    clock.forward(Duration.ofMillis(9));
    assertThat(ran).containsExactly("first", "second");
    clock.forward(Duration.ofMillis(1));
    assertThat(ran).containsExactly("first", "second", "later");
  }

  @Test
  void aPeriodicTaskRunsEveryPeriod() {
    loop.every(Duration.ofSeconds(1), () -> ran.add("tick"));

    clock.forward(Duration.ofMillis(3500));

    assertThat(ran).containsExactly("tick", "tick", "tick");
  }

  @Test
  void codeThatMustRunOnTheLoopRefusesAnyOtherThread() {
    assertThatThrownBy(() -> loop.checkInLoop("worker w1 of pool 'p'"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("worker w1 of pool 'p' must be started from the pool's control-loop thread, not from "
            + Thread.currentThread().getName());

    loop.post(() -> {
      loop.checkInLoop("worker w1 of pool 'p'");
      ran.add("checked");
    });
    clock.runDue();

    assertThat(ran).containsExactly("checked");
    assertThat(failures).isEmpty();
  }

  @Test
  void aTaskThatThrowsIsReportedOnceAndTheLoopGoesOn() {
    IllegalStateException bug = new IllegalStateException("a bug");
    loop.post(() -> {
      throw bug;
    });
    loop.post(() -> {
      throw new IllegalStateException("a second bug");
    });
    loop.every(Duration.ofSeconds(1), () -> ran.add("tick"));

    clock.forward(Duration.ofSeconds(2));

    assertThat(failures).containsExactly(bug);
    assertThat(loop.failure()).isSameAs(bug);
    assertThat(ran).as("a periodic task keeps running after another task failed").containsExactly("tick", "tick");
  }

  @Test
  void aStoppedLoopDropsWhatIsPostedLater() throws Exception {
    assertThat(loop.shutdown(Duration.ofSeconds(1))).isTrue();

    loop.post(() -> ran.add("late"));
    loop.schedule(() -> ran.add("late"), Duration.ZERO);
    clock.forward(Duration.ofSeconds(1));

    assertThat(ran).isEmpty();
    assertThat(failures).isEmpty();
  }
}

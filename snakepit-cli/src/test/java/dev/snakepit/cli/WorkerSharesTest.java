package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.CallResult;
import dev.snakepit.spi.WorkerEvent;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkerSharesTest {
  private static CallResult ranOn(String worker, long pid, long queuedMicros, long ranMicros) {
    return new CallResult(1L, worker, pid, Duration.ofNanos(queuedMicros * 1_000), Duration.ofNanos(ranMicros * 1_000), 1);
  }

  @Test
  void sumsUpEachWorkersCallsInTheOrderThePoolNumberedThem() {
    WorkerShares shares = new WorkerShares(5);
    shares.record(0, ranOn("w10", 1010, 5, 100));
    shares.record(1, ranOn("w2", 1002, 7, 200));
    shares.record(3, ranOn("w10", 1010, 9, 300)); // call 2 returned nothing expected, call 4 was not made
    shares.record(4, ranOn("w10", 1010, 1, 400));

    List<DemoResult.WorkerShare> summary = shares.summary(null);

    assertThat(summary).extracting(DemoResult.WorkerShare::workerId).containsExactly("w2", "w10");
    DemoResult.WorkerShare w10 = summary.get(1);
    assertThat(w10.pid()).isEqualTo(1010);
    assertThat(w10.calls()).isEqualTo(3);
    assertThat(w10.queued().median()).isEqualTo(5_000);
    assertThat(w10.ran().median()).isEqualTo(300_000);
    assertThat(summary.get(0).calls()).isEqualTo(1);
  }

  @Test
  void listsTheKilledWorkerAndItsReplacementEvenWithoutCalls() {
    WorkerShares shares = new WorkerShares(2);
    shares.record(0, ranOn("w1", 1001, 5, 100));
    WorkerEvent replacement = new WorkerEvent("demo", "w3", 3003, Duration.ZERO, null, null);

    List<DemoResult.WorkerShare> summary = shares.summary(new DemoResult.Kill(2002, "w2", 1, null, replacement, 1));

    assertThat(summary).extracting(DemoResult.WorkerShare::workerId).containsExactly("w1", "w2", "w3");
    assertThat(summary).extracting(DemoResult.WorkerShare::pid).containsExactly(1001L, 2002L, 3003L);
    assertThat(summary.get(2).calls()).isZero();
    assertThat(summary.get(2).queued().count()).isZero();
  }

  @Test
  void leavesOutAKilledWorkerNoEventNamed() {
    WorkerShares shares = new WorkerShares(1);

    assertThat(shares.summary(new DemoResult.Kill(2002, WorkerWatch.UNKNOWN_ID, 1, null, null, -1))).isEmpty();
  }
}

package dev.snakepit.internal.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.snakepit.PoolConfig;
import dev.snakepit.internal.process.WorkerLimits;
import dev.snakepit.internal.protocol.SharedMemory;
import dev.snakepit.testing.FakeClock;
import org.junit.jupiter.api.Test;

/** Workers are forked only by their pool's control-loop thread, which their parent-death signal is tied to. */
class WorkerLauncherTest {
  @Test
  void aWorkerStartedFromAnyOtherThreadIsRefused() {
    WorkerLauncher launcher = new WorkerLauncher(PoolConfig.builder("pkg.mod:Adapter").name("p").build(), null, null, null,
        SharedMemory.OFF, WorkerLimits.none(), new ControlLoop("p", new FakeClock().executor(),
        org.slf4j.LoggerFactory.getLogger(WorkerLauncherTest.class), error -> {}));

    assertThatThrownBy(() -> launcher.spawn("w1", null))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("worker w1 of pool 'p' must be started from the pool's control-loop thread, not from ");
  }

  @Test
  void hugePagesAreAddedToTheTunablesUnlessTheyAlreadyDecide() {
    assertThat(WorkerLauncher.withHugePages(null)).isEqualTo("glibc.malloc.hugetlb=1");
    assertThat(WorkerLauncher.withHugePages("")).isEqualTo("glibc.malloc.hugetlb=1");
    assertThat(WorkerLauncher.withHugePages("glibc.malloc.arena_max=2")).isEqualTo("glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1");
    assertThat(WorkerLauncher.withHugePages("glibc.malloc.hugetlb=0")).isEqualTo("glibc.malloc.hugetlb=0");
    assertThat(WorkerLauncher.withHugePages("glibc.malloc.tcache_count=0:glibc.malloc.hugetlb=2"))
        .isEqualTo("glibc.malloc.tcache_count=0:glibc.malloc.hugetlb=2");
    // A tunable whose name merely starts the same way decides nothing.
    assertThat(WorkerLauncher.withHugePages("glibc.malloc.hugetlbx=0")).isEqualTo("glibc.malloc.hugetlbx=0:glibc.malloc.hugetlb=1");
  }
}

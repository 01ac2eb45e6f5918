package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.snakepit.internal.process.ProcStat;
import dev.snakepit.internal.process.WorkerLimits;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.Processes;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Per-worker memory and CPU caps, through each mechanism this machine allows; a test whose mechanism
 * is not available is skipped, saying why.
 */
@PoolTest
class ResourceLimitsTest {
  private static final long MIB = 1024 * 1024;

  @AfterEach
  void unforce() {
    System.clearProperty(WorkerLimits.FORCE_PROPERTY);
  }

  @Test
  void cgroupV1MemoryCapKillsAWorkerOverItAndSaysSo() {
    assumeMechanism("cgroup-v1");
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("limit-v1").workerMemoryLimit(200 * MIB))) {
      assertThat(pool.stats().limits()).startsWith("cgroup v1");

      SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> {
        for (int i = 0; i < 10; i++) {
          pool.execute("hoard", Map.of("mib", 50));
        }
      });

      assertThat(e.kind()).isEqualTo(ErrorKind.WORKER_CRASHED);
      WorkerExit exit = e.workerExit().orElseThrow();
      assertThat(exit.cause()).isEqualTo(WorkerExit.Cause.OUT_OF_MEMORY);
      assertThat(e.getMessage()).contains("over its memory limit");
      assertThat(pool.execute("hoard", Map.of("mib", 50))).as("its replacement serves").isEqualTo(50L);
    }
  }

  @Test
  void aWorkersCgroupHoldsWhatEscapedItsKeeperAndItIsKilledWithTheWorker() throws Exception {
    assumeMechanism("cgroup-v1");
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("limit-escape").workerMemoryLimit(500 * MIB))) {
      long worker = pool.workerPids().getFirst();
      long keeper = ProcessHandle.of(worker).flatMap(ProcessHandle::parent).orElseThrow().pid();
      long daemon = (Long) pool.execute("spawn_child", Map.of("seconds", 60, "detach", "daemon"));

      // The keeper killed from outside: the worker dies with it (its parent-death signal), and the
      // daemon, in a session of its own, is left to init. Only the cgroup still holds it.
      Processes.signal(keeper, "KILL");

      await().atMost(Duration.ofSeconds(10)).until(() -> !Processes.isRunning(worker) && pool.stats().idle() == 1
          && !pool.workerPids().contains(worker));
      await().atMost(Duration.ofSeconds(5)).until(() -> !Processes.isRunning(daemon));
    }
  }

  @Test
  void cgroupV1CpuCapSlowsACpuBoundTool() {
    assumeMechanism("cgroup-v1");
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("limit-cpu").workerCpuLimit(0.2))) {
      long pid = pool.workerPids().getFirst();
      long before = cpuTicks(pid);

      pool.execute(Call.of("spin").withArg("seconds", 2.0));

      // Two seconds of spinning at a fifth of a core use about 0.4 s of CPU; uncapped, about 2 s.
      double seconds = (cpuTicks(pid) - before) / 100.0;
      assertThat(seconds).isLessThan(1.0);
    }
  }

  @Test
  void anAddressSpaceLimitMakesAllocationsBeyondItFailAndTheWorkerServesOn() {
    System.setProperty(WorkerLimits.FORCE_PROPERTY, "rlimit");
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("limit-rlimit").workerMemoryLimit(600 * MIB))) {
      assertThat(pool.stats().limits()).startsWith("address-space limit");

      SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> pool.execute("hoard", Map.of("mib", 900)));

      assertThat(e.kind()).isEqualTo(ErrorKind.PYTHON_EXCEPTION);
      assertThat(e.pythonError().orElseThrow().type()).isEqualTo("MemoryError");
      assertThat(pool.execute("hoard", Map.of("mib", 10))).isEqualTo(10L);
    }
  }

  @Test
  void cgroupV2IsUsedWhereTheControllersAreDelegated() {
    assumeMechanism("cgroup-v2");
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("limit-v2").workerMemoryLimit(200 * MIB))) {
      assertThat(pool.stats().limits()).startsWith("cgroup v2");
      assertThat(pool.execute("hoard", Map.of("mib", 10))).isEqualTo(10L);
    }
  }

  @Test
  void aCapNoMechanismCanEnforceStopsThePoolFromStarting() {
    System.setProperty(WorkerLimits.FORCE_PROPERTY, "rlimit");

    SnakepitException e = catchThrowableOfType(SnakepitException.class,
        () -> TestPools.start(TestPools.testAdapter("limit-none").workerCpuLimit(0.5)));

    assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_REQUEST);
    assertThat(e.getMessage()).contains("no mechanism can enforce the worker limits", "cannot cap CPU");
  }

  /** Skips the test, saying why, unless {@code mechanism} works here; then forces it. */
  private static void assumeMechanism(String mechanism) {
    System.setProperty(WorkerLimits.FORCE_PROPERTY, mechanism);
    String why;
    try {
      WorkerLimits limits = WorkerLimits.create("probe-" + mechanism, 64 * MIB, mechanism.equals("rlimit") ? 0 : 0.5);
      limits.close();
      return;
    } catch (IllegalStateException e) {
      why = e.getMessage();
    }
    System.clearProperty(WorkerLimits.FORCE_PROPERTY);
    assumeTrue(false, mechanism + " is not available here: " + why);
  }

  private static long cpuTicks(long pid) {
    return ProcStat.cpuTicks(pid).orElseThrow(() -> new IllegalStateException("process " + pid + " is gone"));
  }
}

package dev.snakepit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.cli.DoctorCheck.Status;
import dev.snakepit.internal.process.WorkerLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cgroup check: the layout it reports from a made-up /sys/fs/cgroup, and its verdict on what the pool would use. */
class CgroupCheckTest {
  @TempDir
  Path root;

  @Test
  void findsThisProcesssCgroup2PathInProcSelfCgroup() {
    assertThat(CgroupCheck.v2Group("0::/user.slice/user-1000.slice/session-2.scope\n")).isEqualTo("/user.slice/user-1000.slice/session-2.scope");
    assertThat(CgroupCheck.v2Group("4:memory:/docker/abc\n0::/\n")).isEqualTo("/");
    assertThat(CgroupCheck.v2Group("4:memory:/docker/abc\n1:cpu:/docker/abc\n")).isNull();
  }

  @Test
  void describesACgroup2TreeWithWhatThisProcesssGroupHasAndDelegates() throws Exception {
    Files.writeString(root.resolve("cgroup.controllers"), "cpuset cpu io memory pids\n");
    Path own = Files.createDirectories(root.resolve("user.slice/app.scope"));
    Files.writeString(own.resolve("cgroup.controllers"), "cpu memory pids\n");
    Files.writeString(own.resolve("cgroup.subtree_control"), "\n");

    assertThat(CgroupCheck.layout(root, "0::/user.slice/app.scope\n")).isEqualTo("cgroup2 at " + root
        + ", this process in /user.slice/app.scope (controllers: cpu memory pids; delegated to its children: none)");
  }

  @Test
  void describesAHybridTreeAndAV1OneAndNone() throws Exception {
    assertThat(CgroupCheck.layout(root, "")).isEqualTo("no cgroup file system at " + root);

    Files.createDirectories(root.resolve("memory"));
    Files.writeString(root.resolve("memory/cgroup.procs"), "1\n");
    assertThat(CgroupCheck.layout(root, "4:memory:/\n")).isEqualTo("cgroup v1 at " + root);

    Files.createDirectories(root.resolve("unified"));
    Files.writeString(root.resolve("unified/cgroup.controllers"), "");
    assertThat(CgroupCheck.layout(root, "4:memory:/\n0::/\n")).isEqualTo("cgroup v1 with cgroup2 at " + root.resolve("unified")
        + ", this process in / (controllers: none; delegated to its children: unreadable)");
  }

  @Test
  void warnsWhenNoCgroupCanBeMadeNamingWhatThePoolThenDoesAndHowToDelegate() {
    DoctorCheck check = CgroupCheck.verdict("cgroup2 at /sys/fs/cgroup", null,
        "no mechanism can enforce the worker limits on this machine: cgroup v2: the memory controller is not delegated");

    assertThat(check.status()).isEqualTo(Status.WARN);
    assertThat(check.found()).contains("the memory controller is not delegated", "workerCpuLimit does not start",
        "workerMemoryLimit falls back to an address-space limit (RLIMIT_AS)");
    assertThat(check.fix()).contains("systemd-run --user --scope -p Delegate=yes", "systemd service with Delegate=yes");
  }

  @Test
  void acceptsTheMechanismThePoolWouldUse() {
    DoctorCheck check = CgroupCheck.verdict("cgroup2 at /sys/fs/cgroup", WorkerLimits.Mechanism.CGROUP_V2,
        "cgroup v2 (memory.max, cpu.max, cgroup.kill)");

    assertThat(check).isEqualTo(DoctorCheck.ok("cgroups",
        "cgroup2 at /sys/fs/cgroup; workerMemoryLimit and workerCpuLimit use cgroup v2 (memory.max, cpu.max, cgroup.kill)"));
  }

  @Test
  void neverFailsOnThisMachine() {
    DoctorCheck check = CgroupCheck.run();

    assertThat(check.name()).isEqualTo("cgroups");
    assertThat(check.status()).isNotEqualTo(Status.FAIL);
  }
}

package dev.snakepit.internal.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.snakepit.testing.NoLeaks;
import dev.snakepit.testing.Processes;
import dev.snakepit.testing.TestPools;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run registry's sweep kills what dead JVMs left behind, and nothing else: never a live owner's
 * workers, never a process that merely reuses a recorded pid. Stand-in workers are real processes
 * that lead their own group and have a child in it, as workers do.
 */
@EnabledOnOs(OS.LINUX)
@ExtendWith(NoLeaks.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RunRegistryTest {
  @TempDir
  Path directory;

  private final List<Process> started = new ArrayList<>();
  private final List<Long> grandchildren = new ArrayList<>();

  @AfterEach
  void killStandIns() {
    grandchildren.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    started.forEach(Process::destroyForcibly);
    await().atMost(Duration.ofSeconds(10)).until(() -> grandchildren.stream().noneMatch(Processes::isRunning)
        && started.stream().noneMatch(Process::isAlive));
  }

  @Test
  void theSweepKillsTheWorkersOfADeadJvmAndWhatTheyStarted() throws Exception {
    RunRegistry dead = deadOwner();
    long worker = standInWorker(dead.token());
    dead.add(worker);
    long grandchild = grandchildren.getLast();

    int killed = me().sweep();

    assertThat(killed).isEqualTo(2);
    await().atMost(Duration.ofSeconds(5)).until(() -> !Processes.isRunning(worker) && !Processes.isRunning(grandchild));
    try (var files = Files.list(directory)) {
      assertThat(files.filter(f -> f.toString().endsWith(".workers"))).as("the dead owner's file is gone").isEmpty();
    }
  }

  @Test
  void theSweepDeletesTheRunDirectoriesOfADeadJvm() throws Exception {
    RunRegistry dead = deadOwner();
    Path runDirectory = Files.createDirectories(directory.resolve("snakepit-" + ProcessHandle.current().pid() + "-pool"));
    Files.writeString(runDirectory.resolve("w1.sock"), "");
    dead.addDirectory(runDirectory);
    Path elsewhere = Files.createDirectories(directory.resolve("not-a-run-directory"));
    dead.addDirectory(elsewhere);

    me().sweep();

    assertThat(runDirectory).doesNotExist();
    assertThat(elsewhere).as("only directories named as a pool of that JVM names them").isDirectory();
  }

  @Test
  void theSweepKillsTheChildrenOfAWorkerThatIsGoneAlready() throws Exception {
    RunRegistry dead = deadOwner();
    long worker = standInWorker(dead.token());
    dead.add(worker);
    long grandchild = grandchildren.getLast();
    started.getLast().destroyForcibly().waitFor(10, TimeUnit.SECONDS);

    me().sweep();

    await().atMost(Duration.ofSeconds(5)).until(() -> !Processes.isRunning(grandchild));
  }

  @Test
  void theSweepKillsWhatLeftTheWorkersGroupIfItCarriesTheDeadJvmsToken() throws Exception {
    RunRegistry dead = deadOwner();
    dead.add(standInWorker(dead.token()));
    long escaped = marked(dead.token()).pid(); // a session of its own, recorded nowhere
    long unrelated = marked("another-token").pid();

    int killed = me().sweep();

    assertThat(killed).isEqualTo(3);
    await().atMost(Duration.ofSeconds(5)).until(() -> !Processes.isRunning(escaped));
    assertThat(Processes.isRunning(unrelated)).isTrue();
  }

  @Test
  void theWorkersOfALiveJvmAreLeftAlone() throws Exception {
    Process owner = sleeper();
    RunRegistry live = new RunRegistry(directory, owner.pid(), ProcStat.startTime(owner.pid()).orElseThrow());
    long worker = standInWorker(live.token());
    live.add(worker);
    Path runDirectory = Files.createDirectories(directory.resolve("snakepit-run-of-a-live-jvm"));
    live.addDirectory(runDirectory);

    int killed = me().sweep();

    assertThat(killed).isZero();
    assertThat(Processes.isRunning(worker)).isTrue();
    assertThat(Processes.isRunning(grandchildren.getLast())).isTrue();
    assertThat(runDirectory).isDirectory();
    try (var files = Files.list(directory)) {
      assertThat(files.filter(f -> f.toString().endsWith(".workers"))).hasSize(1);
    }
  }

  @Test
  void aProcessThatReusesARecordedPidIsLeftAlone() throws Exception {
    RunRegistry dead = deadOwner();
    long unrelated = standInWorker("another-token");
    // Recorded with another start time: the same pid, but not the same process.
    Files.writeString(directory.resolve("1-1.workers"), "snakepit-run-registry 1\nowner 1 1\ninstance " + dead.token()
        + "\nworker " + unrelated + " " + (ProcStat.startTime(unrelated).orElseThrow() + 1) + "\n");

    int killed = me().sweep();

    assertThat(killed).isZero();
    assertThat(Processes.isRunning(unrelated)).isTrue();
    assertThat(Processes.isRunning(grandchildren.getLast())).isTrue();
  }

  @Test
  void aFileThatIsNotARegistryIsLeftAsItIs() throws Exception {
    Path stranger = Files.writeString(directory.resolve("9-9.workers"), "something else\n");

    assertThat(me().sweep()).isZero();

    assertThat(stranger).hasContent("something else");
  }

  @Test
  void theShutdownHookKillsTheWorkersAfterTheCleanupsAndDeletesItsFile() throws Exception {
    RunRegistry registry = deadOwner();
    long worker = standInWorker(registry.token());
    registry.add(worker);
    long grandchild = grandchildren.getLast();
    AtomicBoolean cleanedUpWhileAlive = new AtomicBoolean();
    registry.atExit(() -> cleanedUpWhileAlive.set(Processes.isRunning(worker)));

    registry.shutDown();

    assertThat(cleanedUpWhileAlive).as("pools are told before their workers die").isTrue();
    await().atMost(Duration.ofSeconds(5)).until(() -> !Processes.isRunning(worker) && !Processes.isRunning(grandchild));
    try (var files = Files.list(directory)) {
      assertThat(files.filter(f -> f.toString().endsWith(".workers"))).isEmpty();
    }
  }

  /** A registry whose owner is not alive: a real pid with a start time that is not its own. */
  private RunRegistry deadOwner() {
    long pid = ProcessHandle.current().pid();
    return new RunRegistry(directory, pid, ProcStat.startTime(pid).orElseThrow() + 1);
  }

  /** The registry of this JVM, as the sweep runs it. */
  private RunRegistry me() {
    long pid = ProcessHandle.current().pid();
    return new RunRegistry(directory, pid, ProcStat.startTime(pid).orElseThrow());
  }

  /** Starts a process that leads its own group, with a child in that group, both marked with {@code token}. */
  private long standInWorker(String token) throws IOException {
    String code = "import os, subprocess, sys, time\n"
        + "os.setsid()\n"
        + "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
        + "print(child.pid, flush=True)\n"
        + "time.sleep(120)\n";
    ProcessBuilder builder = new ProcessBuilder(TestPools.python(), "-c", code).redirectError(ProcessBuilder.Redirect.INHERIT);
    builder.environment().put(RunRegistry.INSTANCE_VARIABLE, token);
    builder.environment().put(NoLeaks.OWNER_VARIABLE, NoLeaks.OWNER);
    Process process = builder.start();
    started.add(process);
    String line = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)).readLine();
    grandchildren.add(Long.parseLong(line.strip()));
    return process.pid();
  }

  /** A sleeping process in a session of its own, marked with {@code token} as a worker's children are. */
  private Process marked(String token) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(TestPools.python(), "-c", "import os, time; os.setsid(); time.sleep(120)");
    builder.environment().put(RunRegistry.INSTANCE_VARIABLE, token);
    builder.environment().put(NoLeaks.OWNER_VARIABLE, NoLeaks.OWNER);
    Process process = builder.start();
    started.add(process);
    return process;
  }

  private Process sleeper() throws IOException {
    ProcessBuilder builder = new ProcessBuilder(TestPools.python(), "-c", "import time; time.sleep(120)");
    builder.environment().put(NoLeaks.OWNER_VARIABLE, NoLeaks.OWNER);
    Process process = builder.start();
    started.add(process);
    return process;
  }
}

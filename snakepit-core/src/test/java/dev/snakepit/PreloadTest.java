package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.snakepit.internal.process.ProcessTree;
import dev.snakepit.internal.process.RunRegistry;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.Processes;
import dev.snakepit.testing.RecordingListener;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * With {@code preload(true)} the workers are forked from one template that ran {@code preload()}: the
 * template is the JVM's child, each keeper the template's, and a crash of either is survived.
 */
@PoolTest
class PreloadTest {
  private static final String ADAPTER = "pooltests.preloaded:Preloaded";
  private static final Duration WAIT = Duration.ofSeconds(20);

  private static Snakepit start(String name, int size, RecordingListener events) {
    return TestPools.start(TestPools.builder(ADAPTER, name).size(size).preload(true).listener(events));
  }

  /** The worker's keeper's parent: the template it was forked from. */
  private static long templateOf(long worker) {
    long keeper = parent(worker);
    return keeper == 0 ? 0 : parent(keeper);
  }

  private static long parent(long pid) {
    return ProcessHandle.of(pid).flatMap(ProcessHandle::parent).map(ProcessHandle::pid).orElse(0L);
  }

  @Test
  void everyWorkerIsForkedFromOneTemplateThatRanPreloadOnce() {
    try (Snakepit pool = start("preload-tree", 3, new RecordingListener())) {
      List<Long> workers = pool.workerPids();
      assertThat(workers).hasSize(3);
      Set<Long> templates = new HashSet<>();
      workers.forEach(w -> templates.add(templateOf(w)));
      assertThat(templates).hasSize(1);
      long template = templates.iterator().next();
      assertThat(parent(template)).isEqualTo(ProcessHandle.current().pid());

      @SuppressWarnings("unchecked")
      List<Long> said = (List<Long>) pool.execute("preloaded_by", Map.of());
      assertThat(said.get(0)).as("preload() ran in the template").isEqualTo(template);
      assertThat(workers).contains(said.get(1));
      assertThat(templateOf(said.get(1))).isEqualTo(template);
      assertThat(pool.execute("data_sum", Map.of())).isEqualTo(16L << 20);
      assertThat(pool.execute("add", Map.of("a", 1))).isEqualTo(3L);
    }
  }

  @Test
  void theTemplateAndEveryForkedProcessCarryTheMarkTheNextJvmsSweepLooksFor() {
    try (Snakepit pool = start("preload-marked", 2, new RecordingListener())) {
      List<Long> workers = pool.workerPids();
      long template = templateOf(workers.getFirst());
      String mark = RunRegistry.INSTANCE_VARIABLE + "=" + RunRegistry.get().token();

      List<Long> marked = ProcessTree.withEnvironmentEntry(mark);

      assertThat(marked).contains(template).containsAll(workers);
      assertThat(workers).allSatisfy(w -> assertThat(marked).contains(parent(w)));
    }
  }

  @Test
  void aKilledWorkerIsReplacedByAForkOfTheSameTemplate() {
    RecordingListener events = new RecordingListener();
    try (Snakepit pool = start("preload-crash", 2, events)) {
      long victim = pool.workerPids().getFirst();
      long template = templateOf(victim);

      assertThat(ProcessHandle.of(victim).orElseThrow().destroyForcibly()).isTrue();

      await().atMost(WAIT).until(() -> !pool.workerPids().contains(victim) && pool.stats().idle() == 2);
      assertThat(pool.workerPids()).allSatisfy(w -> assertThat(templateOf(w)).isEqualTo(template));
      assertThat(pool.stats().workersCrashed()).isEqualTo(1);
      assertThat(events.ofType("workerCrash")).anySatisfy(crash -> {
        assertThat(crash.worker().pid()).isEqualTo(victim);
        assertThat(crash.worker().exit().signal()).isEqualTo("SIGKILL");
      });
      assertThat(pool.execute("add", Map.of("a", 2))).isEqualTo(4L);
    }
  }

  @Test
  void aKilledTemplateTakesItsWorkersAndANewTemplateReplacesThem() {
    RecordingListener events = new RecordingListener();
    try (Snakepit pool = start("preload-template-crash", 2, events)) {
      List<Long> before = pool.workerPids();
      long template = templateOf(before.getFirst());

      assertThat(ProcessHandle.of(template).orElseThrow().destroyForcibly()).isTrue();

      await().atMost(WAIT).until(() -> pool.stats().idle() == 2 && pool.workerPids().stream().noneMatch(before::contains));
      assertThat(before).allSatisfy(w -> await().atMost(WAIT).until(() -> ProcessHandle.of(w).isEmpty()
          || !ProcessHandle.of(w).get().isAlive()));
      long next = templateOf(pool.workerPids().getFirst());
      assertThat(next).isNotEqualTo(template).isPositive();
      assertThat(pool.workerPids()).allSatisfy(w -> assertThat(templateOf(w)).isEqualTo(next));
      assertThat(pool.stats().workersCrashed()).isEqualTo(2);
      assertThat(events.ofType("workerCrash")).anySatisfy(crash ->
          assertThat(crash.worker().reason()).contains("died: its template (pid " + template + ") ended, killed by SIGKILL"));
      assertThat(pool.execute("add", Map.of("a", 3))).isEqualTo(5L);
    }
  }

  @Test
  void aStoppedTemplateIsKilledAndItsWorkersAreReplacedFromANewOne() {
    RecordingListener events = new RecordingListener();
    try (Snakepit pool = start("preload-template-stopped", 2, events)) {
      List<Long> before = pool.workerPids();
      long template = templateOf(before.getFirst());

      Processes.signal(template, "STOP");

      await().atMost(WAIT).until(() -> !Processes.isRunning(template));
      await().atMost(WAIT).until(() -> pool.stats().idle() == 2 && pool.workerPids().stream().noneMatch(before::contains));
      assertThat(pool.workerPids()).allSatisfy(w -> assertThat(templateOf(w)).isNotEqualTo(template).isPositive());
      assertThat(events.ofType("workerCrash")).hasSize(2).allSatisfy(crash ->
          assertThat(crash.worker().reason()).contains("its template (pid " + template + ") ended, killed by SIGKILL"));
      assertThat(pool.execute("add", Map.of("a", 4))).isEqualTo(6L);
    }
  }

  @Test
  void aPreloadThatLeavesAThreadFailsTheStartNamingIt() {
    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> TestPools.start(
        TestPools.builder("pooltests.preloaded:StartsAThread", "preload-thread").size(2).preload(true)));

    assertThat(e.getMessage()).contains("pool 'preload-thread' could not start", "preload()", "model-loader",
        "start threads in setup()");
  }

  @Test
  void aPreloadThatRaisesFailsTheStartWithThePythonError() {
    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> TestPools.start(
        TestPools.builder("pooltests.failing_setup:FailingPreload", "preload-raises").size(2).preload(true)));

    assertThat(e.kind()).isEqualTo(ErrorKind.PYTHON_EXCEPTION);
    assertThat(e.getMessage()).contains("preload()", "MemoryError: the model does not fit");
  }
}

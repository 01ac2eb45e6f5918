package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.TestPools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Strict sessions moving off a worker that is to stop, through the adapter's snapshot_session and
 * restore_session, against real workers: recycling and shrinking lose no session, and a session that
 * cannot move drains as before.
 */
@PoolTest
class SessionMoveTest {
  private static final String ADAPTER = "pooltests.sessions:MovableSessionAdapter";

  @TempDir
  Path dir;

  private PoolConfig.Builder pool(String name) {
    return TestPools.builder(ADAPTER, name).environment("POOLTESTS_SESSION_LOG", dir.resolve("hooks.log").toString());
  }

  private List<String> hooks() throws IOException {
    Path log = dir.resolve("hooks.log");
    return Files.exists(log) ? Files.readAllLines(log) : List.of();
  }

  private static long pid(Session session) {
    return (Long) ((Map<?, ?>) session.execute("whoami", Map.of())).get("pid");
  }

  @Test
  void aRecycledWorkersSessionMovesWithItsStateAndTheWorkerStopsAtOnce() throws IOException {
    try (Snakepit python = TestPools.start(pool("session-move").size(1))) {
      Session session = python.openSession();
      session.execute("remember", Map.of("item", "a"));
      session.execute("remember", Map.of("item", List.of(1, 2)));
      long old = pid(session);
      String id = session.id();
      assertThat(python.stats().sessions()).isEqualTo(1);
      assertThat(python.core().recycle(old)).isTrue();
      await().atMost(Duration.ofSeconds(20)).until(() -> !python.workerPids().contains(old));
      assertThat(python.stats().sessions()).as("moved, not doubled").isEqualTo(1);

      assertThat(session.isOpen()).isTrue();
      assertThat(session.execute("recall", Map.of())).isEqualTo(List.of("a", List.of(1L, 2L)));
      assertThat(pid(session)).as("its new worker").isNotEqualTo(old);
      assertThat(session.workerId()).isEqualTo("w2");
      assertThat(hooks()).contains("snapshot " + id + " w1", "restore " + id + " w2").doesNotContain("close " + id + " w1 moved");
      session.close();
      assertThat(python.stats().sessions()).isZero();
      assertThat(hooks()).last().isEqualTo("close " + id + " w2 closed");
      assertThat(python.stats().callsFailed()).isZero();
    }
  }

  @Test
  void aShrinkMovesTheSessionsOfTheWorkerItStops() {
    try (Snakepit python = TestPools.start(pool("session-move-shrink").size(2))) {
      Session first = python.openSession();
      Session second = python.openSession();
      assertThat(first.workerId()).as("a new session goes to the worker holding the fewest").isNotEqualTo(second.workerId());
      first.execute("remember", Map.of("item", "one"));
      second.execute("remember", Map.of("item", "two"));
      python.resize(1);
      await().atMost(Duration.ofSeconds(20)).until(() -> python.workerPids().size() == 1);
      long left = python.workerPids().getFirst();
      assertThat(List.of(pid(first), pid(second))).containsOnly(left);
      assertThat(first.execute("recall", Map.of())).isEqualTo(List.of("one"));
      assertThat(second.execute("recall", Map.of())).isEqualTo(List.of("two"));
      first.close();
      second.close();
      assertThat(python.stats().callsFailed()).isZero();
    }
  }

  @Test
  void aSessionWhoseSnapshotFailsStaysOnItsDrainingWorker() throws IOException {
    try (Snakepit python = TestPools.start(pool("session-move-stuck").size(1))) {
      Session session = python.openSession();
      session.execute("remember", Map.of("item", "stuck"));
      long old = pid(session);
      assertThat(python.core().recycle(old)).isTrue();
      await().atMost(Duration.ofSeconds(20)).until(() -> python.workerPids().size() == 2);
      assertThat(pid(session)).as("the session stays where its state is").isEqualTo(old);
      assertThat(session.execute("recall", Map.of())).isEqualTo(List.of("stuck"));
      String id = session.id();
      session.close();
      await().atMost(Duration.ofSeconds(20)).until(() -> !python.workerPids().contains(old));
      assertThat(hooks()).contains("close " + id + " w1 closed");
    }
  }
}

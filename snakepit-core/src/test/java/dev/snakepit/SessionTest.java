package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import dev.snakepit.testing.LogCapture;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.RecordingListener;
import dev.snakepit.testing.TestPools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sessions against real workers: state kept in one worker across calls, the adapter's hooks, where
 * sessions go, strict and hint affinity, a worker's death, expiry, leaks and misuse.
 */
@PoolTest
class SessionTest {
  private static final String ADAPTER = "pooltests.sessions:SessionAdapter";

  @TempDir
  Path dir;

  private PoolConfig.Builder pool(String name) {
    return TestPools.builder(ADAPTER, name).environment("POOLTESTS_SESSION_LOG", log().toString());
  }

  private Path log() {
    return dir.resolve("hooks.log");
  }

  private List<String> hooks() throws IOException {
    return Files.exists(log()) ? Files.readAllLines(log()) : List.of();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> whoami(Session session) {
    return (Map<String, Object>) session.execute("whoami", Map.of());
  }

  @Test
  void aSessionKeepsItsStateInOneWorkerAcrossCalls() throws IOException {
    RecordingListener events = new RecordingListener();
    try (Snakepit python = TestPools.start(pool("session-state").size(2).listener(events))) {
      String id;
      String worker;
      try (Session session = python.openSession()) {
        id = session.id();
        worker = session.workerId();
        assertThat(id).matches("[0-9a-f]{32}");
        assertThat(session.isOpen()).isTrue();
        assertThat(session.execute("remember", Map.of("item", "a"))).isEqualTo(1L);
        assertThat(session.execute("remember", Map.of("item", 2))).isEqualTo(2L);
        assertThat(session.execute(Call.of("remember").withArg("item", List.of(3)))).isEqualTo(3L);
        assertThat(session.execute("recall", Map.of())).isEqualTo(List.of("a", 2L, List.of(3L)));
        Map<String, Object> me = whoami(session);
        assertThat(me.get("session")).isEqualTo(id);
        assertThat(me.get("pid")).as("the worker that opened the session runs its calls").isEqualTo(me.get("opened_by"));
        assertThat(session.executeDetailed(Call.of("recall")).workerId()).isEqualTo(worker);
        assertThat(session.executeAsync("remember", Map.of("item", "d")).join()).isEqualTo(4L);
        assertThat(((Map<?, ?>) python.execute("whoami", Map.of())).get("session")).as("outside a session").isNull();
      }
      assertThat(hooks()).containsExactly("open " + id + " " + worker, "close " + id + " " + worker + " closed");
      assertThat(events.ofType("sessionOpen")).singleElement().satisfies(e -> {
        assertThat(e.session().sessionId()).isEqualTo(id);
        assertThat(e.session().workerId()).isEqualTo(worker);
      });
      assertThat(events.ofType("sessionClose")).singleElement().satisfies(e -> assertThat(e.session().reason()).isEqualTo("closed"));
    }
  }

  @Test
  void newSessionsGoToTheWorkerWithFewestAndStopAtTheCap() {
    try (Snakepit python = TestPools.start(pool("session-cap").size(2).maxSessionsPerWorker(2))) {
      Session a = python.openSession();
      Session b = python.openSession();
      assertThat(b.workerId()).as("the second session goes to the other worker").isNotEqualTo(a.workerId());
      Session c = python.openSession();
      Session d = python.openSession();
      SnakepitException full = catchThrowableOfType(SnakepitException.class, python::openSession);
      assertThat(full.kind()).isEqualTo(ErrorKind.RESOURCE_EXHAUSTED);
      assertThat(full.getMessage()).contains("maxSessionsPerWorker 2", "4 sessions on 2 serving workers");
      String freed = c.workerId();
      c.close();
      try (Session e = python.openSession()) {
        assertThat(e.workerId()).as("the one worker with room").isEqualTo(freed);
        assertThat(e.execute("remember", Map.of("item", 1))).isEqualTo(1L);
      }
      for (Session s : List.of(a, b, d)) {
        s.close();
      }
    }
  }

  @Test
  void aStrictSessionsCallsWaitForItsWorkerEvenWhenAnotherIsFree() throws Exception {
    try (Snakepit python = TestPools.start(pool("session-strict").size(2)); Session session = python.openSession()) {
      Object pid = whoami(session).get("pid");
      CompletableFuture<Object> slow = session.executeAsync("sleep", Map.of("seconds", 0.5));
      // The other worker is idle all along; the session's second call waits for its own.
      CompletableFuture<Object> next = session.executeAsync("whoami", Map.of());
      assertThat(slow.get(10, TimeUnit.SECONDS)).isEqualTo(0.5);
      assertThat(((Map<?, ?>) next.get(10, TimeUnit.SECONDS)).get("pid")).isEqualTo(pid);
    }
  }

  @Test
  void whenItsWorkerDiesAStrictSessionIsLostAndThePoolServesOn() throws Exception {
    RecordingListener events = new RecordingListener();
    try (Snakepit python = TestPools.start(pool("session-lost").size(2).listener(events))) {
      Session session = python.openSession();
      session.execute("remember", Map.of("item", "x"));
      String worker = session.workerId();

      SnakepitException died = catchThrowableOfType(SnakepitException.class, () -> session.execute("crash", Map.of()));
      assertThat(died.kind()).isEqualTo(ErrorKind.SESSION_LOST);
      assertThat(died.getMessage()).contains("session " + session.id(), "its worker " + worker + " died", "open a new session");
      assertThat(died.getCause()).isInstanceOfSatisfying(SnakepitException.class,
          cause -> assertThat(cause.kind()).isEqualTo(ErrorKind.WORKER_CRASHED));
      assertThat(session.isOpen()).isFalse();

      SnakepitException after = catchThrowableOfType(SnakepitException.class, () -> session.execute("recall", Map.of()));
      assertThat(after.kind()).as("never silently run elsewhere").isEqualTo(ErrorKind.SESSION_LOST);
      assertThat(events.ofType("sessionLost")).singleElement().satisfies(e -> assertThat(e.session().workerId()).isEqualTo(worker));
      session.close(); // nothing to do, and no error

      try (Session fresh = python.openSession()) {
        assertThat(fresh.execute("recall", Map.of())).isEqualTo(List.of());
      }
    }
  }

  @Test
  void aSessionsQueuedCallsFailWithSessionLostWhenItsIdleWorkerIsKilled() throws Exception {
    try (Snakepit python = TestPools.start(pool("session-killed").size(2))) {
      Session session = python.openSession();
      long pid = (Long) whoami(session).get("pid");
      CompletableFuture<Object> running = session.executeAsync("sleep", Map.of("seconds", 5.0));
      CompletableFuture<Object> queued = session.executeAsync("recall", Map.of());
      ProcessHandle.of(pid).orElseThrow().destroyForcibly();

      for (CompletableFuture<Object> call : List.of(running, queued)) {
        Throwable error = catchThrowableOfType(java.util.concurrent.ExecutionException.class,
            () -> call.get(20, TimeUnit.SECONDS)).getCause();
        assertThat(error).isInstanceOfSatisfying(SnakepitException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.SESSION_LOST));
      }
      assertThat(python.execute("whoami", Map.of())).isNotNull();
    }
  }

  @Test
  void aHintSessionMovesToAFreeWorkerAndOpensThereAfresh() throws Exception {
    SessionOptions hint = SessionOptions.defaults().withAffinity(SessionOptions.Affinity.HINT);
    try (Snakepit python = TestPools.start(pool("session-hint").size(2))) {
      Session session = python.openSession(hint);
      String first = session.workerId();
      session.execute("remember", Map.of("item", "kept"));
      CompletableFuture<Object> slow = session.executeAsync("sleep", Map.of("seconds", 1.0));
      await().atMost(Duration.ofSeconds(10)).until(() -> python.stats().busy() == 1);

      Map<String, Object> moved = whoami(session);
      assertThat(moved.get("pid")).as("open_session ran on the worker that took the call").isEqualTo(moved.get("opened_by"));
      assertThat(session.workerId()).isNotEqualTo(first);
      assertThat(session.execute("recall", Map.of())).as("the state is rebuilt, not carried").isEqualTo(List.of());
      assertThat(slow.get(10, TimeUnit.SECONDS)).isEqualTo(1.0);
      await().atMost(Duration.ofSeconds(10)).until(() -> hooks().contains("close " + session.id() + " " + first + " moved"));

      SnakepitException crashed = catchThrowableOfType(SnakepitException.class, () -> session.execute("crash", Map.of()));
      assertThat(crashed.kind()).as("a hint session outlives its worker").isEqualTo(ErrorKind.WORKER_CRASHED);
      assertThat(session.isOpen()).isTrue();
      assertThat(session.execute("remember", Map.of("item", "again"))).isEqualTo(1L);
      session.close();
    }
  }

  @Test
  void anIdleSessionIsClosedByItsIdleTimeoutAndItsCallsThenFail() throws IOException {
    RecordingListener events = new RecordingListener();
    try (Snakepit python = TestPools.start(pool("session-idle").size(1).listener(events))) {
      Session session = python.openSession(SessionOptions.defaults().withIdleTimeout(Duration.ofMillis(300)));
      String worker = session.workerId();
      await().atMost(Duration.ofSeconds(10)).until(() -> !session.isOpen());
      await().atMost(Duration.ofSeconds(10)).until(() -> hooks().contains("close " + session.id() + " " + worker + " idle"));
      SnakepitException expired = catchThrowableOfType(SnakepitException.class, () -> session.execute("recall", Map.of()));
      assertThat(expired.kind()).isEqualTo(ErrorKind.SESSION_LOST);
      assertThat(expired.getMessage()).contains("idle timeout");
      assertThat(events.ofType("sessionClose")).singleElement().satisfies(e -> assertThat(e.session().reason()).isEqualTo("idle"));
    }
  }

  @Test
  void aSessionPastItsMaximumLifetimeIsClosedEvenWhileInUse() throws IOException {
    try (Snakepit python = TestPools.start(pool("session-lifetime").size(1))) {
      Session session = python.openSession(SessionOptions.defaults().withMaxLifetime(Duration.ofMillis(500)));
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
        try {
          session.execute("remember", Map.of("item", 1));
          return false;
        } catch (SnakepitException e) {
          assertThat(e.kind()).isEqualTo(ErrorKind.SESSION_LOST);
          assertThat(e.getMessage()).contains("maximum lifetime");
          return true;
        }
      });
      await().atMost(Duration.ofSeconds(10)).until(() -> hooks().stream().anyMatch(l -> l.endsWith(" lifetime")));
    }
  }

  @Test
  void theHooksFailuresReachTheCallerAndLeaveNothingHalfOpen() {
    try (Snakepit python = TestPools.start(pool("session-hook-fails").size(1).maxSessionsPerWorker(1)
        .environment("POOLTESTS_SESSION_FAIL_OPEN", "fail"))) {
      for (int i = 0; i < 2; i++) {
        SnakepitException refused = catchThrowableOfType(SnakepitException.class, python::openSession);
        assertThat(refused.kind()).as("the cap counts no session that failed to open").isEqualTo(ErrorKind.PYTHON_EXCEPTION);
        assertThat(refused.pythonError()).hasValueSatisfying(p -> assertThat(p.message()).contains("no session today"));
      }
    }
    try (Snakepit python = TestPools.start(pool("session-close-fails").size(1))) {
      Session session = python.openSession();
      session.execute("fail_close", Map.of());
      SnakepitException failed = catchThrowableOfType(SnakepitException.class, session::close);
      assertThat(failed.kind()).isEqualTo(ErrorKind.PYTHON_EXCEPTION);
      assertThat(session.isOpen()).isFalse();
      assertThatThrownBy(() -> session.execute("recall", Map.of())).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("Session.execute: session " + session.id()).hasMessageContaining("is closed");
    }
  }

  @Test
  void closingThePoolClosesItsSessionsInTheWorkers() throws IOException {
    RecordingListener events = new RecordingListener();
    Session session;
    try (Snakepit python = TestPools.start(pool("session-pool-close").size(1).listener(events))) {
      session = python.openSession();
    }
    assertThat(hooks()).contains("close " + session.id() + " w1 pool_closed");
    assertThat(session.isOpen()).isFalse();
    assertThat(catchThrowableOfType(SnakepitException.class, () -> session.execute("recall", Map.of())).kind())
        .isEqualTo(ErrorKind.POOL_CLOSED);
    assertThat(events.ofType("sessionClose")).singleElement().satisfies(e -> assertThat(e.session().reason()).isEqualTo("pool_closed"));
  }

  @Test
  void aSessionUnusedPastTheLeakThresholdIsReportedWithWhereItWasOpened() {
    try (LogCapture warnings = LogCapture.attach("dev.snakepit.internal.session.Sessions", Level.WARN);
        Snakepit python = TestPools.start(pool("session-leak").size(1).sessionLeakThreshold(Duration.ofMillis(200)));
        Session session = python.openSession()) {
      await().atMost(Duration.ofSeconds(10)).until(() -> !warnings.events().isEmpty());
      assertThat(warnings.events()).singleElement().satisfies(e -> {
        assertThat(e.getFormattedMessage()).contains("session " + session.id(), "sessionLeakThreshold");
        assertThat(e.getThrowableProxy().getMessage()).contains("was opened here");
      });
      assertThat(session.isOpen()).as("a leak warning closes nothing").isTrue();
    }
  }

  @Test
  void aRecycledWorkerServesItsSessionsUntilTheyCloseAndTakesNothingElse() throws IOException {
    try (LogCapture drains = LogCapture.attach("dev.snakepit.internal.supervisor.WorkerEndings", Level.INFO);
        Snakepit python = TestPools.start(pool("session-drain").size(1))) {
      Session session = python.openSession();
      session.execute("remember", Map.of("item", "kept"));
      long old = (Long) whoami(session).get("pid");
      assertThat(python.core().recycle(old)).isTrue();
      await().atMost(Duration.ofSeconds(20)).until(() -> drains.events().stream()
          .anyMatch(e -> e.getFormattedMessage().contains("it serves its sessions for at most PT5M first")));

      assertThat(whoami(session).get("pid")).as("the session stays on its draining worker").isEqualTo(old);
      assertThat(session.execute("recall", Map.of())).isEqualTo(List.of("kept"));
      for (int i = 0; i < 5; i++) {
        assertThat(((Map<?, ?>) python.execute("whoami", Map.of())).get("pid")).as("other calls go to the replacement")
            .isNotEqualTo(old);
      }
      try (Session fresh = python.openSession()) {
        assertThat(whoami(fresh).get("pid")).as("new sessions too").isNotEqualTo(old);
      }
      String id = session.id();
      session.close();
      await().atMost(Duration.ofSeconds(20)).until(() -> !python.workerPids().contains(old));
      assertThat(hooks()).contains("close " + id + " w1 closed");
      assertThat(python.stats().callsFailed()).isZero();
    }
  }

  @Test
  void aSessionStillOpenWhenTheDrainTimeoutEndsIsLost() {
    try (Snakepit python = TestPools.start(pool("session-drain-timeout").size(1).sessionDrainTimeout(Duration.ofMillis(500)))) {
      Session session = python.openSession();
      long old = (Long) whoami(session).get("pid");
      assertThat(python.core().recycle(old)).isTrue();
      await().atMost(Duration.ofSeconds(20)).until(() -> !session.isOpen());
      SnakepitException lost = catchThrowableOfType(SnakepitException.class, () -> session.execute("recall", Map.of()));
      assertThat(lost.kind()).isEqualTo(ErrorKind.SESSION_LOST);
      assertThat(lost.getMessage()).contains("is stopping");
      await().atMost(Duration.ofSeconds(20)).until(() -> !python.workerPids().contains(old));
    }
  }

  @Test
  void aShrinkStopsWorkersWithoutSessionsFirst() {
    try (Snakepit python = TestPools.start(pool("session-shrink").size(2))) {
      Session session = python.openSession();
      session.execute("remember", Map.of("item", "kept"));
      long holder = (Long) whoami(session).get("pid");
      python.resize(1);
      await().atMost(Duration.ofSeconds(20)).until(() -> python.workerPids().size() == 1);
      assertThat(python.workerPids()).containsExactly(holder);
      assertThat(session.execute("recall", Map.of())).isEqualTo(List.of("kept"));
      session.close();
    }
  }

  @Test
  void badOptionsAndArgumentsAreRefusedAtOnce() {
    assertThatThrownBy(() -> SessionOptions.defaults().withIdleTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("SessionOptions.idleTimeout = PT0S is invalid: it must be positive and at most PT168H");
    assertThatThrownBy(() -> SessionOptions.defaults().withMaxLifetime(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SessionOptions.maxLifetime = PT-1S is invalid");
    assertThatThrownBy(() -> SessionOptions.defaults().withAffinity(null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("SessionOptions.affinity = null is invalid");
    assertThatThrownBy(() -> PoolConfig.builder(ADAPTER).maxSessionsPerWorker(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("PoolConfig.maxSessionsPerWorker = 0 is invalid: it must be between 1 and 100000");
    try (Snakepit python = TestPools.start(pool("session-misuse").size(1)); Session session = python.openSession()) {
      assertThatThrownBy(() -> python.openSession(null)).isInstanceOf(NullPointerException.class)
          .hasMessage("Snakepit.openSession: options must not be null");
      assertThatThrownBy(() -> session.execute(null, Map.of())).isInstanceOf(NullPointerException.class)
          .hasMessage("Session.execute: tool must not be null");
      assertThatThrownBy(() -> session.execute((Call) null)).isInstanceOf(NullPointerException.class)
          .hasMessage("Session.execute: call must not be null");
      SnakepitException unknown = catchThrowableOfType(SnakepitException.class, () -> session.execute("nope", Map.of()));
      assertThat(unknown.kind()).isEqualTo(ErrorKind.INVALID_REQUEST);
      assertThat(session.execute("remember", Map.of("item", 1))).as("the session serves on").isEqualTo(1L);
    }
  }
}

package dev.snakepit.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.snakepit.Call;
import dev.snakepit.CallStream;
import dev.snakepit.PoolConfig;
import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitException;
import dev.snakepit.testing.NoLeaks;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.TestPools;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The meters of a pool of real workers: every name and tag (a rename must change this test), what they
 * count after calls, failures, a crash, a recycle, a stream and heartbeats, the Prometheus exposition,
 * and a binder that detaches cleanly.
 */
@PoolTest
class SnakepitMetricsTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  /** Every meter a pool that did all of the above has, as "name{tag keys and the values that do not vary}". */
  private static final Set<String> EVERY_METER = Set.of(
      "snakepit.workers{pool=metrics,state=busy}",
      "snakepit.workers{pool=metrics,state=idle}",
      "snakepit.workers{pool=metrics,state=starting}",
      "snakepit.workers.target{pool=metrics}",
      "snakepit.calls.queued{pool=metrics}",
      "snakepit.calls{kind=none,outcome=success,pool=metrics,tool=add}",
      "snakepit.calls{kind=python_exception,outcome=error,pool=metrics,tool=fail}",
      "snakepit.calls{kind=worker_crashed,outcome=error,pool=metrics,tool=crash}",
      "snakepit.calls{kind=none,outcome=success,pool=metrics,tool=count_bytes}",
      "snakepit.calls.acquire{kind=none,outcome=acquired,pool=metrics,tool=add}",
      "snakepit.calls.acquire{kind=none,outcome=acquired,pool=metrics,tool=fail}",
      "snakepit.calls.acquire{kind=none,outcome=acquired,pool=metrics,tool=crash}",
      "snakepit.calls.acquire{kind=none,outcome=acquired,pool=metrics,tool=count_bytes}",
      "snakepit.calls.retried{pool=metrics}",
      "snakepit.worker.starts{pool=metrics}",
      "snakepit.worker.crashes{cause=signaled,pool=metrics,reason=none}",
      "snakepit.worker.recycles{pool=metrics,reason=calls}",
      "snakepit.worker.recycles{pool=metrics,reason=age}",
      "snakepit.worker.recycles{pool=metrics,reason=memory}",
      "snakepit.worker.recycles{pool=metrics,reason=error_rate}",
      "snakepit.worker.recycles{pool=metrics,reason=requested}",
      "snakepit.worker.memory{pool=metrics,worker=*}",
      "snakepit.heartbeat.round.trip{pool=metrics}",
      "snakepit.pool.crash.looping{pool=metrics}",
      "snakepit.pool.ready{pool=metrics}",
      "snakepit.pool.generation{pool=metrics}",
      "snakepit.pool.crash.rate{pool=metrics}",
      "snakepit.sessions.open{pool=metrics}",
      "snakepit.streams.active{pool=metrics}",
      "snakepit.stream.items{pool=metrics}");

  @Test
  void everyMeterHasItsNameAndTagsAndCountsWhatHappened() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("metrics").size(2).heartbeatInterval(Duration.ofMillis(50)));
        SnakepitMetrics metrics = new SnakepitMetrics(pool)) {
      metrics.bindTo(registry);

      for (int i = 0; i < 3; i++) {
        pool.execute("add", Map.of("a", i, "b", 1));
      }
      assertThatThrownBy(() -> pool.execute("fail", Map.of())).isInstanceOf(SnakepitException.class);
      // Refused before the pool accepts it: no call of it is timed, and its name makes no new series.
      assertThatThrownBy(() -> pool.execute("no_such_tool", Map.of())).isInstanceOf(SnakepitException.class);
      try (CallStream stream = pool.stream(Call.of("count_bytes").withArg("n", 4).withArg("size", 2))) {
        stream.forEachRemaining(item -> {});
      }
      assertThatThrownBy(() -> pool.execute("crash", Map.of())).isInstanceOf(SnakepitException.class);
      await().atMost(WAIT).until(() -> pool.stats().workersCrashed() == 1 && pool.stats().idle() == 2);
      await().atMost(WAIT).until(() -> registry.find(MeterNames.HEARTBEAT_ROUND_TRIP).timer().count() >= 4);

      assertThat(described(registry)).isEqualTo(new TreeSet<>(EVERY_METER));
      assertThat(timer(registry, "add", "success").count()).isEqualTo(3);
      assertThat(timer(registry, "fail", "error").count()).isEqualTo(1);
      assertThat(registry.get(MeterNames.WORKERS).tag(MeterNames.STATE, "idle").gauge().value()).isEqualTo(2);
      assertThat(registry.get(MeterNames.WORKERS_TARGET).gauge().value()).isEqualTo(2);
      assertThat(registry.get(MeterNames.WORKER_CRASHES).counter().count()).isEqualTo(1);
      assertThat(registry.get(MeterNames.WORKER_STARTS).functionCounter().count()).isEqualTo(3);
      assertThat(registry.get(MeterNames.STREAM_ITEMS).functionCounter().count()).isEqualTo(4);
      assertThat(registry.get(MeterNames.READY).gauge().value()).isEqualTo(1);
      assertThat(registry.get(MeterNames.CRASH_RATE).gauge().value()).isEqualTo(1 / 60.0);
      assertThat(registry.get(MeterNames.HEARTBEAT_ROUND_TRIP).timer().max(TimeUnit.SECONDS))
          .isPositive().isLessThan(10);
      // One memory gauge per live worker: the crashed one's went with it, its replacement has one.
      assertThat(registry.find(MeterNames.WORKER_MEMORY).gauges()).hasSize(2).allSatisfy(g -> {
        assertThat(g.value()).as("a Python interpreter holds megabytes").isGreaterThan(1 << 20);
        assertThat(pool.workers()).extracting(w -> w.id()).contains(g.getId().getTag(MeterNames.WORKER));
      });
    }
  }

  @Test
  void aRecycleIsCountedByItsReason() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("metrics-recycle").size(1).recycleAfterCalls(2));
        SnakepitMetrics metrics = new SnakepitMetrics(pool, Tags.of("app", "test"))) {
      metrics.bindTo(registry);

      pool.execute("add", Map.of("a", 1, "b", 1));
      pool.execute("add", Map.of("a", 1, "b", 1));

      await().atMost(WAIT).until(() -> registry.get(MeterNames.WORKER_RECYCLES).tag(MeterNames.REASON, "calls")
          .functionCounter().count() == 1);
      assertThat(registry.get(MeterNames.WORKER_RECYCLES).tag(MeterNames.REASON, "age").functionCounter().count()).isZero();
      assertThat(registry.getMeters()).allSatisfy(m -> assertThat(m.getId().getTag("app")).isEqualTo("test"));
    }
  }

  @Test
  void prometheusShowsTheMetersInItsOwnNaming() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("metrics-prom").size(1));
        SnakepitMetrics metrics = new SnakepitMetrics(pool)) {
      metrics.bindTo(registry);
      pool.execute("add", Map.of("a", 1, "b", 2));

      String scrape = registry.scrape();

      assertThat(scrape).contains(
          "snakepit_calls_seconds_count{kind=\"none\",outcome=\"success\",pool=\"metrics-prom\",tool=\"add\"} 1",
          "snakepit_workers{pool=\"metrics-prom\",state=\"idle\"} 1",
          "snakepit_calls_queued{pool=\"metrics-prom\"} 0",
          "snakepit_worker_starts_total{pool=\"metrics-prom\"} 1",
          "snakepit_worker_recycles_total{pool=\"metrics-prom\",reason=\"calls\"} 0",
          "snakepit_pool_ready{pool=\"metrics-prom\"} 1",
          "snakepit_pool_generation{pool=\"metrics-prom\"} 1",
          "snakepit_worker_memory_bytes{pool=\"metrics-prom\",worker=\"w1\"} ");
    } finally {
      registry.close();
    }
  }

  @Test
  void theMetersCountOnAcrossAReloadAndShowTheNewGeneration() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    PoolConfig.Builder builder = TestPools.testAdapter("metrics-reload").size(2);
    try (Snakepit pool = TestPools.start(builder); SnakepitMetrics metrics = new SnakepitMetrics(pool)) {
      metrics.bindTo(registry);
      pool.execute("add", Map.of("a", 1, "b", 2));

      pool.reload(builder.build()).previousStopped().get(WAIT.toSeconds(), TimeUnit.SECONDS);
      NoLeaks.sawWorkers(pool.workerPids());
      pool.execute("add", Map.of("a", 1, "b", 2));

      assertThat(registry.get(MeterNames.GENERATION).gauge().value()).isEqualTo(2);
      assertThat(timer(registry, "add", "success").count()).isEqualTo(2);
      assertThat(registry.get(MeterNames.WORKER_STARTS).functionCounter().count()).isEqualTo(4);
      assertThat(registry.get(MeterNames.WORKERS).tag(MeterNames.STATE, "idle").gauge().value()).isEqualTo(2);
      await().atMost(WAIT).until(() -> registry.find(MeterNames.WORKER_MEMORY).gauges().stream()
          .map(g -> g.getId().getTag(MeterNames.WORKER)).collect(Collectors.toSet()).equals(Set.of("g2-w1", "g2-w2")));
    }
  }

  @Test
  void closingTheBinderRemovesItsMetersAndDetachesItFromThePool() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (Snakepit pool = TestPools.start(TestPools.testAdapter("metrics-close").size(1))) {
      SnakepitMetrics metrics = new SnakepitMetrics(pool);
      metrics.bindTo(registry);
      pool.execute("add", Map.of("a", 1, "b", 2));
      assertThat(registry.getMeters()).isNotEmpty();

      metrics.close();
      pool.execute("add", Map.of("a", 1, "b", 2));

      assertThat(registry.getMeters()).as("no meter of the closed binder, and none registered after").isEmpty();
      assertThatThrownBy(() -> metrics.bindTo(registry)).isInstanceOf(IllegalStateException.class)
          .hasMessage("SnakepitMetrics of pool 'metrics-close' is closed; make a new one");
      metrics.close();
    }
  }

  private static Timer timer(MeterRegistry registry, String tool, String outcome) {
    return registry.get(MeterNames.CALLS).tag(MeterNames.TOOL, tool).tag(MeterNames.OUTCOME, outcome).timer();
  }

  /** Each meter as "name{key=value,...}", sorted, with a worker's id shown as {@code *}. */
  private static TreeSet<String> described(MeterRegistry registry) {
    return registry.getMeters().stream().map(SnakepitMetricsTest::describe).collect(Collectors.toCollection(TreeSet::new));
  }

  private static String describe(Meter meter) {
    return meter.getId().getName() + meter.getId().getTags().stream()
        .map(t -> t.getKey() + "=" + (t.getKey().equals(MeterNames.WORKER) ? "*" : t.getValue()))
        .sorted().collect(Collectors.joining(",", "{", "}"));
  }
}

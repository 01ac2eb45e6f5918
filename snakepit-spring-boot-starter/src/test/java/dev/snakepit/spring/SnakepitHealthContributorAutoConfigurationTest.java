package dev.snakepit.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.snakepit.Snakepit;
import dev.snakepit.SnakepitException;
import dev.snakepit.testing.PoolTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The {@code snakepit} health contributor over pools of real workers: a child per pool, and its status. */
@PoolTest
class SnakepitHealthContributorAutoConfigurationTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(
      AutoConfigurations.of(SnakepitAutoConfiguration.class, SnakepitHealthContributorAutoConfiguration.class));

  @Test
  void aReadyPoolIsUpWithItsCountsAndAChildPerPool() {
    runner.withPropertyValues(TestPoolProperties.of("main")).withPropertyValues(TestPoolProperties.of("batch"))
        .run(context -> {
          assertThat(context).hasNotFailed();
          context.getBeansOfType(Snakepit.class).values().forEach(TestPoolProperties::workersOf);
          CompositeHealthContributor snakepit = context.getBean("snakepitHealthContributor", CompositeHealthContributor.class);
          assertThat(snakepit.stream().map(c -> c.name())).containsExactlyInAnyOrder("main", "batch");

          Health health = health(context, "main");
          assertThat(health.getStatus()).isEqualTo(Status.UP);
          assertThat(health.getDetails()).containsEntry("pool", "main").containsEntry("live", true)
              .containsEntry("ready", true).containsEntry("reasons", List.of()).containsEntry("targetSize", 1)
              .containsEntry("workers", 1).containsEntry("idle", 1).containsEntry("crashLooping", false).containsEntry("generation", 1)
              .containsKeys("state", "busy", "starting", "queued", "crashRate", "workersCrashed", "callsSucceeded",
                  "callsFailed");
        });
  }

  @Test
  void aLivePoolThatIsNotReadyIsOutOfServiceAndAClosedOneDown() {
    // One crash a minute is above this rate: the pool stays live, and is not ready until the crash is a minute old.
    runner.withPropertyValues(TestPoolProperties.of("main", "snakepit.pools.main.max-crash-rate=0.001")).run(context -> {
      Snakepit pool = context.getBean(Snakepit.class);
      TestPoolProperties.workersOf(pool);
      assertThat(health(context, "main").getStatus()).isEqualTo(Status.UP);

      assertThatThrownBy(() -> pool.execute("crash", Map.of())).isInstanceOf(SnakepitException.class);
      await().atMost(WAIT).until(() -> pool.stats().workersCrashed() == 1 && pool.stats().idle() == 1);
      TestPoolProperties.workersOf(pool);
      Health crashed = health(context, "main");
      assertThat(crashed.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
      assertThat(crashed.getDetails()).containsEntry("live", true).containsEntry("ready", false);
      assertThat((List<?>) crashed.getDetails().get("reasons")).isNotEmpty();

      pool.close();
      Health closed = health(context, "main");
      assertThat(closed.getStatus()).isEqualTo(Status.DOWN);
      assertThat(closed.getDetails()).containsEntry("live", false);
    });
  }

  @Test
  void isTurnedOffByItsProperty() {
    runner.withPropertyValues(TestPoolProperties.of("main", "management.health.snakepit.enabled=false")).run(context -> {
      TestPoolProperties.workersOf(context.getBean(Snakepit.class));
      assertThat(context).doesNotHaveBean("snakepitHealthContributor");
    });
  }

  @Test
  void isAbsentWithoutPools() {
    runner.run(context -> assertThat(context).hasNotFailed().doesNotHaveBean("snakepitHealthContributor"));
  }

  private static Health health(AssertableApplicationContext context, String pool) {
    CompositeHealthContributor snakepit = context.getBean("snakepitHealthContributor", CompositeHealthContributor.class);
    return ((HealthIndicator) snakepit.getContributor(pool)).health(true);
  }
}

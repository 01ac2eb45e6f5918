package dev.snakepit.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.snakepit.Snakepit;
import dev.snakepit.spi.CallTracer;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.Processes;
import dev.snakepit.testing.RecordingListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.BeanFactoryAnnotationUtils;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.UnboundConfigurationPropertiesException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** Pools of real workers from {@code snakepit.pools.*}: their beans, their failures at start-up, their end. */
@PoolTest
class SnakepitAutoConfigurationTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private final ApplicationContextRunner runner = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(SnakepitAutoConfiguration.class));

  @Test
  void startsThePoolOfThePropertiesAsABeanAndClosesItWithTheContext() {
    List<Long> workers = new ArrayList<>();
    runner.withPropertyValues(TestPoolProperties.of("main", "snakepit.pools.main.size=2")).run(context -> {
      assertThat(context).hasNotFailed().hasSingleBean(Snakepit.class).hasBean("snakepitMain");
      Snakepit pool = context.getBean(Snakepit.class);
      assertThat(pool.config().name()).isEqualTo("main");
      assertThat(pool.config().size()).isEqualTo(2);
      assertThat(pool.execute("add", Map.of("a", 1, "b", 2))).isEqualTo(3L);
      workers.addAll(TestPoolProperties.workersOf(pool));
    });

    assertThat(workers).hasSize(2);
    await().atMost(WAIT).until(() -> workers.stream().noneMatch(Processes::isRunning));
  }

  @Test
  void startsAPoolPerNameEachABeanWithThatQualifier() {
    runner.withPropertyValues(TestPoolProperties.of("alpha"))
        .withPropertyValues(TestPoolProperties.of("image-models", "snakepit.pools.image-models.name=images"))
        .run(context -> {
          assertThat(context).hasNotFailed().hasBean("snakepitAlpha").hasBean("snakepitImageModels");
          Snakepit alpha = BeanFactoryAnnotationUtils.qualifiedBeanOfType(context.getBeanFactory(), Snakepit.class, "alpha");
          Snakepit images = BeanFactoryAnnotationUtils.qualifiedBeanOfType(context.getBeanFactory(), Snakepit.class,
              "image-models");
          TestPoolProperties.workersOf(alpha);
          TestPoolProperties.workersOf(images);
          assertThat(alpha.config().name()).isEqualTo("alpha");
          assertThat(images.config().name()).isEqualTo("images");
          assertThat(images.execute("add", Map.of("a", 40))).isEqualTo(42L);
        });
  }

  @Test
  void appliesTheListenerAndTracerBeansThenTheCustomizers() {
    RecordingListener listener = new RecordingListener();
    CallTracer tracer = (pool, tool) -> null;
    runner.withPropertyValues(TestPoolProperties.of("main"))
        .withBean(RecordingListener.class, () -> listener)
        .withBean(CallTracer.class, () -> tracer)
        .withBean("first", SnakepitPoolCustomizer.class, () -> (name, builder) -> builder.hostFunction("where", call -> name))
        .withBean("second", SnakepitPoolCustomizer.class, () -> (name, builder) -> builder.size(2))
        .run(context -> {
          assertThat(context).hasNotFailed();
          Snakepit pool = context.getBean(Snakepit.class);
          TestPoolProperties.workersOf(pool);
          assertThat(pool.config().listener()).isSameAs(listener);
          assertThat(pool.config().tracer()).isSameAs(tracer);
          assertThat(pool.config().size()).as("a customizer overrides the properties").isEqualTo(2);
          assertThat(pool.execute("ask_java", Map.of("function", "where"))).isEqualTo("Java's where says 'main'");
          assertThat(listener.events()).extracting(RecordingListener.Recorded::type).contains("workerStart");
        });
  }

  @Test
  void aSettingTheBuilderRefusesFailsStartUpNamingItsProperty() {
    runner.withPropertyValues(TestPoolProperties.of("main", "snakepit.pools.main.size=0")).run(context -> {
      assertThat(context).hasFailed();
      Throwable failure = context.getStartupFailure();
      assertThat(cause(failure, PoolPropertyException.class)).hasMessage(
          "snakepit.pools.main.size: PoolConfig.size = 0 is invalid: it must be between 1 and 1024");

      FailureAnalysis analysis = new PoolPropertyFailureAnalyzer().analyze(failure);
      assertThat(analysis.getDescription()).isEqualTo(cause(failure, PoolPropertyException.class).getMessage());
      assertThat(analysis.getAction()).isEqualTo("Change snakepit.pools.main.size in the application's configuration.");
    });
  }

  @Test
  void anUnknownKeyFailsStartUpNamingIt() {
    runner.withPropertyValues(TestPoolProperties.of("main", "snakepit.pools.main.sise=2")).run(context -> {
      assertThat(context).hasFailed();
      assertThat(cause(context.getStartupFailure(), UnboundConfigurationPropertiesException.class))
          .hasMessageContaining("snakepit.pools.main.sise");
    });
  }

  @Test
  void noPoolWithoutProperties() {
    runner.run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(Snakepit.class));
  }

  /** The first exception of {@code type} in the chain of {@code failure}. */
  static <T extends Throwable> T cause(Throwable failure, Class<T> type) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (type.isInstance(cause)) {
        return type.cast(cause);
      }
    }
    throw new AssertionError("no " + type.getSimpleName() + " caused " + failure, failure);
  }
}

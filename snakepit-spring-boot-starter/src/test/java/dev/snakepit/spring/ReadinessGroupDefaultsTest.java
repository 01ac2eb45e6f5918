package dev.snakepit.spring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/** When the pools' health joins the readiness group by default, and when the application's word wins. */
class ReadinessGroupDefaultsTest {
  private static final String POOL = "snakepit.pools.main.adapter";

  @Test
  void poolsJoinTheReadinessGroupBesideReadinessState() {
    assertThat(include(Map.of(POOL, "m:A"))).isEqualTo("readinessState,snakepit");
  }

  @Test
  void poolsConfiguredThroughEnvironmentVariablesCountToo() {
    StandardEnvironment environment = new StandardEnvironment();
    environment.getPropertySources().replace(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
        new SystemEnvironmentPropertySource(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
            Map.of("SNAKEPIT_POOLS_MAIN_ADAPTER", "m:A")));
    new ReadinessGroupDefaults().postProcessEnvironment(environment, null);
    assertThat(environment.getProperty(ReadinessGroupDefaults.INCLUDE)).isEqualTo("readinessState,snakepit");
  }

  @Test
  void theApplicationsOwnGroupWins() {
    assertThat(include(Map.of(POOL, "m:A", ReadinessGroupDefaults.INCLUDE, "readinessState,db"))).isEqualTo("readinessState,db");
  }

  @Test
  void nothingIsSetWithoutPoolsWithoutProbesOrWithTheHealthTurnedOff() {
    assertThat(include(Map.of())).isNull();
    assertThat(include(Map.of(POOL, "m:A", "management.endpoint.health.probes.enabled", "false"))).isNull();
    assertThat(include(Map.of(POOL, "m:A", "management.health.snakepit.enabled", "false"))).isNull();
    assertThat(include(Map.of(POOL, "m:A", "management.health.defaults.enabled", "false"))).isNull();
    assertThat(include(Map.of(POOL, "m:A", "management.health.defaults.enabled", "false",
        "management.health.snakepit.enabled", "true"))).isEqualTo("readinessState,snakepit");
  }

  @Test
  void theDefaultIsTheLowestSource() {
    StandardEnvironment environment = environment(Map.of(POOL, "m:A"));
    new ReadinessGroupDefaults().postProcessEnvironment(environment, null);
    assertThat(environment.getPropertySources().stream().reduce((a, b) -> b).orElseThrow().getName())
        .isEqualTo(ReadinessGroupDefaults.SOURCE);
  }

  private static String include(Map<String, Object> properties) {
    StandardEnvironment environment = environment(properties);
    new ReadinessGroupDefaults().postProcessEnvironment(environment, null);
    return environment.getProperty(ReadinessGroupDefaults.INCLUDE);
  }

  private static StandardEnvironment environment(Map<String, Object> properties) {
    StandardEnvironment environment = new StandardEnvironment();
    environment.getPropertySources().addFirst(new MapPropertySource("application", new HashMap<>(properties)));
    return environment;
  }
}

package dev.snakepit.spring;

import java.util.Map;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.config.ConfigDataEnvironmentPostProcessor;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.ConfigurationPropertyState;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.ClassUtils;

/**
 * Puts the pools' health in the readiness group: when the application configures pools and has the
 * actuator's health probes (on by default), and says nothing of the readiness group itself, the group
 * includes {@code readinessState,snakepit}, so that a pool that is not ready takes the application out
 * of its load balancer. The default is the lowest of the environment's sources: any value the
 * application gives {@value #INCLUDE} wins, and so does {@code management.health.snakepit.enabled=false}
 * or {@code management.endpoint.health.probes.enabled=false}.
 */
final class ReadinessGroupDefaults implements EnvironmentPostProcessor, Ordered {
  /** The property this sets by default. */
  static final String INCLUDE = "management.endpoint.health.group.readiness.include";
  /** The name of the property source holding the default. */
  static final String SOURCE = "snakepitReadinessGroup";
  private static final ConfigurationPropertyName POOLS = ConfigurationPropertyName.of(SnakepitProperties.PREFIX + ".pools");

  @Override
  public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
    ClassLoader loader = application == null ? getClass().getClassLoader() : application.getClassLoader();
    if (environment.containsProperty(INCLUDE)
        || !ClassUtils.isPresent("org.springframework.boot.actuate.endpoint.annotation.Endpoint", loader)
        || !ClassUtils.isPresent("org.springframework.boot.health.contributor.HealthContributor", loader)
        || !environment.getProperty("management.endpoint.health.probes.enabled", Boolean.class, true)
        || !environment.getProperty("management.health.snakepit.enabled", Boolean.class,
            environment.getProperty("management.health.defaults.enabled", Boolean.class, true))
        || !hasPools(environment)) {
      return;
    }
    environment.getPropertySources().addLast(new MapPropertySource(SOURCE, Map.of(INCLUDE, "readinessState,snakepit")));
  }

  private static boolean hasPools(ConfigurableEnvironment environment) {
    for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
      if (source.containsDescendantOf(POOLS) == ConfigurationPropertyState.PRESENT) {
        return true;
      }
    }
    return false;
  }

  /** After the application's configuration files are read. */
  @Override
  public int getOrder() {
    return ConfigDataEnvironmentPostProcessor.ORDER + 1;
  }
}

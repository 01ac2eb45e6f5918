package dev.snakepit.spring;

import dev.snakepit.Snakepit;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.context.annotation.Bean;

/**
 * The health contributor {@code snakepit}, with one child per {@link Snakepit} bean (those of
 * {@code snakepit.pools} and any the application makes), named by the pool's name. Turned off by
 * {@code management.health.snakepit.enabled=false}. It joins the readiness group unless the application
 * defines that group itself (see {@link ReadinessGroupDefaults}).
 */
@AutoConfiguration(after = SnakepitAutoConfiguration.class)
@ConditionalOnClass(HealthContributor.class)
@ConditionalOnBean(Snakepit.class)
@ConditionalOnEnabledHealthIndicator("snakepit")
public final class SnakepitHealthContributorAutoConfiguration {
  @Bean
  @ConditionalOnMissingBean(name = {"snakepitHealthIndicator", "snakepitHealthContributor"})
  HealthContributor snakepitHealthContributor(Map<String, Snakepit> pools) {
    return CompositeHealthContributor.fromMap(byPoolName(pools), PoolHealthIndicator::new);
  }

  /** The pools by their names, or by their bean names if two pools share a name. */
  static Map<String, Snakepit> byPoolName(Map<String, Snakepit> beans) {
    Map<String, Snakepit> byName = new LinkedHashMap<>();
    beans.values().forEach(pool -> byName.putIfAbsent(pool.config().name(), pool));
    return byName.size() == beans.size() ? byName : beans;
  }
}

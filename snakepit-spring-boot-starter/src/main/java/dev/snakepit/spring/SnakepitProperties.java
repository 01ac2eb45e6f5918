package dev.snakepit.spring;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.handler.IgnoreTopLevelConverterNotFoundBindHandler;
import org.springframework.boot.context.properties.bind.handler.NoUnboundElementsBindHandler;
import org.springframework.boot.context.properties.source.UnboundElementsSourceFilter;
import org.springframework.core.env.Environment;

/**
 * Everything under {@code snakepit.*}: the pools, by name ({@code snakepit.pools.<name>.*}). The names
 * are kept in the order the configuration gives them.
 *
 * @param pools the settings of each pool, by its name
 */
// The annotation is for the configuration processor's metadata; the starter binds these itself, strictly.
@ConfigurationProperties(SnakepitProperties.PREFIX)
public record SnakepitProperties(Map<String, PoolProperties> pools) {
  /** The prefix of every property this starter reads. */
  public static final String PREFIX = "snakepit";

  public SnakepitProperties {
    pools = pools == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(pools));
  }

  /**
   * Binds {@code snakepit.*} from {@code environment}. A key no setting has (a typo such as
   * {@code snakepit.pools.main.sise}) fails the binding with a message naming it, as
   * {@code @ConfigurationProperties(ignoreUnknownFields = false)} does; like it, keys that come from
   * environment variables or system properties are not checked, since the process's environment may
   * hold unrelated {@code SNAKEPIT_*} variables (the runtime's own {@code SNAKEPIT_PYTHON}, say).
   */
  static SnakepitProperties bind(Environment environment) {
    BindHandler strict = new NoUnboundElementsBindHandler(new IgnoreTopLevelConverterNotFoundBindHandler(),
        new UnboundElementsSourceFilter());
    return Binder.get(environment)
        .bind(PREFIX, Bindable.of(SnakepitProperties.class), strict)
        .orElseGet(() -> new SnakepitProperties(Map.of()));
  }
}

package dev.snakepit.server.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.spring.PoolProperties;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** The server reads exactly the Spring Boot starter's pool keys, so one configuration file serves both. */
class PoolSettingsTest {
  @Test
  void readsEveryKeyOfTheStarterAndNoOther() {
    List<String> starter = new ArrayList<>();
    for (RecordComponent component : PoolProperties.class.getRecordComponents()) {
      String key = kebab(component.getName());
      if (component.getType().isRecord()) {
        for (RecordComponent part : component.getType().getRecordComponents()) {
          starter.add(key + "." + kebab(part.getName()));
        }
      } else {
        starter.add(key);
      }
    }
    assertThat(PoolSettings.keys()).containsExactlyInAnyOrderElementsOf(starter);
  }

  @Test
  void matchesTheSpellingsRelaxedBindingAllows() {
    assertThat(PoolSettings.canonical("callTimeout")).isEqualTo("call-timeout");
    assertThat(PoolSettings.canonical("call_timeout")).isEqualTo("call-timeout");
    assertThat(PoolSettings.canonical("CALL-TIMEOUT")).isEqualTo("call-timeout");
    assertThat(PoolSettings.canonical("crashLoop.window")).isEqualTo("crash-loop.window");
  }

  private static String kebab(String name) {
    return name.replaceAll("([A-Z])", "-$1").toLowerCase(Locale.ROOT);
  }
}

package dev.snakepit.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.snakepit.PythonError;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the exception data of an ERROR body (docs/protocol.md, section 4.3) becomes Java types. */
class PythonErrorsTest {

  @Test
  void anExceptionGroupListsItsSubExceptionsNestedGroupsIncluded() {
    Map<String, Object> data = group("batch", List.of(exception("ValueError", "a"),
        group("inner", List.of(exception("KeyError", "'k'")), 0)), 0);

    PythonError batch = PythonErrors.parse(data);

    assertThat(batch.exceptions()).extracting(PythonError::type).containsExactly("ValueError", "ExceptionGroup");
    assertThat(batch.exceptionsLeftOut()).isZero();
    PythonError inner = batch.exceptions().get(1);
    assertThat(inner.message()).isEqualTo("inner");
    assertThat(inner.exceptions()).singleElement().satisfies(k -> {
      assertThat(k.type()).isEqualTo("KeyError");
      assertThat(k.exceptions()).isEmpty();
    });
  }

  @Test
  void subExceptionsThatAreNullCountAsLeftOutBesideThoseTheWorkerCounted() {
    Map<String, Object> data = group("g", Arrays.asList(exception("ValueError", "1"), null, null), 5);

    PythonError g = PythonErrors.parse(data);

    assertThat(g.exceptions()).extracting(PythonError::message).containsExactly("1");
    assertThat(g.exceptionsLeftOut()).isEqualTo(7);
  }

  @Test
  void anOrdinaryExceptionHasNoSubExceptions() {
    PythonError error = PythonErrors.parse(exception("ValueError", "bad"));

    assertThat(error.exceptions()).isEmpty();
    assertThat(error.exceptionsLeftOut()).isZero();
    assertThat(PythonErrors.asCause(error).getSuppressed()).isEmpty();
  }

  @Test
  void groupsNestedBeyondTheChainLimitAreCut() {
    Map<String, Object> data = exception("ValueError", "bottom");
    for (int i = 0; i < 40; i++) {
      data = group("level " + i, List.of(data), 0);
    }

    PythonError error = PythonErrors.parse(data);

    int levels = 1;
    while (!error.exceptions().isEmpty()) {
      error = error.exceptions().getFirst();
      levels++;
    }
    assertThat(levels).isEqualTo(16);
    assertThat(error.exceptionsLeftOut()).as("the member beyond the limit").isEqualTo(1);
  }

  @Test
  void theJavaCauseOfAGroupPrintsEachSubExceptionAsSuppressed() {
    Map<String, Object> a = exception("ValueError", "a");
    a.put("frames", List.of(Map.of("file", "/app/tools.py", "line", 12L, "function", "check")));
    PythonError batch = PythonErrors.parse(group("batch", List.of(a,
        group("inner", List.of(exception("KeyError", "'k'")), 0)), 0));

    Throwable cause = PythonErrors.asCause(batch);

    assertThat(cause).hasMessage("ExceptionGroup: batch");
    assertThat(cause.getSuppressed()).extracting(Throwable::getMessage)
        .containsExactly("ValueError: a", "ExceptionGroup: inner");
    assertThat(cause.getSuppressed()[1].getSuppressed()).extracting(Throwable::getMessage)
        .containsExactly("KeyError: 'k'");
    StringWriter printed = new StringWriter();
    cause.printStackTrace(new PrintWriter(printed));
    assertThat(printed.toString()).contains(
        "\tSuppressed: dev.snakepit.internal.RemotePythonException: ValueError: a\n"
            + "\t\tat python.tools.check(/app/tools.py:12)\n",
        "\tSuppressed: dev.snakepit.internal.RemotePythonException: ExceptionGroup: inner\n",
        "\t\tSuppressed: dev.snakepit.internal.RemotePythonException: KeyError: 'k'\n");
  }

  private static Map<String, Object> exception(String type, String message) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("type", type);
    data.put("module", "builtins");
    data.put("message", message);
    data.put("frames", List.of());
    data.put("traceback", type + ": " + message + "\n");
    data.put("cause", null);
    data.put("context", null);
    data.put("suppress_context", false);
    return data;
  }

  private static Map<String, Object> group(String message, List<Map<String, Object>> members, long leftOut) {
    Map<String, Object> data = exception("ExceptionGroup", message);
    data.put("exceptions", new ArrayList<>(members));
    data.put("exceptions_left_out", leftOut);
    return data;
  }
}

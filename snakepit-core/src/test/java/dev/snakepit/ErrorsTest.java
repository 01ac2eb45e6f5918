package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.RecordingListener;
import dev.snakepit.testing.TestPools;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Failed calls: each kind of error, what it carries, and that the pool serves on after it. */
@PoolTest
class ErrorsTest {
  private static final int MAX_FRAME = 1 << 20;

  private static final RecordingListener events = new RecordingListener();
  private static Snakepit pool;

  @BeforeAll
  static void startPool() {
    pool = TestPools.start(TestPools.testAdapter("errors").maxFrameBytes(MAX_FRAME).listener(events));
  }

  @AfterAll
  static void closePool() {
    pool.close();
  }

  @Test
  void aPythonExceptionArrivesWithTypeMessageFramesAndCause() {
    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> pool.execute("fail", Map.of("message", "bad input")));

    assertThat(e.kind()).isEqualTo(ErrorKind.PYTHON_EXCEPTION);
    assertThat(e.retry()).isEqualTo(ErrorKind.Retry.NO);
    assertThat(e.tool()).contains("fail");
    assertThat(e.pool()).contains("errors");
    assertThat(e.workerId()).isPresent();
    assertThat(e.getMessage()).contains("ValueError: bad input", "tool 'fail'", "pool 'errors'",
        "Python traceback:", "The above exception was the direct cause of the following exception");
    PythonError error = e.pythonError().orElseThrow();
    assertThat(error.type()).isEqualTo("ValueError");
    assertThat(error.module()).isEqualTo("builtins");
    assertThat(error.qualifiedType()).isEqualTo("ValueError");
    assertThat(error.message()).isEqualTo("bad input");
    assertThat(error.frames()).isNotEmpty();
    assertThat(error.frames().getLast()).satisfies(frame -> {
      assertThat(frame.function()).isEqualTo("fail");
      assertThat(frame.file()).endsWith("demo.py");
      assertThat(frame.line()).isPositive();
      assertThat(frame.source()).isEqualTo("raise ValueError(message) from err");
    });
    assertThat(error.traceback()).contains("KeyError: 'missing'", "ValueError: bad input");
    PythonError cause = error.cause();
    assertThat(cause).isNotNull();
    assertThat(cause.type()).isEqualTo("KeyError");
    assertThat(cause.message()).isEqualTo("'missing'");
    assertThat(cause.frames()).extracting(PythonError.Frame::function).containsSubsequence("fail", "_lookup");
  }

  @Test
  void theJavaCauseOfAPythonExceptionShowsThePythonFrames() {
    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> pool.execute("fail", Map.of()));

    Throwable cause = e.getCause();
    assertThat(cause).hasMessage("ValueError: boom");
    StackTraceElement top = cause.getStackTrace()[0];
    assertThat(top.getClassName()).isEqualTo("python.demo");
    assertThat(top.getMethodName()).isEqualTo("fail");
    assertThat(top.getFileName()).endsWith("demo.py");
    assertThat(top.getLineNumber()).isPositive();
    Throwable pythonCause = cause.getCause();
    assertThat(pythonCause).hasMessage("KeyError: 'missing'");
    assertThat(pythonCause.getStackTrace()[0].getMethodName()).isEqualTo("_lookup");
    assertThat(pythonCause.getCause()).isNull();
  }

  @Test
  void anExceptionRaisedWhileHandlingAnotherCarriesItAsContext() {
    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> pool.execute("raise_in_handler", Map.of()));

    PythonError error = e.pythonError().orElseThrow();
    assertThat(error.type()).isEqualTo("RuntimeError");
    assertThat(error.cause()).isNull();
    assertThat(error.suppressContext()).isFalse();
    assertThat(error.context()).isNotNull();
    assertThat(error.context().type()).isEqualTo("ZeroDivisionError");
    assertThat(error.context().message()).isEqualTo("division by zero");
    assertThat(error.traceback()).contains("During handling of the above exception, another exception occurred");
    assertThat(e.getCause().getCause()).hasMessage("ZeroDivisionError: division by zero");
  }

  @Test
  void anExceptionGroupArrivesWithItsSubExceptionsAsStructuredErrors() {
    assumeExceptionGroups();

    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> pool.execute("raise_group", Map.of()));

    assertThat(e.kind()).isEqualTo(ErrorKind.PYTHON_EXCEPTION);
    assertThat(e.getMessage()).contains("ExceptionGroup: batch (2 sub-exceptions)", "ValueError: a", "KeyError: 'k'");
    PythonError batch = e.pythonError().orElseThrow();
    assertThat(batch.type()).isEqualTo("ExceptionGroup");
    assertThat(batch.message()).isEqualTo("batch (2 sub-exceptions)");
    assertThat(batch.frames()).extracting(PythonError.Frame::function).endsWith("raise_group");
    assertThat(batch.exceptionsLeftOut()).isZero();
    assertThat(batch.exceptions()).hasSize(2);
    PythonError a = batch.exceptions().get(0);
    assertThat(a.type()).isEqualTo("ValueError");
    assertThat(a.message()).isEqualTo("a");
    assertThat(a.frames()).extracting(PythonError.Frame::function).containsExactly("raise_group", "_check");
    assertThat(a.exceptions()).isEmpty();
    PythonError inner = batch.exceptions().get(1);
    assertThat(inner.type()).isEqualTo("ExceptionGroup");
    assertThat(inner.message()).isEqualTo("inner (1 sub-exception)");
    assertThat(inner.exceptions()).singleElement().satisfies(k -> {
      assertThat(k.type()).isEqualTo("KeyError");
      assertThat(k.message()).isEqualTo("'k'");
      assertThat(k.exceptions()).isEmpty();
    });
    assertThat(pool.execute("add", Map.of("a", 1))).isEqualTo(3L);
  }

  @Test
  void theJavaCauseOfAnExceptionGroupHasItsSubExceptionsAsSuppressed() {
    assumeExceptionGroups();

    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> pool.execute("raise_group", Map.of()));

    Throwable batch = e.getCause();
    assertThat(batch).hasMessage("ExceptionGroup: batch (2 sub-exceptions)");
    assertThat(batch.getSuppressed()).hasSize(2);
    Throwable a = batch.getSuppressed()[0];
    assertThat(a).hasMessage("ValueError: a");
    assertThat(a.getStackTrace()[0].getMethodName()).isEqualTo("_check");
    Throwable inner = batch.getSuppressed()[1];
    assertThat(inner).hasMessage("ExceptionGroup: inner (1 sub-exception)");
    assertThat(inner.getSuppressed()).singleElement().satisfies(k -> assertThat(k).hasMessage("KeyError: 'k'"));
    StringWriter printed = new StringWriter();
    e.printStackTrace(new PrintWriter(printed));
    assertThat(printed.toString()).contains(
        "Caused by: " + batch,
        "\tSuppressed: " + a,
        "\t\tat python.tools._check(",
        "\tSuppressed: " + inner,
        "\t\tSuppressed: " + inner.getSuppressed()[0]);
  }

  @Test
  void anExceptionTypeOutsideBuiltinsIsNamedWithItsModule() {
    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> pool.execute("raise_custom", Map.of("message", "no weights")));

    PythonError error = e.pythonError().orElseThrow();
    assertThat(error.type()).isEqualTo("ModelError");
    assertThat(error.module()).isEqualTo("pooltests.tools");
    assertThat(error.qualifiedType()).isEqualTo("pooltests.tools.ModelError");
    assertThat(e.getCause()).hasMessage("pooltests.tools.ModelError: no weights");
  }

  @Test
  void aTypeErrorRaisedInsideAToolIsAPythonExceptionNotAnInvalidRequest() {
    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> pool.execute("type_error_inside", Map.of("x", 1)));

    assertThat(e.kind()).isEqualTo(ErrorKind.PYTHON_EXCEPTION);
    assertThat(e.pythonError().orElseThrow().type()).isEqualTo("TypeError");
  }

  @Test
  void anUnknownToolIsAnInvalidRequestListingTheAvailableOnes() {
    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> pool.execute("ad", Map.of("a", 1)));

    assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_REQUEST);
    assertThat(e.retry()).isEqualTo(ErrorKind.Retry.NO);
    assertThat(e.tool()).contains("ad");
    assertThat(e.getMessage()).contains("unknown tool 'ad'", "pool 'errors'", "available: ")
        .contains("add", "echo", "ping", "fail", "raise_custom");
  }

  @Test
  void argumentsThatDoNotFitAreAnInvalidRequestShowingTheSignature() {
    SnakepitException missing = catchThrowableOfType(SnakepitException.class, () -> pool.execute("add", Map.of("b", 1)));
    SnakepitException unexpected = catchThrowableOfType(SnakepitException.class, () -> pool.execute("add", Map.of("a", 1, "c", 3)));
    SnakepitException tooMany = catchThrowableOfType(SnakepitException.class, () -> pool.execute(Call.of("add").withArgs(1, 2, 3)));

    for (SnakepitException e : List.of(missing, unexpected, tooMany)) {
      assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_REQUEST);
      assertThat(e.tool()).contains("add");
      assertThat(e.getMessage()).contains("add(a: int, b: int = 2)");
    }
    assertThat(missing.getMessage()).contains("missing a required argument: 'a'");
    assertThat(unexpected.getMessage()).contains("unexpected keyword argument 'c'");
    assertThat(tooMany.getMessage()).contains("too many positional arguments: 3 given, it takes at most 2");
  }

  @Test
  void aMisspelledKeywordIsNamedWithTheParameterItMayMeanNextToTheSignature() {
    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> pool.execute("echo", Map.of("valu", 1)));

    assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_REQUEST);
    assertThat(e.tool()).contains("echo");
    assertThat(e.getMessage()).startsWith("arguments do not fit echo(value: Any) -> Any: "
        + "unexpected keyword argument 'valu' (did you mean 'value'?); missing a required argument: 'value'");
    assertThat(pool.execute("echo", Map.of("value", 1))).isEqualTo(1L);
  }

  @Test
  void anArgumentJavaCannotSendIsASerializationErrorNamingItsPathAndNothingIsSent() {
    int checkouts = events.ofType("checkoutStart").size();
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("items", Arrays.asList(1, new Object()));

    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> pool.execute("echo", Map.of("value", value)));

    assertThat(e.kind()).isEqualTo(ErrorKind.SERIALIZATION_ERROR);
    assertThat(e.retry()).isEqualTo(ErrorKind.Retry.NO);
    assertThat(e.getMessage()).contains("$.kwargs.value.items[1]", "java.lang.Object", "'echo'");
    assertThat(events.ofType("checkoutStart")).hasSize(checkouts);
    assertThat(pool.execute("echo", Map.of("value", "still serving"))).isEqualTo("still serving");
  }

  @Test
  void aMapWithANonStringKeyIsASerializationErrorNamingItsPath() {
    SnakepitException e = catchThrowableOfType(SnakepitException.class,
        () -> pool.execute("echo", Map.of("value", List.of(Map.of(1, "one")))));

    assertThat(e.kind()).isEqualTo(ErrorKind.SERIALIZATION_ERROR);
    assertThat(e.getMessage()).contains("$.kwargs.value[0]");
  }

  @Test
  void aResultPythonCannotSendIsASerializationErrorNamingItsPath() {
    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> pool.execute("unserializable", Map.of()));

    assertThat(e.kind()).isEqualTo(ErrorKind.SERIALIZATION_ERROR);
    assertThat(e.tool()).contains("unserializable");
    assertThat(e.getMessage()).contains("$.value.ok[1]", "set");
    assertThat(pool.execute("add", Map.of("a", 1))).isEqualTo(3L);
  }

  @Test
  void aRequestAboveTheMaximumFrameSizeFailsAtOnceAndNothingIsSent() {
    int checkouts = events.ofType("checkoutStart").size();
    List<Long> pids = pool.workerPids();

    SnakepitException e = catchThrowableOfType(SnakepitException.class,
        () -> pool.execute("echo", Map.of("value", new byte[2 * MAX_FRAME])));

    assertThat(e.kind()).isEqualTo(ErrorKind.SERIALIZATION_ERROR);
    assertThat(e.getMessage()).contains("'echo'", "above maxFrameBytes " + MAX_FRAME, "nothing was sent");
    assertThat(events.ofType("checkoutStart")).as("the call never went to a worker").hasSize(checkouts);
    assertThat(pool.execute("bytes_len", Map.of("data", new byte[MAX_FRAME / 2]))).isEqualTo((long) MAX_FRAME / 2);
    assertThat(pool.workerPids()).isEqualTo(pids);
  }

  @Test
  void aResultAboveTheMaximumFrameSizeFailsTheCallAndTheSameWorkerServesOn() {
    List<Long> pids = pool.workerPids();
    long crashed = pool.stats().workersCrashed();

    SnakepitException e = catchThrowableOfType(SnakepitException.class,
        () -> pool.execute("big_result", Map.of("n", 2 * MAX_FRAME)));

    assertThat(e.kind()).isEqualTo(ErrorKind.SERIALIZATION_ERROR);
    assertThat(e.getMessage()).contains("'big_result'", "above the maximum frame size of " + MAX_FRAME + " bytes");
    assertThat(pool.execute("pid", Map.of())).isEqualTo(pids.getFirst());
    assertThat(pool.workerPids()).isEqualTo(pids);
    assertThat(pool.stats().workersCrashed()).isEqualTo(crashed);
  }

  @Test
  void anErrorAboveTheMaximumFrameSizeArrivesShortenedAndTheWorkerServesOn() {
    List<Long> pids = pool.workerPids();

    SnakepitException e = catchThrowableOfType(SnakepitException.class, () -> pool.execute("raise_huge", Map.of("n", 2 * MAX_FRAME)));

    assertThat(e.kind()).isEqualTo(ErrorKind.PYTHON_EXCEPTION);
    assertThat(e.getMessage()).contains("ValueError: xxxx", "[truncated]").hasSizeLessThan(MAX_FRAME);
    assertThat(pool.execute("pid", Map.of())).isEqualTo(pids.getFirst());
  }

  @Test
  void eachKindSaysWhetherARetryIsSafe() {
    assertThat(ErrorKind.TIMEOUT.retry()).isEqualTo(ErrorKind.Retry.IF_IDEMPOTENT);
    assertThat(ErrorKind.WORKER_CRASHED.retry()).isEqualTo(ErrorKind.Retry.IF_IDEMPOTENT);
    assertThat(ErrorKind.CANCELLED.retry()).isEqualTo(ErrorKind.Retry.IF_IDEMPOTENT);
    assertThat(ErrorKind.RESOURCE_EXHAUSTED.retry()).isEqualTo(ErrorKind.Retry.SAFE);
    assertThat(ErrorKind.SERIALIZATION_ERROR.retry()).isEqualTo(ErrorKind.Retry.NO);
    assertThat(ErrorKind.PYTHON_EXCEPTION.retry()).isEqualTo(ErrorKind.Retry.NO);
    assertThat(ErrorKind.INVALID_REQUEST.retry()).isEqualTo(ErrorKind.Retry.NO);
    assertThat(ErrorKind.POOL_CLOSED.retry()).isEqualTo(ErrorKind.Retry.NO);
    assertThat(ErrorKind.SESSION_LOST.retry()).isEqualTo(ErrorKind.Retry.NO);
    assertThat(ErrorKind.values()).hasSize(9);
    for (ErrorKind kind : ErrorKind.values()) {
      assertThat(new SnakepitException(kind, "m").retry()).isEqualTo(kind.retry());
    }
  }

  private static void assumeExceptionGroups() {
    List<?> version = (List<?>) pool.execute("python_version", Map.of());
    assumeTrue((Long) version.get(0) > 3 || (Long) version.get(1) >= 11,
        "exception groups came with Python 3.11; the workers run " + version);
  }
}

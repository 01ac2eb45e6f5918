package dev.snakepit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.snakepit.testing.LogCapture;
import dev.snakepit.testing.PoolTest;
import dev.snakepit.testing.RecordingListener;
import dev.snakepit.testing.TestPools;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What workers print goes to SLF4J, never into a protocol channel: raw output to the pool's logger
 * {@code dev.snakepit.python.<pool>} at INFO, Python logging records to
 * {@code dev.snakepit.python.<pool>.<python logger>} at their level, with the pool and the worker
 * in the MDC.
 */
@PoolTest
class OutputForwardingTest {
  private static final String OUTPUT = "dev.snakepit.python.fwd";
  private static final String RECORDS = "dev.snakepit.python.fwd-logging";

  private static final RecordingListener events = new RecordingListener();
  private static LogCapture output;
  private static LogCapture records;
  private static Snakepit pool;
  private static Snakepit logging;

  @BeforeAll
  static void startPools() {
    output = LogCapture.attach(OUTPUT, Level.INFO);
    records = LogCapture.attach(RECORDS, Level.TRACE);
    pool = TestPools.start(TestPools.testAdapter("fwd").size(2).listener(events));
    logging = TestPools.start(TestPools.builder("pooltests.logging_adapter:LoggingAdapter", "fwd-logging")
        .pythonLogLevel("DEBUG"));
  }

  @AfterAll
  static void closePools() {
    pool.close();
    logging.close();
    output.close();
    records.close();
  }

  @Test
  void printedLinesArriveInThePoolsLoggerWithTheWorkerInTheMdc() {
    int since = output.events().size();

    assertThat(pool.execute("print_lines", Map.of("n", 3))).isEqualTo(3L);

    String worker = events.ofType("checkoutStop").getLast().call().workerId();
    await().atMost(Duration.ofSeconds(10)).until(() -> lines(worker, since).size() >= 3);
    List<ILoggingEvent> printed = lines(worker, since);
    assertThat(printed).extracting(ILoggingEvent::getFormattedMessage).containsExactly("line 0", "line 1", "line 2");
    assertThat(printed).allSatisfy(e -> {
      assertThat(e.getLoggerName()).isEqualTo(OUTPUT);
      assertThat(e.getLevel()).isEqualTo(Level.INFO);
      assertThat(e.getMDCPropertyMap()).containsEntry("snakepit.pool", "fwd").containsEntry("snakepit.worker", worker);
    });
  }

  @Test
  void bytesWrittenStraightToFileDescriptorOneArriveAsOutputToo() {
    pool.execute("write_fd1", Map.of("text", "from fd 1, as a C extension writes\n"));

    await().atMost(Duration.ofSeconds(10)).until(() -> output.events().stream()
        .anyMatch(e -> e.getLoggerName().equals(OUTPUT) && e.getFormattedMessage().equals("from fd 1, as a C extension writes")));
  }

  @Test
  void aPythonWarningRecordArrivesAtWarnInTheLoggerNamedAfterThePythonOne() {
    pool.execute("print_lines", Map.of("n", 0));
    String worker = events.ofType("checkoutStop").getLast().call().workerId();

    ILoggingEvent warning = awaitEvent(output, e -> e.getFormattedMessage().equals("printed 0 lines"));
    assertThat(warning.getLoggerName()).isEqualTo(OUTPUT + ".snakepit.examples.demo");
    assertThat(warning.getLevel()).isEqualTo(Level.WARN);
    assertThat(warning.getMDCPropertyMap()).containsEntry("snakepit.pool", "fwd").containsEntry("snakepit.worker", worker);
  }

  @Test
  void recordsBelowThePoolsPythonLogLevelAreNotForwarded() {
    // spin logs at DEBUG; the pool forwards INFO and above (the default). The warning print_lines
    // logs afterwards travels the same channel, so once it is here, the debug record would be too.
    pool.execute("spin", Map.of("seconds", 0));
    pool.execute("print_lines", Map.of("n", 1));

    awaitEvent(output, e -> e.getFormattedMessage().equals("printed 1 lines"));
    assertThat(output.events()).noneMatch(e -> e.getFormattedMessage().startsWith("spin started"));
  }

  @Test
  void eachPythonLevelMapsToItsSlf4jLevel() {
    for (String level : List.of("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")) {
      logging.execute("log", Map.of("level", level, "logger", "my.module", "message", "at " + level));
    }

    for (Map.Entry<String, Level> expected : Map.of("DEBUG", Level.DEBUG, "INFO", Level.INFO, "WARNING", Level.WARN,
        "ERROR", Level.ERROR, "CRITICAL", Level.ERROR).entrySet()) {
      ILoggingEvent event = awaitEvent(records, e -> e.getFormattedMessage().equals("at " + expected.getKey()));
      assertThat(event.getLevel()).as(expected.getKey()).isEqualTo(expected.getValue());
      assertThat(event.getLoggerName()).isEqualTo(RECORDS + ".my.module");
      assertThat(event.getMDCPropertyMap()).containsEntry("snakepit.pool", "fwd-logging").containsEntry("snakepit.worker", "w1");
    }
  }

  @Test
  void theRootPythonLoggerMapsToThePoolsLogger() {
    logging.execute("log", Map.of("level", "WARNING", "logger", "", "message", "from the root logger"));

    assertThat(awaitEvent(records, e -> e.getFormattedMessage().equals("from the root logger")).getLoggerName()).isEqualTo(RECORDS);
  }

  @Test
  void aRecordWithAnExceptionCarriesItsTraceback() {
    logging.execute("log_exception", Map.of("logger", "my.errors"));

    ILoggingEvent event = awaitEvent(records, e -> e.getFormattedMessage().startsWith("lookup failed"));
    assertThat(event.getLevel()).isEqualTo(Level.ERROR);
    assertThat(event.getLoggerName()).isEqualTo(RECORDS + ".my.errors");
    assertThat(event.getFormattedMessage()).contains("Traceback (most recent call last)", "KeyError: 'missing key'");
  }

  @Test
  void pythonWarningsArriveThroughLogging() {
    logging.execute("warn", Map.of("message", "this API is deprecated"));

    ILoggingEvent event = awaitEvent(records, e -> e.getFormattedMessage().contains("this API is deprecated"));
    assertThat(event.getLevel()).isEqualTo(Level.WARN);
    assertThat(event.getLoggerName()).isEqualTo(RECORDS + ".py.warnings");
  }

  @Test
  void tenThousandPrintedLinesDisturbNeitherThatCallNorCallsOnOtherWorkers() throws Exception {
    int since = output.events().size();
    CompletableFuture<Object> printing = pool.executeAsync(Call.of("print_lines").withArg("n", 10_000).withTimeout(Duration.ofSeconds(30)));
    await().atMost(Duration.ofSeconds(10)).until(() -> pool.stats().busy() == 1 || printing.isDone());
    String printer = events.ofType("checkoutStop").getLast().call().workerId();
    List<CompletableFuture<Object>> echoes = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      echoes.add(pool.executeAsync("echo", Map.of("value", Map.of("i", i, "text", "line " + i))));
    }

    assertThat(printing.get(30, TimeUnit.SECONDS)).isEqualTo(10_000L);
    for (int i = 0; i < echoes.size(); i++) {
      assertThat(echoes.get(i).get(30, TimeUnit.SECONDS)).isEqualTo(Map.of("i", (long) i, "text", "line " + i));
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> lines(printer, since).size() >= 10_000);
    List<String> printed = lines(printer, since).stream().map(ILoggingEvent::getFormattedMessage)
        .filter(text -> text.startsWith("line ")).toList();
    assertThat(printed).hasSize(10_000);
    for (int i = 0; i < printed.size(); i++) {
      assertThat(printed.get(i)).isEqualTo("line " + i);
    }
    assertThat(pool.execute("add", Map.of("a", 1))).isEqualTo(3L);
  }

  /** Raw output lines of one worker in the pool's logger, oldest first, from the {@code since}th event on. */
  private static List<ILoggingEvent> lines(String worker, int since) {
    List<ILoggingEvent> all = output.events();
    return all.subList(since, all.size()).stream()
        .filter(e -> e.getLoggerName().equals(OUTPUT) && worker.equals(e.getMDCPropertyMap().get("snakepit.worker")))
        .filter(e -> e.getFormattedMessage().startsWith("line "))
        .toList();
  }

  private static ILoggingEvent awaitEvent(LogCapture capture, Predicate<ILoggingEvent> wanted) {
    await().atMost(Duration.ofSeconds(10)).until(() -> capture.events().stream().anyMatch(wanted));
    return capture.events().stream().filter(wanted).findFirst().orElseThrow();
  }
}
